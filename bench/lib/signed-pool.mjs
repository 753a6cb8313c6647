// Requests that carry a JWT the client signs for each one (issue 14): private_key_jwt client
// assertions and DPoP proofs. Each needs a unique jti (the server keeps a replay cache) and a recent
// time (an assertion's exp at most 5 minutes ahead, a proof's iat within 60 s of now), and wrk cannot
// sign: so the bench signs a pool of them just before each run, one a line in a file the wrk script
// reads (bench/load/token.lua), large enough that none is used twice.
import { constants, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const b64 = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** A client's key pair for `alg` (the same algorithm the server signs its tokens with). */
export function clientKey(alg) {
  const pair =
    alg === 'ES256'
      ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
      : alg === 'EdDSA'
        ? generateKeyPairSync('ed25519')
        : generateKeyPairSync('rsa', { modulusLength: 2048 });
  const kid = `bench-${randomBytes(4).toString('hex')}`;
  const publicJwk = pair.publicKey.export({ format: 'jwk' });
  const signKey =
    alg === 'ES256'
      ? { key: pair.privateKey, dsaEncoding: 'ieee-p1363' }
      : alg === 'PS256'
        ? {
            key: pair.privateKey,
            padding: constants.RSA_PKCS1_PSS_PADDING,
            saltLength: constants.RSA_PSS_SALTLEN_DIGEST,
          }
        : pair.privateKey;
  return { alg, kid, publicJwk, signKey, digest: alg === 'EdDSA' ? null : 'sha256' };
}

function signJwt(key, header, payload) {
  const input = `${b64(header)}.${b64(payload)}`;
  return `${input}.${sign(key.digest, Buffer.from(input), key.signKey).toString('base64url')}`;
}

/** `count` client assertions (RFC 7523) for `clientId`, valid for the next 4 minutes. */
export function clientAssertions(key, { clientId, audience }, count) {
  const now = Math.floor(Date.now() / 1000);
  const prefix = randomBytes(8).toString('hex');
  const header = { alg: key.alg, kid: key.kid, typ: 'JWT' };
  const out = new Array(count);
  for (let i = 0; i < count; i++) {
    out[i] = signJwt(key, header, {
      iss: clientId,
      sub: clientId,
      aud: audience,
      iat: now,
      exp: now + 240,
      jti: `${prefix}-${i}`,
    });
  }
  return out;
}

/** `count` DPoP proofs (RFC 9449) for POST `htu`, made now (the server allows 60 s either way). */
export function dpopProofs(key, htu, count) {
  const now = Math.floor(Date.now() / 1000);
  const prefix = randomBytes(8).toString('hex');
  const header = { typ: 'dpop+jwt', alg: key.alg, jwk: key.publicJwk };
  const out = new Array(count);
  for (let i = 0; i < count; i++) {
    out[i] = signJwt(key, header, { htm: 'POST', htu, iat: now, jti: `${prefix}-${i}` });
  }
  return out;
}

/** Writes the pool for one run to a file in `dir`; returns its path. */
export function writePool(dir, items) {
  const file = join(dir, 'pool.txt');
  writeFileSync(file, `${items.join('\n')}\n`);
  return file;
}
