import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { ADMIN_THROTTLE_LIMITS } from '../../../src/domain/auth-throttle.js';
import {
  ADMIN,
  ADMIN_TOKEN,
  type AdminTestServer,
  expectAdminError,
  startAdminServer,
} from '../../helpers/admin-server.js';
import { windowClock } from '../../helpers/fake-clock.js';

const ATTACKER = '203.0.113.66';
const WRONG = `Bearer ${'0'.repeat(64)}`;

function expectThrottled(response: LightMyRequestResponse): number {
  expectAdminError(
    response,
    429,
    'too_many_requests',
    /too many failed admin authentications: retry in \d+ s/,
  );
  const wait = Number(response.headers['retry-after']);
  assert.ok(
    Number.isInteger(wait) && wait > 0 && wait <= 60,
    `Retry-After ${response.headers['retry-after']}`,
  );
  assert.equal(response.headers['www-authenticate'], undefined);
  return wait;
}

describe('brute force on the admin API', () => {
  const clock = windowClock(5, Date.now());
  let server: AdminTestServer;

  before(async () => {
    server = await startAdminServer({ clock });
  });
  after(() => server.close());

  const from = (address: string, authorization: string, path = '/applications') =>
    server.admin('GET', path, undefined, null, { authorization }, { remoteAddress: address });

  it('answers an address 401 for its first wrong tokens, then 429, and its right token 200 throughout', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 2000; i++) {
      const response = await from(ATTACKER, WRONG);
      statuses.push(response.statusCode);
      if (i % 250 === 0) {
        assert.equal((await from(ATTACKER, `Bearer ${ADMIN_TOKEN}`)).statusCode, 200, `round ${i}`);
      }
    }
    const limit = ADMIN_THROTTLE_LIMITS.pair;
    assert.deepEqual(statuses.slice(0, limit), Array(limit).fill(401));
    assert.deepEqual(new Set(statuses.slice(limit)), new Set([429]));
    expectThrottled(await from(ATTACKER, WRONG));
    // On the framework's own refusals too (a path it cannot decode), checked for the token first.
    expectThrottled(await from(ATTACKER, WRONG, '/applications/%E0%A4%A'));
    assert.equal((await from(ATTACKER, `Bearer ${ADMIN_TOKEN}`)).statusCode, 200, 'the right token, at once');
    // Another address is answered as usual, and so are the OAuth endpoints at that address.
    expectAdminError(await from('203.0.113.67', WRONG), 401, 'unauthorized', /the admin token is wrong/);
    const token = await server.requestToken({ clientId: 'c0ffee', clientSecret: 'x' }, 'api', undefined, {
      remoteAddress: ATTACKER,
    });
    assert.equal(token.statusCode, 401, token.body);
  });

  it('lets the address try again when the window ends', async () => {
    const wait = expectThrottled(await from(ATTACKER, WRONG));
    clock.advance(wait * 1000);
    expectAdminError(await from(ATTACKER, WRONG), 401, 'unauthorized', /the admin token is wrong/);
  });

  it('counts the wrong tokens in the audit log, one event per address and flush, not one per attempt', async () => {
    await server.services.failedAdminAuthentications.flush();
    const response = await server.admin('GET', '/audit?action=admin.authentication_failed');
    assert.equal(response.statusCode, 200, response.body);
    const events = response.json().items as {
      actor: string;
      target_type: string;
      target_id: string;
      detail: { count: number; throttled: number };
    }[];
    const attacker = events.filter((event) => event.actor === ATTACKER);
    assert.equal(attacker.length, 1, JSON.stringify(events));
    assert.equal(attacker[0]?.target_type, 'admin_api');
    assert.equal(attacker[0]?.target_id, 'admin-api');
    // 2,000 + 2 wrong tokens, the framework's refusal, and one after the window: all counted.
    assert.equal(attacker[0]?.detail.count, 2004);
    assert.equal(attacker[0]?.detail.throttled, 2004 - ADMIN_THROTTLE_LIMITS.pair - 1, 'all but the 401s');
    assert.ok(events.some((event) => event.actor === '203.0.113.67'));
  });

  it('counts no request that offers no token: a missing or malformed header is not a guess', async () => {
    const prober = '203.0.113.70';
    for (let i = 0; i < 20; i++) {
      const response = await server.app.inject({
        method: 'GET',
        url: `${ADMIN}/applications`,
        remoteAddress: prober,
      });
      expectAdminError(response, 401, 'unauthorized', /needs Authorization/);
      expectAdminError(await from(prober, 'Basic eDp5'), 401, 'unauthorized', /must be Bearer/);
    }
    expectAdminError(await from(prober, WRONG), 401, 'unauthorized', /the admin token is wrong/);
  });
});
