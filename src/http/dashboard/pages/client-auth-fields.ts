import type { JSONWebKeySet } from 'jose';
import type { Application } from '../../../domain/application.js';
import type { ApplicationSettings } from '../../../domain/applications.js';
import { TOKEN_ENDPOINT_AUTH_METHODS } from '../../../domain/client-auth-method.js';
import { DomainError } from '../../../domain/domain-error.js';
import { TLS_SUBJECT_FIELDS, type TlsSubjectField } from '../../../domain/tls-client-auth.js';
import { type Html, html } from '../html.js';
import { field } from '../layout.js';

/**
 * The "Client authentication" fieldset of the application forms, as typed: every field is shown
 * whatever the method (no script needed), and the form always posts the whole setting, so the
 * domain checks the method and its keys together exactly as for the admin API.
 */
export interface ClientAuthForm {
  /** '' is either client secret method. */
  readonly method: string;
  readonly jwks: string;
  readonly jwksUri: string;
  readonly tlsFields: readonly string[];
  readonly tlsValues: readonly string[];
  readonly dpopBound: boolean;
  readonly certificateBound: boolean;
}

const SUBJECT_LABELS: Record<TlsSubjectField, string> = {
  tls_client_auth_subject_dn: 'Subject distinguished name',
  tls_client_auth_san_dns: 'SAN: DNS name',
  tls_client_auth_san_uri: 'SAN: URI',
  tls_client_auth_san_ip: 'SAN: IP address',
  tls_client_auth_san_email: 'SAN: email address',
};

/** What an application has, as the fieldset shows it. */
export function clientAuthFormOf(a: Partial<Application>): ClientAuthForm {
  return {
    method: a.tokenEndpointAuthMethod ?? '',
    jwks: a.jwks ? JSON.stringify(a.jwks, null, 2) : '',
    jwksUri: a.jwksUri ?? '',
    tlsFields: [a.tlsSubject?.field ?? TLS_SUBJECT_FIELDS[0]],
    tlsValues: [a.tlsSubject?.value ?? ''],
    dpopBound: a.dpopBoundAccessTokens ?? false,
    certificateBound: a.certificateBoundAccessTokens ?? false,
  };
}

/** The fieldset as posted. */
export function clientAuthFormFrom(form: URLSearchParams): ClientAuthForm {
  return {
    method: form.get('token_endpoint_auth_method') ?? '',
    jwks: form.get('jwks') ?? '',
    jwksUri: form.get('jwks_uri') ?? '',
    tlsFields: form.getAll('tls_subject_field'),
    tlsValues: form.getAll('tls_subject_value'),
    dpopBound: form.get('dpop_bound_access_tokens') === 'on',
    certificateBound: form.get('tls_client_certificate_bound_access_tokens') === 'on',
  };
}

type ClientAuthSettings = Pick<
  ApplicationSettings,
  | 'tokenEndpointAuthMethod'
  | 'jwks'
  | 'jwksUri'
  | 'tlsSubject'
  | 'dpopBoundAccessTokens'
  | 'certificateBoundAccessTokens'
>;

/** The settings the posted fieldset asks for; empty fields clear. Throws for what is not even JSON. */
export function clientAuthSettingsOf(form: ClientAuthForm): ClientAuthSettings {
  // Every subject field null, then the chosen one(s): two chosen are the domain's to refuse.
  const tlsSubject: Partial<Record<TlsSubjectField, string | null>> = Object.fromEntries(
    TLS_SUBJECT_FIELDS.map((f) => [f, null]),
  );
  // Each value with its select (the first option when none was posted, as a browser posts it).
  form.tlsValues.forEach((typed, i) => {
    const value = typed.trim();
    const f = form.tlsFields[i] ?? TLS_SUBJECT_FIELDS[0];
    if (value === '') return;
    if (!(TLS_SUBJECT_FIELDS as readonly string[]).includes(f)) {
      throw invalid(
        `tls subject field must be one of ${TLS_SUBJECT_FIELDS.join(', ')}, got ${f.slice(0, 80)}`,
      );
    }
    if (typeof tlsSubject[f as TlsSubjectField] === 'string') {
      throw invalid(`tls subject: give one ${f}, not two: a certificate is matched by one subject`);
    }
    tlsSubject[f as TlsSubjectField] = value;
  });
  return {
    tokenEndpointAuthMethod: form.method === '' ? null : form.method,
    jwks: parseJwks(form.jwks),
    jwksUri: form.jwksUri.trim() === '' ? null : form.jwksUri.trim(),
    tlsSubject,
    dpopBoundAccessTokens: form.dpopBound,
    certificateBoundAccessTokens: form.certificateBound,
  };
}

function parseJwks(text: string): JSONWebKeySet | null {
  if (text.trim() === '') return null;
  try {
    return JSON.parse(text) as JSONWebKeySet;
  } catch {
    throw invalid('jwks is not JSON: paste a JSON Web Key Set, {"keys": [ …public keys… ]}');
  }
}

const invalid = (message: string) => new DomainError('invalid', message);

export function clientAuthFields(form: ClientAuthForm, errors: Record<string, string>): Html {
  const methods = ['', ...TOKEN_ENDPOINT_AUTH_METHODS];
  const tlsField = form.tlsFields[0] ?? TLS_SUBJECT_FIELDS[0];
  return html`<fieldset>
<legend>Client authentication</legend>
${labelled(
  'token_endpoint_auth_method',
  'Method',
  errors,
  'How it proves who it is at the token endpoint (docs/client-authentication.md).',
  (attributes) =>
    html`<select ${attributes}>${methods.map(
      (m) =>
        html`<option value="${m}"${m === form.method ? html` selected` : ''}>${m === '' ? 'Either client secret method (default)' : m}</option>`,
    )}</select>`,
)}
${group(
  'public_keys',
  'Public keys: for private_key_jwt and self_signed_tls_client_auth',
  'A JSON Web Key Set or a jwks_uri, not both; leave both empty for other methods. For self_signed_tls_client_auth each key carries its certificate in x5c.',
  errors,
  html`${labelled('jwks', 'JWKS (JSON)', errors, 'Public keys only: {"keys": [ … ]}.', (attributes) => html`<textarea ${attributes} rows="6" spellcheck="false">${form.jwks}</textarea>`)}
${field({ label: 'jwks_uri', name: 'jwks_uri', value: form.jwksUri, hint: 'Where the application publishes its keys (https).', error: errors.jwks_uri })}`,
)}
${group(
  'tls_subject',
  'Certificate subject: for tls_client_auth',
  '',
  {},
  html`${labelled(
    'tls_subject_field',
    'Certificate field',
    {},
    '',
    (attributes) =>
      html`<select ${attributes}>${TLS_SUBJECT_FIELDS.map(
        (f) =>
          html`<option value="${f}"${f === tlsField ? html` selected` : ''}>${SUBJECT_LABELS[f]}</option>`,
      )}</select>`,
  )}
${field({ label: 'Value the certificate must carry', name: 'tls_subject_value', value: form.tlsValues[0] ?? '', hint: 'E.g. CN=client,O=Example,C=SA; leave empty for other methods.', error: errors.tls_subject })}`,
)}
<fieldset>
<legend>Token binding</legend>
<label class="check"><input type="checkbox" name="dpop_bound_access_tokens"${form.dpopBound ? html` checked` : ''}> DPoP-bound tokens: every token request must carry a DPoP proof</label>
<label class="check"><input type="checkbox" name="tls_client_certificate_bound_access_tokens"${form.certificateBound ? html` checked` : ''}> Certificate-bound tokens: bound to the TLS client certificate of the request</label>
</fieldset>
</fieldset>`;
}

/** A fieldset whose hint and error (a rule about several of its fields) are tied to it by aria-describedby. */
function group(name: string, legend: string, hint: string, errors: Record<string, string>, body: Html): Html {
  const id = name.replaceAll('_', '-');
  const error = errors[name];
  const described = [hint && `${id}-hint`, error && `${id}-error`].filter(Boolean).join(' ');
  return html`<fieldset${described ? html` aria-describedby="${described}"` : ''}>
<legend>${legend}</legend>
${hint && html`<p class="hint" id="${id}-hint">${hint}</p>`}
${body}
${error && html`<p class="error" id="${id}-error" role="alert">${error}</p>`}
</fieldset>`;
}

/** A label, a control (select or textarea) and its hint and error, tied as layout's field() ties them. */
function labelled(
  name: string,
  label: string,
  errors: Record<string, string>,
  hint: string,
  control: (attributes: Html) => Html,
): Html {
  const id = `field-${name}`;
  const error = errors[name];
  const described = [hint && `${id}-hint`, error && `${id}-error`].filter(Boolean).join(' ');
  const attributes = html`id="${id}" name="${name}"${described ? html` aria-describedby="${described}"` : ''}${error ? html` aria-invalid="true"` : ''}`;
  return html`<div class="field">
<label for="${id}">${label}</label>
${control(attributes)}
${hint && html`<p class="hint" id="${id}-hint">${hint}</p>`}
${error && html`<p class="error" id="${id}-error" role="alert">${error}</p>`}
</div>`;
}

/** The method and the token bindings, for the facts at the top of an application's page. */
export function clientAuthFacts(a: Application): Html {
  const keys = a.jwks
    ? html`, ${a.jwks.keys.length} public key(s) registered`
    : a.jwksUri
      ? html`, keys from <code>${a.jwksUri}</code>`
      : '';
  const subject =
    a.tlsSubject &&
    html`, certificate ${SUBJECT_LABELS[a.tlsSubject.field]} <code>${a.tlsSubject.value}</code>`;
  const bindings = [
    a.dpopBoundAccessTokens && 'DPoP-bound (every token request needs a DPoP proof)',
    a.certificateBoundAccessTokens && 'certificate-bound (cnf x5t#S256)',
  ].filter(Boolean);
  return html`<dt>Client authentication</dt><dd>${a.tokenEndpointAuthMethod ? html`<code>${a.tokenEndpointAuthMethod}</code>` : 'either client secret method'}${keys}${subject}</dd>
<dt>Token binding</dt><dd>${bindings.length > 0 ? bindings.join('; ') : 'none (bearer tokens)'}</dd>`;
}
