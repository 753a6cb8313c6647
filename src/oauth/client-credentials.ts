import { invalidClient, invalidRequest } from './errors.js';
import { decodeFormComponent, type FormParameters } from './form-body.js';

export type ClientAuthMethod = 'client_secret_basic' | 'client_secret_post';
export const CLIENT_AUTH_METHODS: readonly ClientAuthMethod[] = ['client_secret_basic', 'client_secret_post'];

export interface ClientCredentials {
  readonly clientId: string;
  readonly clientSecret: string;
  readonly method: ClientAuthMethod;
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
/** One decoder for every request: making one costs more than the decoding. */
const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The client's credentials from HTTP Basic or from the body (RFC 6749 §2.3.1), never both.
 * Only the form of the credentials is checked here; whether they are right is authentication's job.
 */
export function readClientCredentials(
  parameters: FormParameters,
  authorization: string | undefined,
): ClientCredentials {
  const bodyId = parameters.get('client_id');
  const bodySecret = parameters.get('client_secret');
  if (authorization !== undefined) {
    const basic = parseBasicAuthorization(authorization);
    if (bodySecret !== undefined) {
      throw invalidRequest(
        'client credentials are sent both in the Authorization header and in the body; use one method',
      );
    }
    if (bodyId !== undefined && bodyId !== basic.clientId) {
      throw invalidRequest('client_id in the body differs from the one in the Authorization header');
    }
    return basic;
  }
  if (bodyId === undefined && bodySecret === undefined) {
    throw invalidClient(
      'client authentication is required: send client_id and client_secret in the body, or use HTTP Basic',
      false,
    );
  }
  if (bodyId === undefined) throw invalidClient('client_id is missing', false);
  if (bodySecret === undefined) throw invalidClient('client_secret is missing', false);
  return { clientId: bodyId, clientSecret: bodySecret, method: 'client_secret_post' };
}

function parseBasicAuthorization(header: string): ClientCredentials {
  const match = /^([A-Za-z]+) +(.*)$/.exec(header.trim());
  const scheme = match?.[1] ?? header.trim().split(' ')[0] ?? '';
  if (scheme.toLowerCase() !== 'basic') {
    throw invalidClient(
      `the Authorization header must use the Basic scheme, got '${scheme.slice(0, 20)}'`,
      true,
    );
  }
  const encoded = match?.[2]?.trim() ?? '';
  if (encoded === '' || encoded.length % 4 !== 0 || !BASE64.test(encoded)) {
    throw invalidClient('malformed Basic credentials: not valid base64', true);
  }
  let decoded: string;
  try {
    decoded = utf8.decode(Buffer.from(encoded, 'base64'));
  } catch {
    throw invalidClient('malformed Basic credentials: not valid UTF-8', true);
  }
  const colon = decoded.indexOf(':');
  if (colon === -1)
    throw invalidClient("malformed Basic credentials: no ':' between client_id and client_secret", true);
  const clientId = formDecode(decoded.slice(0, colon));
  const clientSecret = formDecode(decoded.slice(colon + 1));
  if (clientId === '') throw invalidClient('malformed Basic credentials: client_id is empty', true);
  if (clientSecret === '') throw invalidClient('malformed Basic credentials: client_secret is empty', true);
  return { clientId, clientSecret, method: 'client_secret_basic' };
}

/** RFC 6749 §2.3.1: Basic credentials are form-urlencoded before base64. */
function formDecode(value: string): string {
  const decoded = decodeFormComponent(value);
  if (decoded === undefined)
    throw invalidClient('malformed Basic credentials: invalid form-urlencoding', true);
  return decoded;
}
