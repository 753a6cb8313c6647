import { createPublicKey, type JsonWebKey } from 'node:crypto';
import type { JSONWebKeySet, JWK } from 'jose';
import { DomainError } from './domain-error.js';
import {
  TLS_SUBJECT_FIELDS,
  type TlsSubject,
  validCertificateKey,
  validTlsSubject,
} from './tls-client-auth.js';

/** RFC 7591 `token_endpoint_auth_method` names: how an application proves who it is. */
export const TOKEN_ENDPOINT_AUTH_METHODS = [
  'client_secret_basic',
  'client_secret_post',
  'private_key_jwt',
  'tls_client_auth',
  'self_signed_tls_client_auth',
] as const;
export type TokenEndpointAuthMethod = (typeof TOKEN_ENDPOINT_AUTH_METHODS)[number];

/** The methods an application without a registered one may use: either secret method, as always. */
const SECRET_METHODS: readonly TokenEndpointAuthMethod[] = ['client_secret_basic', 'client_secret_post'];

/** How an application authenticates, with the public keys private_key_jwt checks assertions against. */
export interface ClientAuthentication {
  /** null: either client_secret_basic or client_secret_post (what every application could do before). */
  readonly tokenEndpointAuthMethod: TokenEndpointAuthMethod | null;
  /** Public keys, inline (RFC 7591 `jwks`). */
  readonly jwks: JSONWebKeySet | null;
  /** Where the public keys are published (RFC 7591 `jwks_uri`). */
  readonly jwksUri: string | null;
  /** The certificate subject tls_client_auth requires (RFC 8705 §2.1.2); null for other methods. */
  readonly tlsSubject: TlsSubject | null;
}

export const MAX_JWKS_KEYS = 10;
/** Members of a private or symmetric JWK (RFC 7518 §6): a JWKS registered here must hold none. */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const;
const ASYMMETRIC_KEY_TYPES = ['RSA', 'EC', 'OKP'];

/** The methods a request may use for this application. */
export function allowedMethods(method: TokenEndpointAuthMethod | null): readonly TokenEndpointAuthMethod[] {
  return method === null ? SECRET_METHODS : [method];
}

/** Checks a method and its keys together: each method has the metadata it needs, and no other. */
export function validClientAuthentication(settings: ClientAuthentication): ClientAuthentication {
  const { tokenEndpointAuthMethod: method, jwks, jwksUri, tlsSubject } = settings;
  if (method !== null && !TOKEN_ENDPOINT_AUTH_METHODS.includes(method)) {
    throw invalid(`token_endpoint_auth_method must be one of ${TOKEN_ENDPOINT_AUTH_METHODS.join(', ')}`);
  }
  if (tlsSubject !== null && method !== 'tls_client_auth') {
    throw invalid(`${tlsSubject.field} is only for token_endpoint_auth_method tls_client_auth`);
  }
  if (method === 'tls_client_auth') {
    if (tlsSubject === null) {
      throw invalid(
        `tls_client_auth needs the subject its certificate must carry: one of ${TLS_FIELDS_TEXT}`,
      );
    }
    if (jwks !== null || jwksUri !== null) {
      throw invalid(
        'tls_client_auth takes no jwks or jwks_uri: its certificate is checked against TLS_CLIENT_CA_FILE',
      );
    }
    return {
      tokenEndpointAuthMethod: method,
      jwks: null,
      jwksUri: null,
      tlsSubject: validTlsSubject(tlsSubject),
    };
  }
  if (method === 'private_key_jwt' || method === 'self_signed_tls_client_auth') {
    if (jwks !== null && jwksUri !== null) throw invalid('give jwks or jwks_uri, not both');
    if (jwks === null && jwksUri === null) {
      throw invalid(`${method} needs the application’s public keys: jwks or jwks_uri`);
    }
    const keys = jwks === null ? null : validPublicJwks(jwks);
    if (method === 'self_signed_tls_client_auth') keys?.keys.forEach(validCertificateKey);
    return {
      tokenEndpointAuthMethod: method,
      jwks: keys,
      jwksUri: jwksUri === null ? null : validJwksUri(jwksUri),
      tlsSubject: null,
    };
  }
  if (jwks !== null || jwksUri !== null) {
    throw invalid(
      'jwks and jwks_uri are only for token_endpoint_auth_method private_key_jwt or self_signed_tls_client_auth',
    );
  }
  return { tokenEndpointAuthMethod: method, jwks: null, jwksUri: null, tlsSubject: null };
}

const TLS_FIELDS_TEXT = TLS_SUBJECT_FIELDS.join(', ');

/** A JWK Set of public signing keys, as registered inline or fetched from a jwks_uri. */
export function validPublicJwks(value: unknown): JSONWebKeySet {
  const jwks = value as JSONWebKeySet;
  if (typeof jwks !== 'object' || jwks === null || !Array.isArray(jwks.keys)) {
    throw invalid('jwks must be a JSON Web Key Set: an object with a keys array');
  }
  if (jwks.keys.length === 0 || jwks.keys.length > MAX_JWKS_KEYS) {
    throw invalid(`jwks must hold from 1 to ${MAX_JWKS_KEYS} keys, got ${jwks.keys.length}`);
  }
  jwks.keys.forEach(validPublicKey);
  return { keys: jwks.keys.map((key) => ({ ...key })) };
}

function validPublicKey(key: JWK, index: number): void {
  if (typeof key !== 'object' || key === null || Array.isArray(key)) {
    throw invalid(`jwks.keys[${index}] is not a JSON object`);
  }
  if (!ASYMMETRIC_KEY_TYPES.includes(String(key.kty))) {
    throw invalid(`jwks.keys[${index}]: kty must be RSA, EC or OKP (a public key), got ${String(key.kty)}`);
  }
  const secret = PRIVATE_MEMBERS.find((member) => member in key);
  if (secret !== undefined) {
    throw invalid(`jwks.keys[${index}] holds private key material (${secret}): register public keys only`);
  }
  try {
    createPublicKey({ key: key as JsonWebKey, format: 'jwk' });
  } catch {
    throw invalid(`jwks.keys[${index}] is not a valid ${String(key.kty)} public key`);
  }
}

/** Where the keys are fetched from; whether it may be reached is the fetcher's check (SSRF). */
function validJwksUri(uri: string): string {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    throw invalid('jwks_uri must be an absolute https URL');
  }
  if ((url.protocol !== 'https:' && url.protocol !== 'http:') || uri.length > 2000) {
    throw invalid('jwks_uri must be an absolute https URL of at most 2000 characters');
  }
  if (url.username !== '' || url.password !== '' || url.hash !== '') {
    throw invalid('jwks_uri must carry no credentials and no fragment');
  }
  return url.toString();
}

const invalid = (message: string) => new DomainError('invalid', message);
