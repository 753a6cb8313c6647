import type { Client } from '../domain/client.js';
import type { TokenEndpointAuthMethod } from '../domain/client-auth-method.js';
import { secretMatches } from '../domain/client-secrets.js';
import { andThen, type Eventually } from '../domain/eventually.js';
import { parseBasicAuthorization } from './basic-credentials.js';
import { certificateFailure, certificateMismatch } from './certificate-authentication.js';
import { invalidClient, invalidRequest, OAuthError } from './errors.js';
import type { FormParameters } from './form-body.js';
import type { ClientCertificate, OAuthContext, OAuthRequest } from './ports.js';
import { assertionProves, readClientAssertion } from './private-key-jwt.js';

/**
 * Client authentication (RFC 6749 §2.3): which method the request uses, the credentials it carries,
 * and whether they are right. Methods are keyed by their RFC 7591 `token_endpoint_auth_method`
 * names; each reads its own part of the request. A new method (private_key_jwt, tls_client_auth)
 * is one more entry in CLIENT_AUTH_METHODS, with its own way of proving the client.
 */
export type ClientAuthMethodName = 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt';

export type ClientCredentials =
  | {
      readonly clientId: string;
      readonly clientSecret: string;
      readonly method: 'client_secret_basic' | 'client_secret_post';
    }
  | { readonly clientId: string; readonly assertion: string; readonly method: 'private_key_jwt' }
  /** RFC 8705: the client_id alone in the form, and the connection's certificate. */
  | { readonly clientId: string; readonly certificate: ClientCertificate; readonly method: 'certificate' };

interface ClientAuthMethod {
  /** Where the method's credentials travel, for the error naming two methods used at once. */
  readonly where: string;
  /** Whether the request carries credentials of this method (well-formed or not). */
  presentedIn(request: OAuthRequest, parameters: FormParameters): boolean;
  /** The credentials, checked for form only; whether they are right is `authenticateClient`'s job. */
  read(request: OAuthRequest, parameters: FormParameters): ClientCredentials;
}

/** One answer for an unknown client_id and a wrong secret, so neither tells an attacker anything. */
export const AUTHENTICATION_FAILED = 'client authentication failed: unknown client_id or wrong client_secret';
/** The same for an assertion: an unknown client_id and a key the application lacks answer alike. */
export const ASSERTION_FAILED =
  'client authentication failed: unknown client_id, or a client_assertion not signed by a key of the application';
/** The longest client_id we issue: a UUID. A longer one names no client, and is not kept anywhere. */
export const MAX_CLIENT_ID_LENGTH = 36;

type AuthenticationContext = Pick<
  OAuthContext,
  'clients' | 'clock' | 'failedAuthentications' | 'issuer' | 'assertionReplays' | 'clientKeys'
>;

/** RFC 6749 §2.3.1: HTTP Basic, id and secret form-urlencoded before base64. */
const clientSecretBasic: ClientAuthMethod = {
  where: 'in the Authorization header',
  presentedIn: (request) => request.authorization !== undefined,
  read(request, parameters) {
    const credentials = parseBasicAuthorization(request.authorization ?? '');
    const bodyId = parameters.get('client_id');
    if (bodyId !== undefined && bodyId !== credentials.clientId) {
      throw invalidRequest('client_id in the body differs from the one in the Authorization header');
    }
    return credentials;
  },
};

/** RFC 6749 §2.3.1: client_id and client_secret in the form body (the contract's method). */
const clientSecretPost: ClientAuthMethod = {
  where: 'in the body',
  presentedIn: (_request, parameters) => parameters.has('client_secret'),
  read(_request, parameters) {
    const clientId = parameters.get('client_id');
    const clientSecret = parameters.get('client_secret');
    if (clientId === undefined) throw invalidClient('client_id is missing', false);
    if (clientSecret === undefined) throw invalidClient('client_secret is missing', false);
    return { clientId, clientSecret, method: 'client_secret_post' };
  },
};

/** RFC 7523 §2.2: a JWT signed with the client's private key, in the body. */
const privateKeyJwt: ClientAuthMethod = {
  where: 'as a client_assertion',
  presentedIn: (_request, parameters) =>
    parameters.has('client_assertion') || parameters.has('client_assertion_type'),
  read: (_request, parameters) => ({ ...readClientAssertion(parameters), method: 'private_key_jwt' }),
};

/** The methods this server accepts, in the order their malformed credentials are reported. */
const CLIENT_AUTH_METHODS: Readonly<Record<ClientAuthMethodName, ClientAuthMethod>> = {
  client_secret_basic: clientSecretBasic,
  client_secret_post: clientSecretPost,
  private_key_jwt: privateKeyJwt,
};

/** For the RFC 8414 metadata: `token_endpoint_auth_methods_supported` and its siblings. */
export const CLIENT_AUTH_METHOD_NAMES = Object.keys(CLIENT_AUTH_METHODS) as readonly ClientAuthMethodName[];

/** The client's credentials, by exactly one method (RFC 6749 §2.3: a client uses one per request). */
export function readClientCredentials(request: OAuthRequest, parameters: FormParameters): ClientCredentials {
  const [first, ...others] = Object.values(CLIENT_AUTH_METHODS).filter((method) =>
    method.presentedIn(request, parameters),
  );
  if (first === undefined) {
    const clientId = parameters.get('client_id');
    if (clientId === undefined) {
      throw invalidClient(
        'client authentication is required: send client_id and client_secret in the body, use HTTP Basic, send a client_assertion, or client_id with a TLS client certificate',
        false,
      );
    }
    // Only now is the certificate looked at: requests with a secret or an assertion never pay for it.
    const certificate = request.clientCertificate();
    if (certificate === undefined) {
      throw invalidClient('client_secret is missing, and no TLS client certificate was presented', false);
    }
    return { clientId, certificate, method: 'certificate' };
  }
  const credentials = first.read(request, parameters);
  if (others[0] !== undefined) {
    throw invalidRequest(
      `client credentials are sent both ${first.where} and ${others[0].where}; use one method`,
    );
  }
  return credentials;
}

/** The client that sent the request, authenticated by whichever method it used. */
export function authenticateCaller(
  request: OAuthRequest,
  parameters: FormParameters,
  context: AuthenticationContext,
): Eventually<Client> {
  return authenticateClient(readClientCredentials(request, parameters), request.sourceIp, context);
}

/**
 * Checks the credentials against the cached client, before anything else: a request with valid
 * credentials is never refused by the failure throttle, whatever others did from its address or
 * in its name. An unknown client is compared against no digests by the same code, so it costs what
 * a wrong secret costs, and both are counted and throttled alike (by the client_id sent). Only the
 * error's private detail, for the log, tells them apart. A secret checked against a warm cache
 * answers at once; an assertion (its keys may be fetched) and a cold cache answer later.
 */
export function authenticateClient(
  credentials: ClientCredentials,
  sourceIp: () => string,
  context: AuthenticationContext,
): Eventually<Client> {
  // Refused before it is looked up, counted or audited: a flood of long ids costs no memory or disk.
  if (credentials.clientId.length > MAX_CLIENT_ID_LENGTH) {
    const basic = credentials.method === 'client_secret_basic';
    throw invalidClient(AUTHENTICATION_FAILED, basic, 'client_id longer than any we issue');
  }
  return andThen(context.clients.find(credentials.clientId), (client) =>
    andThen(proofFailure(client, credentials, context), (detail) =>
      judged(client, detail, credentials, sourceIp, context),
    ),
  );
}

/** The client once its credentials are judged: admitted, or refused (counted, perhaps throttled). */
function judged(
  client: Client | null,
  detail: string | undefined,
  credentials: ClientCredentials,
  sourceIp: () => string,
  context: AuthenticationContext,
): Client {
  const basic = credentials.method === 'client_secret_basic';
  if (client === null || detail !== undefined) {
    const wait = context.failedAuthentications.record(credentials.clientId, sourceIp());
    if (wait > 0) {
      throw new OAuthError(
        'temporarily_unavailable',
        `too many failed client authentications: retry in ${wait} s`,
        429,
        { 'Retry-After': String(wait) },
        detail,
      );
    }
    throw invalidClient(failureDescription(credentials), basic, detail);
  }
  // A certificate proves only a client registered for the method it matched.
  if (credentials.method !== 'certificate') refuseOtherMethod(client, credentials.method);
  if (!client.active) throw invalidClient('the application is disabled', basic);
  return client;
}

/** Why the credentials do not prove the client, for the log (undefined when they do). */
function proofFailure(
  client: Client | null,
  credentials: ClientCredentials,
  context: AuthenticationContext,
): Eventually<string | undefined> {
  if (credentials.method === 'certificate') {
    return certificateMismatch(client, credentials.certificate, context);
  }
  if (credentials.method === 'private_key_jwt') {
    return assertionProves(client, credentials.assertion, context).then((proved) =>
      proved && client !== null
        ? undefined
        : client === null
          ? 'unknown client_id'
          : 'client_assertion not signed by a key of the application',
    );
  }
  // Compared even for an unknown client (against no digests), so that both cost the same.
  const proved = secretProves(client, credentials.clientSecret, context.clock.now());
  if (client === null) return 'unknown client_id';
  return proved ? undefined : 'wrong client_secret';
}

function failureDescription(credentials: ClientCredentials): string {
  if (credentials.method === 'certificate') return certificateFailure(credentials.certificate);
  return credentials.method === 'private_key_jwt' ? ASSERTION_FAILED : AUTHENTICATION_FAILED;
}

/** Whether the secret is one of the client's live ones; an unknown client is compared against none. */
function secretProves(client: Client | null, secret: string, now: number): boolean {
  const digests: Buffer[] = [];
  for (const s of client?.secrets ?? [])
    if (s.expiresAt === null || s.expiresAt > now) digests.push(s.digest);
  return secretMatches(secret, digests);
}

/**
 * Refuses a method the application is not registered for. Called only once the credentials proved
 * the client: naming its method to anyone holding just a client_id would tell an unknown id from
 * a known one, and which method to attack.
 */
function refuseOtherMethod(client: Client, method: TokenEndpointAuthMethod): void {
  if (client.authMethods.includes(method)) return;
  throw invalidClient(
    `this application authenticates with ${client.authMethods.join(' or ')}, not ${method}`,
    method === 'client_secret_basic',
  );
}
