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
  'tls-subject-dn': { type: 'string' },
  'tls-san-dns': { type: 'string' },
  'tls-san-uri': { type: 'string' },
  'tls-san-ip': { type: 'string' },
  'tls-san-email': { type: 'string' },
  'bound-to-certificate': { type: 'boolean' },
  'no-bound-to-certificate': { type: 'boolean' },
} as const;

/** The options themselves are listed in docs/cli.md: the usage line would pass 180 characters. */
export const CLIENT_AUTH_USAGE = '[--auth-method M] [AUTH OPTIONS]';

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
  'tokenEndpointAuthMethod' | 'jwks' | 'tlsSubject' | 'certificateBoundAccessTokens'
> {
  const method = optional(values, 'auth-method');
  const file = optional(values, 'jwks-file');
  const bound = values['bound-to-certificate'] === true;
  if (bound && values['no-bound-to-certificate'] === true) {
    throw new UsageError('give --bound-to-certificate or --no-bound-to-certificate, not both');
  }
  return {
    tokenEndpointAuthMethod: method === 'default' ? null : method,
    jwks: file === undefined ? undefined : readJwks(file),
    tlsSubject: Object.fromEntries(
      Object.entries(TLS_SUBJECT_FLAGS).map(([field, flag]) => [field, optional(values, flag)]),
    ),
    certificateBoundAccessTokens: bound
      ? true
      : values['no-bound-to-certificate'] === true
        ? false
        : undefined,
  };
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
