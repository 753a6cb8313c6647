import { readFileSync } from 'node:fs';
import type { JSONWebKeySet } from 'jose';
import type { ApplicationSettings } from '../domain/applications.js';
import { optional } from './arguments.js';
import { UsageError } from './command.js';

/** The `apps create|update` options that say how an application authenticates at the token endpoint. */
export const clientAuthOptions = {
  'auth-method': { type: 'string' },
  'jwks-file': { type: 'string' },
} as const;

export const CLIENT_AUTH_USAGE = '[--auth-method M] [--jwks-file F]';

/** `--auth-method default` returns to either client secret method; the domain checks the rest. */
export function clientAuthSettings(
  values: Record<string, string | boolean | undefined>,
): Pick<ApplicationSettings, 'tokenEndpointAuthMethod' | 'jwks'> {
  const method = optional(values, 'auth-method');
  const file = optional(values, 'jwks-file');
  return {
    tokenEndpointAuthMethod: method === 'default' ? null : method,
    jwks: file === undefined ? undefined : readJwks(file),
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
