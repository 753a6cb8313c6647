import { invalidClient } from './errors.js';
import { decodeFormComponent } from './form-body.js';

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
/** One decoder for every request: making one costs more than the decoding. */
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** RFC 6749 §2.3.1: the client_id and client_secret of an HTTP Basic Authorization header. */
export function parseBasicAuthorization(header: string): {
  clientId: string;
  clientSecret: string;
  method: 'client_secret_basic';
} {
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
