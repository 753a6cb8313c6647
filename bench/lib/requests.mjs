import { randomUUID } from 'node:crypto';
import { decodeProtectedHeader, jwtVerify } from 'jose';
import { post } from './http.mjs';
import { clientAssertions, dpopProofs } from './signed-pool.mjs';

/**
 * creds: { clientId, clientSecret, basicClientId?, customerId, jwtClientId?, clientKey? }.
 * kind: api | customer | unknown. auth: post | basic | private_key_jwt | dpop (client_secret_post
 * with a DPoP proof). The last two carry a JWT signed for each request: `pool(count)` makes them.
 */
export function tokenRequest(target, kind, auth) {
  const { creds } = target;
  const scope = kind === 'api' ? 'api' : kind === 'customer' ? `customer.${creds.customerId}` : undefined;
  const form = new URLSearchParams({ grant_type: 'client_credentials' });
  let authorization = '';
  let pool;
  if (auth === 'private_key_jwt') {
    const base = new URLSearchParams(form);
    if (scope !== undefined) base.set('scope', scope);
    base.set('client_assertion_type', 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer');
    const prefix = `${base.toString()}&client_assertion=`;
    pool = (count) => ({
      kind: 'body',
      items: clientAssertions(
        creds.clientKey,
        { clientId: creds.jwtClientId, audience: target.issuer ?? target.origin },
        count,
      ).map((jwt) => prefix + jwt),
    });
    return { scope, body: prefix, authorization, unknownPrefix: '', pool };
  }
  if (auth === 'dpop') {
    pool = (count) => ({
      kind: 'dpop',
      items: dpopProofs(creds.clientKey, target.tokenEndpoint, count),
    });
  }
  if (auth === 'basic') {
    const id = encodeURIComponent(creds.basicClientId ?? creds.clientId);
    authorization = `Basic ${Buffer.from(`${id}:${encodeURIComponent(creds.clientSecret)}`).toString('base64')}`;
  } else {
    form.set('client_id', creds.clientId);
    form.set('client_secret', creds.clientSecret);
  }
  if (scope !== undefined) form.set('scope', scope);
  return {
    scope,
    body: form.toString(),
    authorization,
    // For unknown customers the load generator appends a fresh UUID to this, per request.
    unknownPrefix: kind === 'unknown' ? '&scope=customer.' : '',
    pool,
  };
}

/** Fetches one token and verifies it against the target's JWKS: a fast error page must not pass. */
export async function verifyToken(target, kind, auth) {
  const req = tokenRequest(target, kind, auth);
  const headers = req.authorization ? { authorization: req.authorization } : {};
  if (kind === 'unknown') {
    const response = await post(
      target.tokenEndpoint,
      `${req.body}${req.unknownPrefix}${randomUUID()}`,
      headers,
    );
    const body = safeJson(response.text);
    if (response.status !== 400 || body?.error !== 'invalid_scope') {
      throw new Error(
        `an unknown customer should get 400 invalid_scope, got ${response.status} ${response.text.slice(0, 200)}`,
      );
    }
    return { status: response.status, error: body.error };
  }
  let requestBody = req.body;
  if (req.pool) {
    const [item] = req.pool(1).items;
    if (auth === 'dpop') headers.dpop = item;
    else requestBody = item;
  }
  const response = await post(target.tokenEndpoint, requestBody, headers);
  const body = safeJson(response.text);
  if (response.status !== 200 || typeof body?.access_token !== 'string') {
    throw new Error(
      `token request (${kind}, ${auth}) answered ${response.status}: ${response.text.slice(0, 300)}`,
    );
  }
  const tokenType = auth === 'dpop' ? 'dpop' : 'bearer';
  if (String(body.token_type).toLowerCase() !== tokenType)
    throw new Error(`token_type is ${body.token_type}`);
  if (!String(response.headers['cache-control'] ?? '').includes('no-store')) {
    throw new Error('the token response has no Cache-Control: no-store');
  }
  const { payload, protectedHeader } = await jwtVerify(body.access_token, target.jwks, {
    issuer: target.issuer,
    audience: target.audience,
    typ: 'at+jwt',
    algorithms: [target.alg],
  });
  const expectedClient =
    auth === 'basic'
      ? (target.creds.basicClientId ?? target.creds.clientId)
      : auth === 'private_key_jwt'
        ? target.creds.jwtClientId
        : target.creds.clientId;
  const problems = [];
  if (auth === 'dpop' && typeof payload.cnf?.jkt !== 'string') problems.push('no cnf.jkt');
  if (payload.client_id !== expectedClient) problems.push(`client_id ${payload.client_id}`);
  if (payload.sub !== expectedClient) problems.push(`sub ${payload.sub}`);
  if (payload.scope !== req.scope) problems.push(`scope ${payload.scope}`);
  if (typeof payload.jti !== 'string' || typeof payload.iat !== 'number' || typeof payload.exp !== 'number') {
    problems.push('jti/iat/exp missing');
  }
  if (!protectedHeader.kid) problems.push('no kid');
  if (
    target.name !== 'oidc-provider' &&
    kind === 'customer' &&
    payload.customer_id !== target.creds.customerId
  ) {
    problems.push(`customer_id ${payload.customer_id}`);
  }
  if (problems.length > 0) throw new Error(`token claims are wrong: ${problems.join(', ')}`);
  return { header: decodeProtectedHeader(body.access_token), claims: Object.keys(payload).sort() };
}

function safeJson(text) {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
