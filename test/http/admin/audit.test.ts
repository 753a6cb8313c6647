import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { type AdminTestServer, expectAdminError, startAdminServer } from '../../helpers/admin-server.js';
import { FakeClock } from '../../helpers/fake-clock.js';
import type { ClientCredentials } from '../../helpers/test-server.js';

const EVENT_FIELDS = ['action', 'actor', 'at', 'detail', 'id', 'target_id', 'target_type'];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

interface AuditView {
  id: string;
  at: string;
  actor: string;
  action: string;
  target_type: string;
  target_id: string | null;
  detail: Record<string, unknown>;
}

const clock = new FakeClock();
let server: AdminTestServer;
let client: ClientCredentials;
let customerId: string;
let kid: string;
/** Every secret the server handed out in this file. */
const secrets: string[] = [];
/** When each admin action happened (one second apart), by action. */
const times: Record<string, number> = {};

/** Runs an admin action one second after the previous one, and remembers its time. */
async function step(action: string, run: () => Promise<unknown>): Promise<void> {
  clock.advance(1000);
  times[action] = clock.now();
  await run();
}

async function audit(query = ''): Promise<{ items: AuditView[]; next_after: string | null }> {
  const response = await server.admin('GET', `/audit${query}`);
  assert.equal(response.statusCode, 200, response.body);
  assert.equal(response.headers['cache-control'], 'no-store');
  return response.json();
}

before(async () => {
  server = await startAdminServer({ clock });
  await step('application.create', async () => {
    client = await server.createApplication({ name: 'audited' });
    secrets.push(client.clientSecret);
  });
  await step('application.update', () =>
    server.admin('PATCH', `/applications/${client.clientId}`, {
      name: 'audited, renamed',
      api_token_ttl: 600,
    }),
  );
  await step('application.disable', () => server.admin('POST', `/applications/${client.clientId}/disable`));
  await step('application.enable', () => server.admin('POST', `/applications/${client.clientId}/enable`));
  await step('application.rotate_secret', async () => {
    const response = await server.admin('POST', `/applications/${client.clientId}/rotate-secret`, {
      grace_seconds: 60,
    });
    secrets.push(response.json().client_secret);
  });
  await step('customer.create', async () => {
    const response = await server.admin('POST', `/applications/${client.clientId}/customers`, {
      app_user_id: 'audited-user',
    });
    customerId = response.json().customer_id;
  });
  await step('customer.disable', () => server.admin('POST', `/customers/${customerId}/disable`));
  await step('customer.enable', () => server.admin('POST', `/customers/${customerId}/enable`));
  await step('key.rotate', async () => {
    kid = (await server.admin('POST', '/keys/rotate', { now: true })).json().kid;
  });
  await step('cli', async () => {
    const created = await server.services.applications.create({ name: 'from the CLI' }, 'cli:alice');
    secrets.push(created.clientSecret);
  });
});
after(() => server.close());

describe('GET /admin/v1/audit', () => {
  it('records every admin action, newest first, by admin-api, with its target', async () => {
    const { items, next_after } = await audit();
    assert.equal(next_after, null);
    for (const event of items) {
      assert.deepEqual(Object.keys(event).sort(), EVENT_FIELDS);
      assert.match(event.id, UUID);
    }
    const ats = items.map((e) => Date.parse(e.at));
    assert.deepEqual(
      ats,
      [...ats].sort((a, b) => b - a),
      'newest first',
    );
    const mine = items.filter((e) => e.actor === 'admin-api').reverse();
    assert.deepEqual(
      mine.map((e) => [e.action, e.target_type, e.target_id, e.at]),
      [
        ['application.create', 'application', client.clientId, iso(times['application.create'])],
        ['application.update', 'application', client.clientId, iso(times['application.update'])],
        ['application.disable', 'application', client.clientId, iso(times['application.disable'])],
        ['application.enable', 'application', client.clientId, iso(times['application.enable'])],
        [
          'application.rotate_secret',
          'application',
          client.clientId,
          iso(times['application.rotate_secret']),
        ],
        ['customer.create', 'customer', customerId, iso(times['customer.create'])],
        ['customer.disable', 'customer', customerId, iso(times['customer.disable'])],
        ['customer.enable', 'customer', customerId, iso(times['customer.enable'])],
        ['key.rotate', 'signing_key', kid, iso(times['key.rotate'])],
      ],
    );
    // The first key, made when the server started, and the CLI's change are there too.
    assert.ok(items.some((e) => e.action === 'key.rotate' && e.actor === 'system'));
    assert.ok(items.some((e) => e.action === 'application.create' && e.actor === 'cli:alice'));
  });

  it('keeps before and after of each change', async () => {
    const [update] = (await audit('?action=application.update')).items;
    assert.ok(update);
    const { before, after } = update.detail as Record<string, Record<string, unknown>>;
    assert.equal(before?.name, 'audited');
    assert.equal(after?.name, 'audited, renamed');
    assert.equal(before?.api_token_ttl, null);
    assert.equal(after?.api_token_ttl, 600);

    const statuses = async (action: string) => {
      const [event] = (await audit(`?action=${action}`)).items;
      assert.ok(event, action);
      const { before, after } = event.detail as Record<string, { status: string } | undefined>;
      return [before?.status, after?.status];
    };
    assert.deepEqual(await statuses('application.disable'), ['active', 'disabled']);
    assert.deepEqual(await statuses('application.enable'), ['disabled', 'active']);
    assert.deepEqual(await statuses('customer.disable'), ['active', 'disabled']);
    assert.deepEqual(await statuses('customer.enable'), ['disabled', 'active']);
    assert.deepEqual(await statuses('customer.create'), [undefined, 'active']);

    // The application as the admin API shows it, exactly.
    const [created] = (await audit('?action=application.create&actor=admin-api')).items;
    const [latest] = (await audit(`?action=application.enable`)).items;
    const current = (await server.admin('GET', `/applications/${client.clientId}`)).json();
    assert.deepEqual(latest?.detail.after, current);
    assert.deepEqual(Object.keys(created?.detail ?? {}), ['after']);

    const [rotation] = (await audit('?action=application.rotate_secret')).items;
    assert.deepEqual(rotation?.detail, {
      grace_seconds: 60,
      previous_secret_expires_at: iso((times['application.rotate_secret'] ?? 0) + 60_000),
    });
  });

  it('never shows a secret or a secret digest in before, after or anywhere else', async () => {
    const body = (await server.admin('GET', '/audit?limit=1000')).body;
    for (const secret of secrets) {
      const digest = createHash('sha256').update(secret).digest();
      for (const form of [
        secret,
        digest.toString('hex'),
        digest.toString('base64'),
        digest.toString('base64url'),
      ]) {
        assert.ok(!body.includes(form), `the audit log shows ${form}`);
      }
    }
    const fields = new Set<string>();
    const collect = (value: unknown): void => {
      if (Array.isArray(value)) value.forEach(collect);
      else if (value && typeof value === 'object') {
        for (const [name, inner] of Object.entries(value)) {
          fields.add(name);
          collect(inner);
        }
      }
    };
    collect(JSON.parse(body));
    for (const forbidden of [
      'client_secret',
      'secret',
      'digest',
      'secrets',
      'private_key',
      'sealed_private_key',
    ]) {
      assert.ok(!fields.has(forbidden), `the audit log has a field '${forbidden}'`);
    }
  });

  it('filters by action, actor and target_id', async () => {
    const byAction = await audit('?action=customer.create');
    assert.deepEqual(
      byAction.items.map((e) => [e.action, e.target_id]),
      [['customer.create', customerId]],
    );
    const byActor = await audit('?actor=cli:alice');
    assert.deepEqual(
      byActor.items.map((e) => [e.actor, e.action]),
      [['cli:alice', 'application.create']],
    );
    const byTarget = await audit(`?target_id=${client.clientId}`);
    assert.deepEqual(
      byTarget.items.map((e) => e.action),
      [
        'application.rotate_secret',
        'application.enable',
        'application.disable',
        'application.update',
        'application.create',
      ],
    );
    const combined = await audit(`?target_id=${client.clientId}&action=application.disable&actor=admin-api`);
    assert.deepEqual(
      combined.items.map((e) => e.action),
      ['application.disable'],
    );
    assert.deepEqual((await audit('?action=no.such.action')).items, []);
    assert.deepEqual((await audit('?actor=nobody')).items, []);
  });

  it('filters by time: since is inclusive, until exclusive', async () => {
    const since = iso(times['customer.create']);
    const until = iso(times['customer.enable']);
    const window = await audit(`?since=${since}&until=${until}`);
    assert.deepEqual(
      window.items.map((e) => e.action),
      ['customer.disable', 'customer.create'],
    );
    const onlySince = await audit(`?since=${iso(times['key.rotate'])}`);
    assert.deepEqual(
      onlySince.items.map((e) => e.action),
      ['application.create', 'key.rotate'],
    );
    const onlyUntil = await audit(`?until=${iso(times['application.create'])}`);
    assert.deepEqual(
      onlyUntil.items.map((e) => [e.action, e.actor]),
      [['key.rotate', 'system']],
    );
    const empty = await audit(`?since=${until}&until=${since}`);
    assert.deepEqual(empty.items, []);
  });

  it('pages with limit and after: next_after is the id of the last event of a full page', async () => {
    const all = (await audit('?limit=1000')).items;
    assert.ok(all.length >= 10);
    const seen: AuditView[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: { items: AuditView[]; next_after: string | null } = await audit(
        cursor === null ? '?limit=3' : `?limit=3&after=${cursor}`,
      );
      if (page.items.length === 3) assert.equal(page.next_after, page.items[2]?.id);
      else assert.equal(page.next_after, null);
      seen.push(...page.items);
      cursor = page.next_after;
      pages++;
    } while (cursor !== null && pages < 50);
    assert.deepEqual(seen, all);

    const filtered = await audit(`?target_id=${client.clientId}&limit=2`);
    assert.equal(filtered.items.length, 2);
    const rest = await audit(`?target_id=${client.clientId}&limit=2&after=${filtered.next_after}`);
    assert.deepEqual(
      rest.items.map((e) => e.action),
      ['application.disable', 'application.update'],
    );
  });

  it('refuses a limit out of range, a bad since or until, and an unknown filter', async () => {
    const cases: [string, RegExp][] = [
      ['?limit=0', /querystring\.limit must be >= 1/],
      ['?limit=1001', /querystring\.limit must be <= 1000/],
      ['?limit=many', /querystring\.limit must be integer/],
      ['?since=yesterday', /since must be an ISO 8601 time, got 'yesterday'/],
      ['?since=2026-13-45T00:00:00Z', /since must be an ISO 8601 time, got '2026-13-45T00:00:00Z'/],
      ['?until=later', /until must be an ISO 8601 time, got 'later'/],
      ['?since=2026-01-01&since=2026-01-02', /querystring\.since must be string/],
      ['?target=x', /querystring has an unknown field 'target'/],
      [`?after=${'x'.repeat(81)}`, /querystring\.after must NOT have more than 80 characters/],
    ];
    for (const [query, message] of cases) {
      expectAdminError(await server.admin('GET', `/audit${query}`), 400, 'invalid_request', message);
    }
  });
});

describe('failed client authentications in the audit log', () => {
  it('appear, counted per client and address, once the counts are flushed, without the secret tried', async () => {
    const wrong = { clientId: client.clientId, clientSecret: 'a-wrong-secret-that-must-not-be-logged' };
    const unknown = { clientId: 'no-such-client', clientSecret: 'another-wrong-secret' };
    clock.advance(1000);
    const firstAt = clock.now();
    for (let i = 0; i < 3; i++) {
      const response = await server.requestToken(wrong, 'api', 'client_secret_post', {
        remoteAddress: '203.0.113.7',
      });
      assert.equal(response.statusCode, 401, response.body);
      clock.advance(100);
    }
    const lastAt = clock.now() - 100;
    const basic = await server.requestToken(unknown, 'api', 'client_secret_basic', {
      remoteAddress: '198.51.100.20',
    });
    assert.equal(basic.statusCode, 401, basic.body);

    assert.deepEqual(
      (await audit('?action=client.authentication_failed')).items,
      [],
      'counted in memory, not written per request',
    );
    await server.services.failedAuthentications.flush();

    const { items } = await audit('?action=client.authentication_failed');
    assert.equal(items.length, 2);
    const byActor = Object.fromEntries(items.map((e) => [e.actor, e]));
    const known = byActor['203.0.113.7'];
    assert.ok(known, JSON.stringify(items));
    assert.equal(known.target_type, 'application');
    assert.equal(known.target_id, client.clientId);
    assert.deepEqual(known.detail, {
      count: 3,
      throttled: 0,
      source_ip: '203.0.113.7',
      first_at: iso(firstAt),
      last_at: iso(lastAt),
    });
    assert.equal(byActor['198.51.100.20']?.target_id, 'no-such-client');
    assert.equal(byActor['198.51.100.20']?.detail.count, 1);

    const filtered = await audit(`?action=client.authentication_failed&target_id=${client.clientId}`);
    assert.deepEqual(
      filtered.items.map((e) => e.actor),
      ['203.0.113.7'],
    );
    const all = (await server.admin('GET', '/audit?limit=1000')).body;
    assert.ok(!all.includes(wrong.clientSecret));
    assert.ok(!all.includes(unknown.clientSecret));
  });
});

function iso(ms: number | undefined): string {
  assert.ok(ms !== undefined);
  return new Date(ms).toISOString();
}
