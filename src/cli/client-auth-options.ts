import { readFileSync } from 'node:fs';
import type { JSONWebKeySet } from 'jose';
import type { ApplicationSettings } from '../domain/applications.js';
import { optional } from './arguments.js';
import { UsageError } from './command.js';

/** The `apps create|update` options that say how an application authenticates at the token endpoint. */
export const clientAuthOptions = {
  'auth-method': { type: 'string' },
  'jwks-file': { type: 'string' },
  'dpop-bound': { type: 'boolean' },
  'no-dpop-bound': { type: 'boolean' },
} as const;

export const CLIENT_AUTH_USAGE = ['--auth-method M', '--jwks-file F', '--[no-]dpop-bound'];

/** What each of them does, for `--help`. */
export const CLIENT_AUTH_HELP: Readonly<Record<string, string>> = {
  '--auth-method M': 'client_secret_basic, client_secret_post, private_key_jwt, or default',
  '--jwks-file F': 'a JSON file with the public keys (JWK Set) private_key_jwt checks',
  '--[no-]dpop-bound': 'every token request must carry a DPoP proof (dpop_bound_access_tokens)',
};

/** `--auth-method default` returns to either client secret method; the domain checks the rest. */
export function clientAuthSettings(
  values: Record<string, string | boolean | undefined>,
): Pick<ApplicationSettings, 'tokenEndpointAuthMethod' | 'jwks' | 'dpopBoundAccessTokens'> {
  const method = optional(values, 'auth-method');
  const file = optional(values, 'jwks-file');
  return {
    tokenEndpointAuthMethod: method === 'default' ? null : method,
    jwks: file === undefined ? undefined : readJwks(file),
    dpopBoundAccessTokens: switchValue(values, 'dpop-bound'),
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
