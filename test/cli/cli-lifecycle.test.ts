import assert from 'node:assert/strict';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { decodeProtectedHeader } from 'jose';
import { pino } from 'pino';
import { loadConfig } from '../../src/config/config.js';
import type { Store } from '../../src/domain/store.js';
import { type RunningServer, startServer } from '../../src/server/start-server.js';
import { openSqliteStore } from '../../src/store/sqlite-store.js';
import { ADMIN_TOKEN } from '../helpers/admin-server.js';
import { type CliResult, freePort, randomKeyHex } from '../helpers/child-process.js';
import { runMain } from '../helpers/cli.js';
import { tempDir } from '../helpers/test-server.js';
import { arrivesWithin } from '../helpers/waiting.js';

const CLI_ACTOR = `cli:${userInfo().username}`;
/** How soon a server sharing the SQLite file must have seen a CLI's change (it polls every 250 ms). */
// A promise of about a second, given room: on a loaded two-core machine either process can be held
// off its CPU for hundreds of milliseconds, which says nothing about the propagation.
const PROPAGATION_MS = 3_000;

function ok(result: CliResult): CliResult {
  assert.equal(result.code, 0, `exit ${result.code}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`);
  assert.equal(result.stderr, '');
  return result;
}

function json<T>(result: CliResult): T {
  return JSON.parse(ok(result).stdout) as T;
}

/** A refused command: the exit code, nothing on stdout, and what it said on stderr. */
function fails(result: CliResult, code: number): string {
  assert.equal(result.code, code, `exit ${result.code}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`);
  assert.equal(result.stdout, '');
  return result.stderr;
}

interface Credentials {
  client_id: string;
  client_secret: string;
}

// One server runs on the CLI's SQLite file throughout, as in production: what the CLI deletes or
// withdraws, the server must stop honouring within moments.
describe('lean-auth CLI: deleting data and withdrawing keys', { timeout: 120_000 }, () => {
  const temp = tempDir();
  const env = { DATABASE_URL: `sqlite:${join(temp.dir, 'x.db')}`, KEY_ENCRYPTION_KEY: randomKeyHex() };
  const cli = (...args: string[]) => runMain(args, env);
  let server: RunningServer;
  let resourceServer: Credentials;

  async function inStore<T>(work: (store: Store) => Promise<T>): Promise<T> {
    const store = openSqliteStore(join(temp.dir, 'x.db'));
    try {
      return await work(store);
    } finally {
      await store.close();
    }
  }

  async function post(path: string, parameters: Record<string, string>) {
    const response = await fetch(`${server.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(parameters),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  async function token(app: Credentials, scope = 'api'): Promise<string> {
    const { status, body } = await post('/oauth2/token', { grant_type: 'client_credentials', scope, ...app });
    assert.equal(status, 200, JSON.stringify(body));
    return String(body.access_token);
  }

  /** A token for an application the CLI just created: the server learns of it within moments. */
  async function firstToken(app: Credentials, scope = 'api'): Promise<string> {
    const at = Date.now();
    await arrivesWithin(at, PROPAGATION_MS, 'the server learning of the new application', async () => {
      const { status } = await post('/oauth2/token', { grant_type: 'client_credentials', scope, ...app });
      return status === 200;
    });
    return token(app, scope);
  }

  async function isActive(accessToken: string): Promise<boolean> {
    const { status, body } = await post('/oauth2/introspect', { token: accessToken, ...resourceServer });
    assert.equal(status, 200, JSON.stringify(body));
    return body.active === true;
  }

  before(async () => {
    assert.deepEqual(json(await cli('apps', 'list', '--json')), { items: [], next_after: null });
    const config = loadConfig({ ...env, PORT: String(await freePort()), ADMIN_TOKEN, LOG_LEVEL: 'silent' });
    server = await startServer(config, pino({ level: 'silent' }));
    resourceServer = json<Credentials>(
      await cli('apps', 'create', '--name', 'resource server', '--resource-server', '--json'),
    );
  });
  after(async () => {
    await server?.close();
    temp.remove();
  });

  describe('apps delete', () => {
    it('without --yes says what it would delete, exit 2, and deletes nothing', async () => {
      const app = json<Credentials>(await cli('apps', 'create', '--name', 'Acme payroll', '--json'));
      const said = fails(await cli('apps', 'delete', app.client_id), 2);
      assert.match(
        said,
        new RegExp(`deletes application ${app.client_id} \\('Acme payroll'\\) with its customers`),
      );
      assert.match(said, /cannot be undone: add --yes/);
      json(await cli('apps', 'show', app.client_id, '--json'));
      assert.match(ok(await cli('apps', 'delete', '--help')).stdout, /apps delete CLIENT_ID --yes/);
    });

    it('--yes deletes it with its customers; a running server stops honouring their tokens at once', async () => {
      const app = json<Credentials>(await cli('apps', 'create', '--name', 'doomed', '--json'));
      const customer = json<{ customer_id: string }>(
        await cli(
          'customers',
          'create',
          '--app',
          app.client_id,
          '--app-user-id',
          'jane@example.com',
          '--json',
        ),
      );
      const apiToken = await firstToken(app);
      const customerToken = await token(app, `customer.${customer.customer_id}`);
      assert.equal(await isActive(apiToken), true);

      const deleted = json(await cli('apps', 'delete', app.client_id, '--yes', '--json'));
      const at = Date.now();
      assert.deepEqual(deleted, { client_id: app.client_id, customers_deleted: 1 });
      await arrivesWithin(
        at,
        PROPAGATION_MS,
        'the api token going inactive',
        async () => !(await isActive(apiToken)),
      );
      assert.equal(await isActive(customerToken), false);
      assert.equal(
        (await post('/oauth2/token', { grant_type: 'client_credentials', scope: 'api', ...app })).status,
        401,
      );

      assert.match(fails(await cli('apps', 'show', app.client_id), 1), /no application has client_id/);
      assert.match(fails(await cli('apps', 'delete', app.client_id, '--yes'), 1), /: it was deleted$/m);
      const events = await inStore((store) =>
        store.listAuditEvents({ targetId: app.client_id }, { limit: 10 }),
      );
      // The refused token request above is counted too (client.authentication_failed): not ours here.
      assert.deepEqual(
        events.filter((e) => e.actor === CLI_ACTOR).map((e) => [e.actor, e.action, e.detail]),
        [
          [CLI_ACTOR, 'application.delete', { customers_deleted: 1 }],
          [CLI_ACTOR, 'application.create', { erased: true }],
        ],
      );
    });

    it('in text, says what it deleted', async () => {
      const app = json<Credentials>(await cli('apps', 'create', '--name', 'text', '--json'));
      assert.equal(
        ok(await cli('apps', 'delete', app.client_id, '--yes')).stdout,
        `Deleted application ${app.client_id} and its 0 customer(s).\n`,
      );
    });

    it('an unknown client_id is exit 1, with or without --yes', async () => {
      const unknown = '00000000-0000-4000-8000-000000000000';
      assert.match(fails(await cli('apps', 'delete', unknown), 1), /no application has client_id/);
      assert.match(fails(await cli('apps', 'delete', unknown, '--yes'), 1), /no application has client_id/);
      assert.match(fails(await cli('apps', 'delete'), 2), /usage: lean-auth apps delete CLIENT_ID --yes/);
    });
  });

  describe('customers delete', () => {
    it('without --yes names the end user and deletes nothing; with --yes deletes only that customer', async () => {
      const app = json<Credentials>(await cli('apps', 'create', '--name', 'host', '--json'));
      const create = (id: string) =>
        cli('customers', 'create', '--app', app.client_id, '--app-user-id', id, '--json');
      const gone = json<{ customer_id: string }>(await create('jane@example.com'));
      const kept = json<{ customer_id: string }>(await create('joe@example.com'));
      const goneToken = await firstToken(app, `customer.${gone.customer_id}`);
      const keptToken = await token(app, `customer.${kept.customer_id}`);

      assert.match(
        fails(await cli('customers', 'delete', gone.customer_id), 2),
        /deletes customer .* \(app_user_id 'jane@example\.com' of application .*\); this cannot be undone: add --yes/,
      );
      assert.equal(await isActive(goneToken), true);

      const deleted = json(await cli('customers', 'delete', gone.customer_id, '--yes', '--json'));
      const at = Date.now();
      assert.deepEqual(deleted, { customer_id: gone.customer_id, client_id: app.client_id });
      await arrivesWithin(
        at,
        PROPAGATION_MS,
        'the customer token going inactive',
        async () => !(await isActive(goneToken)),
      );
      assert.equal(await isActive(keptToken), true);
      const listed = json<{ items: { customer_id: string }[] }>(
        await cli('customers', 'list', '--app', app.client_id, '--json'),
      ).items;
      assert.deepEqual(
        listed.map((c) => c.customer_id),
        [kept.customer_id],
      );
      const log = JSON.stringify(await inStore((store) => store.listAuditEvents({}, { limit: 1000 })));
      assert.ok(!log.includes('jane@example.com'), 'the audit log keeps the deleted app_user_id');
      assert.match(fails(await cli('customers', 'delete', gone.customer_id, '--yes'), 1), /it was deleted/);
    });
  });

  describe('keys withdraw', () => {
    it('without --yes names the key and its state, exit 2; an unknown kid is exit 1', async () => {
      const [active] = json<{ items: { kid: string }[] }>(await cli('keys', 'list', '--json')).items;
      assert.ok(active);
      assert.match(
        fails(await cli('keys', 'withdraw', active.kid), 2),
        new RegExp(`takes the active key ${active.kid} out of the JWKS now.*add --yes`),
      );
      assert.match(
        fails(await cli('keys', 'withdraw', 'no-such-kid'), 1),
        /no published signing key has kid/,
      );
      assert.match(
        fails(await cli('keys', 'withdraw', 'no-such-kid', '--yes'), 1),
        /no published signing key/,
      );
      // One thumbprint in 64 begins with '-': it is a kid, not an option.
      assert.match(
        fails(await cli('keys', 'withdraw', '-Fno-such-kid', '--yes'), 1),
        /no published signing key has kid '-Fno-such-kid'/,
      );
    });

    it('--yes withdraws the active key: a running server drops it from its JWKS and signs with the new one', async () => {
      const app = json<Credentials>(await cli('apps', 'create', '--name', 'keyed', '--json'));
      const before = await firstToken(app);
      const compromised = String(decodeProtectedHeader(before).kid);

      const withdrawn = json<{ kid: string; state: string; replacement: { kid: string; state: string } }>(
        await cli('keys', 'withdraw', compromised, '--yes', '--json'),
      );
      const at = Date.now();
      assert.equal(withdrawn.kid, compromised);
      assert.equal(withdrawn.state, 'active');
      assert.equal(withdrawn.replacement.state, 'active');
      const jwks = async () =>
        (
          (await (await fetch(`${server.url}/.well-known/jwks.json`)).json()) as { keys: { kid: string }[] }
        ).keys.map((k) => k.kid);
      await arrivesWithin(
        at,
        PROPAGATION_MS,
        'the JWKS dropping the withdrawn key',
        async () => !(await jwks()).includes(compromised),
      );
      assert.deepEqual(await jwks(), [withdrawn.replacement.kid]);
      assert.equal(await isActive(before), false);
      assert.equal(decodeProtectedHeader(await token(app)).kid, withdrawn.replacement.kid);

      const events = await inStore((store) =>
        store.listAuditEvents({ action: 'key.withdraw' }, { limit: 10 }),
      );
      assert.deepEqual(
        events.map((e) => [e.actor, e.targetId, e.detail]),
        [[CLI_ACTOR, compromised, { state: 'active', replaced_by: withdrawn.replacement.kid }]],
      );
    });

    it('in text: what it withdrew, what signs now, and the keys left', async () => {
      json(await cli('keys', 'rotate', '--now', '--json'));
      const keys = json<{ items: { kid: string; state: string }[] }>(
        await cli('keys', 'list', '--json'),
      ).items;
      const retired = keys.find((k) => k.state === 'retired');
      assert.ok(retired);
      const { stdout } = ok(await cli('keys', 'withdraw', retired.kid, '--yes'));
      assert.match(
        stdout,
        new RegExp(
          `^Withdrew ${retired.kid} \\(it was retired\\): it is out of the JWKS now\\.\\nKID\\s+ALG`,
        ),
      );
      assert.ok(!stdout.includes(`${retired.kid}  `), 'the withdrawn key is still listed');
    });
  });
});
