import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { pino } from 'pino';
import type { TrustedProxies } from '../../src/config/config.js';
import { THROTTLE_LIMITS } from '../../src/domain/auth-throttle.js';
import {
  callerAddress,
  forwardedForFilter,
  ignoreUnusableForwardedFor,
  proxyTrust,
  usableForwardedFor,
} from '../../src/http/trusted-proxies.js';
import { FORM_HEADERS, form, startTestServer, type TestServer } from '../helpers/test-server.js';

/** A bare app with our proxy rules that answers with request.ip, and the warnings it logged. */
async function echoApp(trusted: TrustedProxies) {
  const warnings: Record<string, unknown>[] = [];
  const logger = pino(
    { level: 'warn' },
    { write: (line: string) => void warnings.push(JSON.parse(line) as Record<string, unknown>) },
  );
  const trust = proxyTrust(trusted);
  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    trustProxy: trust,
  }) as unknown as FastifyInstance;
  ignoreUnusableForwardedFor(app, forwardedForFilter());
  // The fast path's own reading of the address beside Fastify's: they must never differ.
  app.get('/ip', async (request) => ({ ip: request.ip, fastPath: callerAddress(request.raw, trust) }));
  const ipOf = async (remoteAddress: string, forwardedFor?: string) => {
    const response = await app.inject({
      url: '/ip',
      remoteAddress,
      headers: forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor },
    });
    const { ip, fastPath } = response.json() as { ip: string; fastPath: string };
    assert.equal(fastPath, ip, `the fast path finds ${fastPath}, Fastify ${ip}`);
    return ip;
  };
  return { app, ipOf, warnings };
}

const PROXY = '10.0.0.1';
const CALLER = '203.0.113.9';

describe('the caller behind trusted proxies', () => {
  it('subnets: the rightmost address not a proxy of ours; a spoofed leftmost address changes nothing', async () => {
    const { ipOf } = await echoApp({ subnets: ['10.0.0.0/8'] });
    assert.equal(await ipOf(PROXY, CALLER), CALLER);
    assert.equal(await ipOf(PROXY, `198.51.100.1, ${CALLER}`), CALLER);
    assert.equal(await ipOf(PROXY, `1.1.1.1, 2.2.2.2, ${CALLER}, 10.0.0.2`), CALLER);
    // Not from a proxy of ours: the header is the caller's own word, and ignored.
    assert.equal(await ipOf(CALLER, '198.51.100.1'), CALLER);
    assert.equal(await ipOf(`::ffff:${PROXY}`, CALLER), CALLER);
  });

  it('hop counts: that many addresses from the right are proxies', async () => {
    const one = await echoApp({ hops: 1 });
    assert.equal(await one.ipOf(PROXY, `198.51.100.1, ${CALLER}`), CALLER);
    assert.equal(await one.ipOf(PROXY, CALLER), CALLER);
    assert.equal(await one.ipOf(PROXY), PROXY);
    const two = await echoApp({ hops: 2 });
    assert.equal(await two.ipOf(PROXY, `198.51.100.1, ${CALLER}, 10.0.0.2`), CALLER);
    // Fewer entries than hops: the leftmost there is.
    assert.equal(await two.ipOf(PROXY, CALLER), CALLER);
  });

  it('never takes an entry that is not an IP address as the caller: it is skipped, and logged once', async () => {
    const { ipOf, warnings } = await echoApp({ subnets: ['10.0.0.0/8'] });
    // A proxy of ours passed on garbage: the caller is that proxy, not anything left of the garbage.
    assert.equal(await ipOf(PROXY, `${CALLER}, unknown, 10.0.0.2`), '10.0.0.2');
    assert.equal(await ipOf(PROXY, `${CALLER}, <script>`), PROXY);
    assert.equal(await ipOf(PROXY, 'x'.repeat(5000)), PROXY);
    assert.equal(await ipOf(PROXY, `garbage, ${CALLER}`), CALLER);
    const hops = await echoApp({ hops: 2 });
    assert.equal(await hops.ipOf(PROXY, `198.51.100.1, not-an-ip, ${CALLER}`), CALLER);
    assert.equal(await hops.ipOf(PROXY, `198.51.100.1, ${CALLER}, not-an-ip`), PROXY);

    const said = warnings.filter((w) => String(w.msg).includes('X-Forwarded-For'));
    assert.equal(said.length, 1, JSON.stringify(warnings));
    assert.equal(said[0]?.entry, 'unknown');
  });

  it('reads entries with a port, as some load balancers write them', async () => {
    const { ipOf } = await echoApp({ subnets: ['10.0.0.0/8'] });
    assert.equal(await ipOf(PROXY, `${CALLER}:51234`), CALLER);
    assert.equal(await ipOf(PROXY, '[2001:db8::7]:443'), '2001:db8::7');
  });

  it('usableForwardedFor keeps a clean header as it is', () => {
    assert.deepEqual(usableForwardedFor('1.2.3.4, 5.6.7.8'), { value: '1.2.3.4, 5.6.7.8' });
    assert.deepEqual(usableForwardedFor('a, 1.2.3.4'), { value: '1.2.3.4', rejected: 'a' });
  });
});

describe('TRUST_PROXY=1 in the server: a caller is throttled by its own address, whatever it forges', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ env: { TRUST_PROXY: '1' } });
  });
  after(() => server.close());

  const failViaProxy = (forwardedFor: string) =>
    server.app.inject({
      method: 'POST',
      url: '/oauth2/token',
      remoteAddress: PROXY,
      headers: { ...FORM_HEADERS, 'x-forwarded-for': forwardedFor },
      payload: form({
        grant_type: 'client_credentials',
        scope: 'api',
        client_id: randomUUID(),
        client_secret: 'wrong',
      }),
    });

  it('a spoofed leftmost address in every request changes nothing, and the proxy is not throttled', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < THROTTLE_LIMITS.address + 5; i++) {
      statuses.push((await failViaProxy(`198.51.100.${i}, ${CALLER}`)).statusCode);
    }
    assert.ok(statuses.includes(429), `the forging caller is throttled: ${statuses.join(' ')}`);
    // Another caller through the same proxy is not.
    assert.equal((await failViaProxy(`${CALLER}, 198.51.100.77`)).statusCode, 401);
  });
});
