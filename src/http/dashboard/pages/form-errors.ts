import { DomainError } from '../../../domain/domain-error.js';

/** Which form field a domain message is about (the messages name the field first). */
const FIELDS: readonly (readonly [RegExp, string])[] = [
  [/^name /, 'name'],
  [/token class/, 'token_classes'],
  [/^api token lifetime/, 'api_token_ttl'],
  [/^customer token lifetime/, 'customer_token_ttl'],
  [/^grace/, 'grace_seconds'],
  [/app_user_id/, 'app_user_id'],
  [/^email|^an operator/, 'email'],
  [/password/, 'password'],
  // Client authentication: a rule about the keys as a whole goes on their fieldset.
  [/jwks or jwks_uri|jwks and jwks_uri/, 'public_keys'],
  [/^jwks_uri /, 'jwks_uri'],
  [/^jwks[ .[]/, 'jwks'],
  [/^tls_client_auth_|^tls_client_auth needs|^give exactly one of tls_|^tls subject/, 'tls_subject'],
  [/^token_endpoint_auth_method/, 'token_endpoint_auth_method'],
];

/** Field name → the server's message, for a form to show next to the field; throws what is no bad input. */
export function fieldErrors(error: unknown, fallback: string): Record<string, string> {
  if (!(error instanceof DomainError) || (error.code !== 'invalid' && error.code !== 'conflict')) throw error;
  const field = FIELDS.find(([pattern]) => pattern.test(error.message))?.[1] ?? fallback;
  return { [field]: error.message };
}

/** A whole number of seconds from a form field; empty is null (the server default). */
export function seconds(value: string | null): number | null {
  if (value === null || value.trim() === '') return null;
  return Number(value.trim());
}
