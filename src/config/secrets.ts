/** The admin token must be long enough that guessing it is hopeless. */
export const MIN_ADMIN_TOKEN_LENGTH = 32;
/** What production asks of the admin token's estimated entropy: as much as a client secret's half. */
export const MIN_ADMIN_TOKEN_BITS = 128;
/** Stretches of at least this many characters that occurred before add nothing to the estimate. */
const REPEATED_STRETCH = 3;
/** The estimate reads this much of a token; a longer one has plenty. */
const ESTIMATED_PREFIX = 512;

/**
 * Checks ADMIN_TOKEN: at least 32 characters and no whitespace in every mode; in production an
 * estimated entropy of at least 128 bits as well. The token itself is never put in a message.
 */
export function checkAdminToken(token: string, production: boolean, problems: string[]): void {
  if (/\s/.test(token)) {
    problems.push(
      'ADMIN_TOKEN must not contain whitespace (an Authorization header does not carry it intact)',
    );
  } else if (token.length < MIN_ADMIN_TOKEN_LENGTH) {
    problems.push(`ADMIN_TOKEN must be at least ${MIN_ADMIN_TOKEN_LENGTH} characters (openssl rand -hex 32)`);
  } else if (production && estimatedEntropyBits(token) < MIN_ADMIN_TOKEN_BITS) {
    problems.push(
      `ADMIN_TOKEN is too easy to guess for production: about ${Math.floor(estimatedEntropyBits(token))} ` +
        `bits of entropy where at least ${MIN_ADMIN_TOKEN_BITS} bits are needed (make one with openssl rand -hex 32)`,
    );
  }
}

/**
 * A cautious estimate of a secret's entropy in bits: log2 of the number of distinct characters it
 * uses, for each character that does not repeat an earlier stretch of three or more. `aaaa…` and
 * a word written eight times score near nothing; 64 hex characters from a generator about 250.
 */
export function estimatedEntropyBits(secret: string): number {
  const text = secret.slice(0, ESTIMATED_PREFIX);
  const bitsPerCharacter = Math.log2(new Set(text).size || 1);
  let fresh = 0;
  for (let i = 0; i < text.length; ) {
    const repeat = longestEarlierMatch(text, i);
    if (repeat >= REPEATED_STRETCH) {
      i += repeat;
    } else {
      fresh++;
      i++;
    }
  }
  return bitsPerCharacter * fresh;
}

/** The length of the longest stretch at `at` that also starts at an earlier position. */
function longestEarlierMatch(text: string, at: number): number {
  let longest = 0;
  for (let start = 0; start < at; start++) {
    let length = 0;
    while (at + length < text.length && text[start + length] === text[at + length]) length++;
    longest = Math.max(longest, length);
  }
  return longest;
}

const KEK_FORMS = '32 bytes, written as 64 hex characters or as base64 or base64url (openssl rand -hex 32)';

/**
 * Decodes KEY_ENCRYPTION_KEY strictly: 64 hex characters, or the 43 characters (and an optional
 * `=`) of base64 or base64url that encode exactly 32 bytes. Buffer.from(…, 'base64') alone would skip
 * characters it does not know and decode `AAAA…=!!!!` to something. Production also refuses a key
 * of one byte repeated (all zeros, say): a placeholder, not a key.
 */
export function parseKeyEncryptionKey(
  raw: string | undefined,
  production: boolean,
  problems: string[],
): Buffer | undefined {
  if (raw === undefined) return undefined;
  const bytes = decodeKey(raw);
  if (bytes === undefined) {
    problems.push(`KEY_ENCRYPTION_KEY must be ${KEK_FORMS}`);
    return undefined;
  }
  if (production && bytes.every((byte) => byte === bytes[0])) {
    problems.push(
      `KEY_ENCRYPTION_KEY is one byte repeated (all zeros?): production needs a random key, ${KEK_FORMS}`,
    );
    return undefined;
  }
  return bytes;
}

function decodeKey(raw: string): Buffer | undefined {
  if (/^[0-9a-fA-F]{64}$/.test(raw)) return Buffer.from(raw, 'hex');
  const unpadded = raw.replace(/=$/, '');
  const alphabet = /^[A-Za-z0-9+/]{43}$/.test(unpadded)
    ? 'base64'
    : /^[A-Za-z0-9_-]{43}$/.test(unpadded)
      ? 'base64url'
      : undefined;
  if (alphabet === undefined) return undefined;
  const bytes = Buffer.from(unpadded, alphabet);
  // The last character carries two bits beyond the 32 bytes: they must be zero, as an encoder writes them.
  return bytes.length === 32 && bytes.toString(alphabet).replace(/=$/, '') === unpadded ? bytes : undefined;
}
