// The floor: what any Node.js server issuing these tokens at least has to pay. A bare node:http
// server that parses the form with URLSearchParams, authenticates the client by comparing a SHA-256
// digest of the secret with crypto.timingSafeEqual (client_secret_post or client_secret_basic),
// looks the customer up in a Map, and signs an RFC 9068 JWT of the same header and claims shape as
// lean-auth's with node:crypto.sign and a pre-built KeyObject.
//
// Environment: PORT, ALG (RS256 | PS256 | ES256 | EdDSA), CLIENT_ID, CLIENT_SECRET, CUSTOMER_ID.
import { constants, createHash, generateKeyPairSync, randomUUID, sign, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';

const port = Number(process.env.PORT);
const alg = process.env.ALG ?? 'ES256';
const clientId = process.env.CLIENT_ID;
const secretDigest = createHash('sha256').update(process.env.CLIENT_SECRET).digest();
const issuer = `http://127.0.0.1:${port}`;
const lifetime = 3600;

const clients = new Map([[clientId, { clientId, digest: secretDigest }]]);
const customers = new Map([[process.env.CUSTOMER_ID, { clientId, status: 'active' }]]);

const { privateKey, publicKey } =
  alg === 'RS256' || alg === 'PS256'
    ? generateKeyPairSync('rsa', { modulusLength: 2048 })
    : alg === 'ES256'
      ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
      : generateKeyPairSync('ed25519');
const kid = randomUUID();
const digest = alg === 'EdDSA' ? null : 'sha256';
const signKey =
  alg === 'ES256'
    ? { key: privateKey, dsaEncoding: 'ieee-p1363' }
    : alg === 'PS256'
      ? {
          key: privateKey,
          padding: constants.RSA_PKCS1_PSS_PADDING,
          saltLength: constants.RSA_PSS_SALTLEN_DIGEST,
        }
      : privateKey;
const headerPrefix = `${Buffer.from(JSON.stringify({ alg, typ: 'at+jwt', kid })).toString('base64url')}.`;
const jwks = JSON.stringify({ keys: [{ ...publicKey.export({ format: 'jwk' }), kid, alg, use: 'sig' }] });
const metadata = JSON.stringify({
  issuer,
  token_endpoint: `${issuer}/oauth2/token`,
  jwks_uri: `${issuer}/.well-known/jwks.json`,
  grant_types_supported: ['client_credentials'],
  token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
});

const JSON_NO_STORE = {
  'content-type': 'application/json; charset=utf-8',
  'cache-control': 'no-store',
  pragma: 'no-cache',
};

function error(res, status, code) {
  const body = JSON.stringify({ error: code, error_description: code });
  res.writeHead(status, { ...JSON_NO_STORE, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

function credentials(form, authorization) {
  if (authorization !== undefined) {
    if (!authorization.startsWith('Basic ')) return undefined;
    const decoded = Buffer.from(authorization.slice(6), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon === -1 || form.has('client_secret')) return undefined;
    return [decodeURIComponent(decoded.slice(0, colon)), decodeURIComponent(decoded.slice(colon + 1))];
  }
  const id = form.get('client_id');
  const secret = form.get('client_secret');
  return id === null || secret === null ? undefined : [id, secret];
}

function token(req, res, body) {
  const form = new URLSearchParams(body);
  if (form.get('grant_type') !== 'client_credentials') return error(res, 400, 'unsupported_grant_type');
  const pair = credentials(form, req.headers.authorization);
  if (pair === undefined) return error(res, 401, 'invalid_client');
  const client = clients.get(pair[0]);
  const presented = createHash('sha256').update(pair[1]).digest();
  if (!timingSafeEqual(presented, client?.digest ?? secretDigest) || client === undefined) {
    return error(res, 401, 'invalid_client');
  }
  const scope = form.get('scope');
  let customerId;
  if (scope !== 'api') {
    customerId = scope?.startsWith('customer.') ? scope.slice(9) : undefined;
    const customer = customerId === undefined ? undefined : customers.get(customerId);
    if (customer === undefined || customer.clientId !== client.clientId) {
      return error(res, 400, 'invalid_scope');
    }
  }
  const iat = Math.floor(Date.now() / 1000);
  const claims = {
    iss: issuer,
    sub: client.clientId,
    aud: issuer,
    iat,
    exp: iat + lifetime,
    jti: randomUUID(),
    client_id: client.clientId,
    scope,
    ...(customerId !== undefined && { customer_id: customerId }),
  };
  const input = headerPrefix + Buffer.from(JSON.stringify(claims)).toString('base64url');
  const jwt = `${input}.${sign(digest, Buffer.from(input), signKey).toString('base64url')}`;
  const out = JSON.stringify({ access_token: jwt, token_type: 'bearer', expires_in: lifetime, scope });
  res.writeHead(200, { ...JSON_NO_STORE, 'content-length': Buffer.byteLength(out) });
  res.end(out);
}

const server = createServer((req, res) => {
  if (req.method === 'POST' && req.url === '/oauth2/token') {
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => token(req, res, Buffer.concat(chunks).toString('utf8')));
    return;
  }
  const document =
    req.url === '/.well-known/jwks.json'
      ? jwks
      : req.url === '/.well-known/oauth-authorization-server'
        ? metadata
        : undefined;
  if (document === undefined) return error(res, 404, 'not_found');
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(document);
});
server.keepAliveTimeout = 60_000;
server.listen(port, '127.0.0.1', () => process.stdout.write(`floor listening on ${issuer}\n`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
