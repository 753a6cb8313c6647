import { readFileSync } from 'node:fs';
import type { JSONWebKeySet } from 'jose';
import type { ApplicationSettings } from '../domain/applications.js';
import type { TlsSubjectField } from '../domain/tls-client-auth.js';
import { optional } from './arguments.js';
import { UsageError } from './command.js';

/** The `apps create|update` options that say how an application authenticates at the token endpoint. */
export const clientAuthOptions = {
  'auth-method': { type: 'string' },
  'jwks-file': { type: 'string' },
  'dpop-bound': { type: 'boolean' },
  'no-dpop-bound': { type: 'boolean' },
  'tls-subject-dn': { type: 'string' },
  'tls-san-dns': { type: 'string' },
  'tls-san-uri': { type: 'string' },
  'tls-san-ip': { type: 'string' },
  'tls-san-email': { type: 'string' },
  'bound-to-certificate': { type: 'boolean' },
  'no-bound-to-certificate': { type: 'boolean' },
} as const;

export const CLIENT_AUTH_USAGE = [
  '--auth-method M',
  '--jwks-file F',
  '--[no-]dpop-bound',
  '--tls-subject-dn DN',
  '--tls-san-KIND V',
  '--[no-]bound-to-certificate',
];

/** What each of them does, for `--help`. */
export const CLIENT_AUTH_HELP: Readonly<Record<string, string>> = {
  '--auth-method M': 'an RFC 7591 method (docs/client-authentication.md), or default',
  '--jwks-file F': 'public keys (JWK Set) for private_key_jwt or self-signed mTLS',
  '--[no-]dpop-bound': 'every token request must carry a DPoP proof (dpop_bound_access_tokens)',
  '--tls-subject-dn DN': "tls_client_auth: the certificate's subject distinguished name",
  '--tls-san-KIND V': 'tls_client_auth: a SAN instead (KIND dns, uri, ip or email)',
  '--[no-]bound-to-certificate': 'tokens carry cnf.x5t#S256 (tls_client_certificate_bound_access_tokens)',
};

/** RFC 8705 §2.1.2 subject fields by flag: at most one may be given, the domain says which is wrong. */
const TLS_SUBJECT_FLAGS: Readonly<Record<TlsSubjectField, string>> = {
  tls_client_auth_subject_dn: 'tls-subject-dn',
  tls_client_auth_san_dns: 'tls-san-dns',
  tls_client_auth_san_uri: 'tls-san-uri',
  tls_client_auth_san_ip: 'tls-san-ip',
  tls_client_auth_san_email: 'tls-san-email',
};

/** `--auth-method default` returns to either client secret method; the domain checks the rest. */
export function clientAuthSettings(
  values: Record<string, string | boolean | undefined>,
): Pick<
  ApplicationSettings,
  'tokenEndpointAuthMethod' | 'jwks' | 'dpopBoundAccessTokens' | 'tlsSubject' | 'certificateBoundAccessTokens'
> {
  const method = optional(values, 'auth-method');
  const file = optional(values, 'jwks-file');
  return {
    tokenEndpointAuthMethod: method === 'default' ? null : method,
    jwks: file === undefined ? undefined : readJwks(file),
    dpopBoundAccessTokens: switchValue(values, 'dpop-bound'),
    tlsSubject: Object.fromEntries(
      Object.entries(TLS_SUBJECT_FLAGS).map(([field, flag]) => [field, optional(values, flag)]),
    ),
    certificateBoundAccessTokens: switchValue(values, 'bound-to-certificate'),
  };
}

/** `--NAME` true, `--no-NAME` false, neither unchanged; both at once is a mistake. */
export function switchValue(values: Record<string, string | boolean | undefined>, name: string) {
  const on = values[name] === true;
  const off = values[`no-${name}`] === true;
  if (on && off) throw new UsageError(`--${name} and --no-${name} contradict each other: give one`);
  return on ? true : off ? false : undefined;
}

function readJwks(file: string): JSONWebKeySet {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new UsageError(
      `--jwks-file: cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? error}`,
    );
  }
  try {
    return JSON.parse(text) as JSONWebKeySet;
  } catch {
    throw new UsageError(`--jwks-file: ${file} is not JSON (a JSON Web Key Set of public keys)`);
  }
}
