import assert from 'node:assert/strict';
import { existsSync, statSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { digestSecret } from '../../src/domain/client-secrets.js';
import { JWKS_MAX_AGE_SECONDS } from '../../src/domain/signing-keys.js';
import type { Store } from '../../src/domain/store.js';
import { openSqliteStore } from '../../src/store/sqlite-store.js';
import { type CliResult, randomKeyHex } from '../helpers/child-process.js';
import { runMain } from '../helpers/cli.js';
import { tempDir } from '../helpers/test-server.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const SECRET = /^[A-Za-z0-9_-]{43}$/;

interface AppJson {
  client_id: string;
  client_secret?: string;
  name: string;
  status: string;
  token_classes: string[];
  api_token_ttl: number | null;
  customer_token_ttl: number | null;
  resource_server: boolean;
}

interface RotatedSecretJson {
  client_id: string;
  client_secret: string;
  previous_secret_expires_at: string | null;
}

interface CustomerJson {
  customer_id: string;
  client_id: string;
  app_user_id: string;
  status: string;
}

/** A listing under --json: the admin API's page shape. */
interface Page<T> {
  items: T[];
  next_after?: string | null;
}

interface KeyJson {
  kid: string;
  alg: string;
  state: 'next' | 'active' | 'retired';
  created_at: string;
  activates_at: string;
  expires_at: string | null;
}

/** Who the CLI names in the audit log: the operating-system user. */
const CLI_ACTOR = `cli:${userInfo().username}`;

/** A command that must succeed: exit 0, nothing on stderr, and its stdout as JSON when --json was given. */
function ok(result: CliResult): CliResult {
  assert.equal(result.code, 0, `exit ${result.code}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`);
  assert.equal(result.stderr, '', 'a successful command with a key encryption key warns about nothing');
  return result;
}

function json<T>(result: CliResult): T {
  return JSON.parse(ok(result).stdout) as T;
}

/** A command that must fail with `code`, saying nothing on stdout. */
function fails(result: CliResult, code: number): string {
  assert.equal(result.code, code, `exit ${result.code}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`);
  assert.equal(result.stdout, '', 'a failing command prints nothing on stdout');
  return result.stderr;
}

// Each command runs in this process (main over captured streams; test/cli/bin.test.ts runs the real
// executable). The groups are independent; tests within a group build on each other. All run in
// order: two commands at once in one thread could wait on each other's SQLite lock.
describe('lean-auth CLI', { timeout: 60_000 }, () => {
  const temp = tempDir();
  const env = {
    DATABASE_URL: `sqlite:${join(temp.dir, 'x.db')}`,
    KEY_ENCRYPTION_KEY: randomKeyHex(),
  };
  const cli = (...args: string[]) => runMain(args, env);

  /** Looks into the CLI's store directly (between commands, never while one runs). */
  async function inStore<T>(work: (store: Store) => Promise<T>): Promise<T> {
    const store = openSqliteStore(join(temp.dir, 'x.db'));
    try {
      return await work(store);
    } finally {
      await store.close();
    }
  }

  before(async () => {
    // Create the store first: the groups below run side by side, and two processes migrating one
    // fresh SQLite file at once collide (see test/store/concurrent-open.test.ts).
    assert.deepEqual(json<Page<AppJson>>(await cli('apps', 'list', '--json')).items, []);
  });

  after(() => temp.remove());

  describe('apps', { concurrency: false }, () => {
    let app: AppJson;

    before(async () => {
      app = json<AppJson>(await cli('apps', 'create', '--name', 'demo', '--json'));
    });

    it('create --json gives the client_id, the client_secret and the settings', () => {
      assert.match(app.client_id, UUID);
      assert.match(app.client_secret ?? '', SECRET);
      assert.equal(app.name, 'demo');
      assert.equal(app.status, 'active');
      assert.deepEqual(app.token_classes, ['api', 'customer']);
      assert.equal(app.api_token_ttl, null);
      assert.equal(app.customer_token_ttl, null);
      assert.equal(app.resource_server, false);
    });

    it('list --json shows the application, without any secret', async () => {
      const result = await cli('apps', 'list', '--json');
      const apps = json<Page<AppJson>>(result).items;
      const listed = apps.find((a) => a.client_id === app.client_id);
      assert.ok(listed, `${app.client_id} is listed`);
      assert.equal(listed.name, 'demo');
      assert.equal(listed.status, 'active');
      assert.ok(!result.stdout.includes(app.client_secret ?? '<none>'), 'the secret is shown only once');
      assert.ok(!/secret|digest/.test(result.stdout), 'no secret or digest field in a listing');
    });

    it('show --json shows one application as list does', async () => {
      const shown = json<AppJson>(await cli('apps', 'show', app.client_id, '--json'));
      const listed = json<Page<AppJson>>(await cli('apps', 'list', '--json')).items.find(
        (a) => a.client_id === app.client_id,
      );
      assert.deepEqual(shown, listed);
      assert.equal(shown.client_secret, undefined);
    });

    it('update --customer-token-ttl 900 sets the lifetime', async () => {
      const updated = json<AppJson>(
        await cli('apps', 'update', app.client_id, '--customer-token-ttl', '900', '--json'),
      );
      assert.equal(updated.customer_token_ttl, 900);
      assert.equal(updated.api_token_ttl, null);
      assert.equal(json<AppJson>(await cli('apps', 'show', app.client_id, '--json')).customer_token_ttl, 900);
    });

    it('update --customer-token-ttl 300 is refused, naming the LinkSDK and its 600 s rule', async () => {
      const result = await cli('apps', 'update', app.client_id, '--customer-token-ttl', '300');
      assert.notEqual(result.code, 0);
      assert.equal(result.stdout, '');
      assert.match(result.stderr, /LinkSDK/);
      assert.match(result.stderr, /600/);
      const shown = json<AppJson>(await cli('apps', 'show', app.client_id, '--json'));
      assert.equal(shown.customer_token_ttl, 900, 'a refused update changes nothing');
    });

    it('update --customer-token-ttl 300 is an application error (exit 1), not a configuration error', async () => {
      const stderr = fails(await cli('apps', 'update', app.client_id, '--customer-token-ttl', '300'), 1);
      assert.match(stderr, /customer token lifetime .*300.*LinkSDK.*600/);
      assert.doesNotMatch(stderr, /invalid configuration|CUSTOMER_TOKEN_TTL/);
    });

    it("update --customer-token-ttl default and --api-token-ttl default return to the server's defaults", async () => {
      const other = json<AppJson>(
        await cli(
          'apps',
          'create',
          '--name',
          'ttl',
          '--api-token-ttl',
          '120',
          '--customer-token-ttl',
          '900',
          '--json',
        ),
      );
      assert.equal(other.api_token_ttl, 120);
      assert.equal(other.customer_token_ttl, 900);
      const reset = json<AppJson>(
        await cli(
          'apps',
          'update',
          other.client_id,
          '--api-token-ttl',
          'default',
          '--customer-token-ttl',
          'default',
          '--json',
        ),
      );
      assert.equal(reset.api_token_ttl, null);
      assert.equal(reset.customer_token_ttl, null);
    });

    it('disable and enable switch the status, in JSON and in text', async () => {
      assert.equal(json<AppJson>(await cli('apps', 'disable', app.client_id, '--json')).status, 'disabled');
      assert.equal(json<AppJson>(await cli('apps', 'show', app.client_id, '--json')).status, 'disabled');
      const text = ok(await cli('apps', 'enable', app.client_id)).stdout;
      assert.match(text, new RegExp(`Enabled application ${app.client_id}`));
      assert.equal(json<AppJson>(await cli('apps', 'show', app.client_id, '--json')).status, 'active');
    });

    it('create --resource-server makes a resource server; update --no-resource-server and --resource-server switch it', async () => {
      const server = json<AppJson>(
        await cli('apps', 'create', '--name', 'resource server', '--resource-server', '--json'),
      );
      assert.equal(server.resource_server, true);
      assert.equal(
        json<AppJson>(await cli('apps', 'show', server.client_id, '--json')).resource_server,
        true,
      );
      assert.match(ok(await cli('apps', 'show', server.client_id)).stdout, /resource server\s+yes/);
      const off = json<AppJson>(
        await cli('apps', 'update', server.client_id, '--no-resource-server', '--json'),
      );
      assert.equal(off.resource_server, false);
      assert.equal(off.name, 'resource server', 'an update of the flag leaves the rest alone');
      const on = json<AppJson>(await cli('apps', 'update', server.client_id, '--resource-server', '--json'));
      assert.equal(on.resource_server, true);
      // An update that does not name the flag keeps it.
      const renamed = json<AppJson>(
        await cli('apps', 'update', server.client_id, '--name', 'renamed', '--json'),
      );
      assert.equal(renamed.resource_server, true);
    });

    it('rotate-secret --json gives a new client_secret once, and the previous one works for SECRET_ROTATION_GRACE', async () => {
      const rotatable = json<AppJson>(await cli('apps', 'create', '--name', 'rotatable', '--json'));
      const before = Date.now();
      const rotated = json<RotatedSecretJson>(
        await cli('apps', 'rotate-secret', rotatable.client_id, '--json'),
      );
      const after = Date.now();
      assert.deepEqual(Object.keys(rotated).sort(), [
        'client_id',
        'client_secret',
        'previous_secret_expires_at',
      ]);
      assert.equal(rotated.client_id, rotatable.client_id);
      assert.match(rotated.client_secret, SECRET);
      assert.notEqual(rotated.client_secret, rotatable.client_secret);
      const deadline = Date.parse(rotated.previous_secret_expires_at ?? '');
      // The default grace: 86400 s.
      assert.ok(
        deadline >= before + 86_400_000 && deadline <= after + 86_400_000,
        rotated.previous_secret_expires_at ?? '',
      );

      // Both secrets are live, and the store holds digests only.
      const live = await inStore((store) => store.listLiveSecrets(rotatable.client_id, Date.now()));
      assert.deepEqual(
        live.map((s) => [s.digest, s.expiresAt]),
        [
          [digestSecret(rotated.client_secret).toString('hex'), null],
          [digestSecret(rotatable.client_secret ?? '').toString('hex'), deadline],
        ],
      );
      // Listing the application afterwards shows no secret.
      const shown = ok(await cli('apps', 'show', rotatable.client_id, '--json')).stdout;
      assert.ok(!shown.includes(rotated.client_secret));
      // The audit log names the operating-system user and holds no secret.
      const events = await inStore((store) =>
        store.listAuditEvents({ targetId: rotatable.client_id }, { limit: 10 }),
      );
      assert.deepEqual(
        events.map((e) => [e.action, e.actor]),
        [
          ['application.rotate_secret', CLI_ACTOR],
          ['application.create', CLI_ACTOR],
        ],
      );
      assert.ok(!JSON.stringify(events).includes(rotated.client_secret));
    });

    it('rotate-secret --grace 0 ends the previous secret at once; --grace S and SECRET_ROTATION_GRACE set the deadline', async () => {
      const rotatable = json<AppJson>(await cli('apps', 'create', '--name', 'grace', '--json'));
      const now = json<RotatedSecretJson>(
        await cli('apps', 'rotate-secret', rotatable.client_id, '--grace', '0', '--json'),
      );
      assert.equal(now.previous_secret_expires_at, null);
      const live = await inStore((store) => store.listLiveSecrets(rotatable.client_id, Date.now()));
      assert.deepEqual(
        live.map((s) => s.digest),
        [digestSecret(now.client_secret).toString('hex')],
      );

      let before = Date.now();
      const minute = json<RotatedSecretJson>(
        await cli('apps', 'rotate-secret', rotatable.client_id, '--grace', '60', '--json'),
      );
      let deadline = Date.parse(minute.previous_secret_expires_at ?? '');
      assert.ok(deadline >= before + 60_000 && deadline <= Date.now() + 60_000);

      before = Date.now();
      const configured = json<RotatedSecretJson>(
        await runMain(['apps', 'rotate-secret', rotatable.client_id, '--json'], {
          ...env,
          SECRET_ROTATION_GRACE: '120',
        }),
      );
      deadline = Date.parse(configured.previous_secret_expires_at ?? '');
      assert.ok(deadline >= before + 120_000 && deadline <= Date.now() + 120_000);
      // Never more than two live secrets.
      assert.equal(
        (await inStore((store) => store.listLiveSecrets(rotatable.client_id, Date.now()))).length,
        2,
      );

      const text = ok(await cli('apps', 'rotate-secret', rotatable.client_id, '--grace', '0')).stdout;
      assert.match(text, /[Ss]hown only this once/);
      assert.match(text, /stopped working now/);
    });

    it('rotate-secret refuses an unknown application (exit 1), a malformed grace (exit 2) and one out of range (exit 1)', async () => {
      const unknown = '00000000-0000-4000-8000-000000000000';
      assert.match(fails(await cli('apps', 'rotate-secret', unknown), 1), /no application has client_id/);
      assert.match(fails(await cli('apps', 'rotate-secret', app.client_id, '--grace', 'soon'), 2), /--grace/);
      assert.match(fails(await cli('apps', 'rotate-secret', app.client_id, '--grace', '604801'), 1), /grace/);
      assert.match(fails(await cli('apps', 'rotate-secret'), 2), /usage: lean-auth apps rotate-secret/);
    });

    it('create without --json is human readable: the secret and a shown-only-once note', async () => {
      const { stdout } = ok(await cli('apps', 'create', '--name', 'text app'));
      assert.throws(() => JSON.parse(stdout), 'text output is not JSON');
      const secret = /client_secret\s+(\S+)/.exec(stdout)?.[1] ?? '';
      assert.match(secret, SECRET);
      assert.match(stdout, /client_id\s+[0-9a-f-]{36}/);
      assert.match(stdout, /name\s+text app/);
      assert.match(stdout, /shown only this once/);
    });

    it('list and show without --json are aligned tables and fields', async () => {
      const list = ok(await cli('apps', 'list')).stdout;
      const [header, ...rows] = list.trimEnd().split('\n');
      assert.match(header ?? '', /^CLIENT_ID\s+STATUS\s+TOKEN CLASSES\s+NAME$/);
      assert.ok(
        rows.some((row) => row.startsWith(app.client_id) && row.includes('demo')),
        list,
      );
      const show = ok(await cli('apps', 'show', app.client_id)).stdout;
      assert.match(show, /customer token ttl\s+900 s/);
      assert.match(show, /api token ttl\s+server default/);
    });
  });

  describe('customers', { concurrency: false }, () => {
    let clientId: string;
    let customer: CustomerJson;

    before(async () => {
      clientId = json<AppJson>(await cli('apps', 'create', '--name', 'with customers', '--json')).client_id;
      customer = json<CustomerJson>(
        await cli('customers', 'create', '--app', clientId, '--app-user-id', 'u1', '--json'),
      );
    });

    it('create --json gives the customer_id', () => {
      assert.match(customer.customer_id, UUID);
      assert.equal(customer.client_id, clientId);
      assert.equal(customer.app_user_id, 'u1');
      assert.equal(customer.status, 'active');
    });

    it('a second customer with the same app-user-id is a conflict, exit 1', async () => {
      const stderr = fails(await cli('customers', 'create', '--app', clientId, '--app-user-id', 'u1'), 1);
      assert.match(stderr, /already has a customer with app_user_id 'u1'/);
      const asJson = JSON.parse(
        fails(await cli('customers', 'create', '--app', clientId, '--app-user-id', 'u1', '--json'), 1),
      );
      assert.equal(asJson.error, 'conflict');
      assert.match(asJson.message, /u1/);
    });

    it('the same app-user-id in another application is a different customer', async () => {
      const other = json<AppJson>(await cli('apps', 'create', '--name', 'other', '--json')).client_id;
      const theirs = json<CustomerJson>(
        await cli('customers', 'create', '--app', other, '--app-user-id', 'u1', '--json'),
      );
      assert.notEqual(theirs.customer_id, customer.customer_id);
    });

    it('list --app --json shows the customers of that application only', async () => {
      const customers = json<Page<CustomerJson>>(
        await cli('customers', 'list', '--app', clientId, '--json'),
      ).items;
      assert.deepEqual(
        customers.map((c) => [c.customer_id, c.app_user_id, c.status]),
        [[customer.customer_id, 'u1', 'active']],
      );
    });

    it('disable switches the customer off', async () => {
      const text = ok(await cli('customers', 'disable', customer.customer_id)).stdout;
      assert.match(text, new RegExp(`Disabled customer ${customer.customer_id}`));
      const [listed] = json<Page<CustomerJson>>(
        await cli('customers', 'list', '--app', clientId, '--json'),
      ).items;
      assert.equal(listed?.status, 'disabled');
    });

    it('create for an unknown application is exit 1, naming it', async () => {
      const unknown = '00000000-0000-4000-8000-000000000000';
      const stderr = fails(await cli('customers', 'create', '--app', unknown, '--app-user-id', 'u2'), 1);
      assert.match(stderr, /no application has client_id '00000000-0000-4000-8000-000000000000'/);
    });
  });

  describe('keys', { concurrency: false }, () => {
    it('rotate --now makes a key active; a second rotate --now retires it until its tokens have expired', async () => {
      const [first, ...none] = json<KeyJson[]>(await cli('keys', 'rotate', '--now', '--json'));
      assert.equal(none.length, 0);
      assert.equal(first?.state, 'active');
      assert.equal(first?.alg, 'RS256');
      assert.equal(first?.expires_at, null);
      assert.equal(first?.activates_at, first?.created_at, '--now: it signs at once');

      assert.deepEqual(json<Page<KeyJson>>(await cli('keys', 'list', '--json')).items, [first]);

      const keys = json<KeyJson[]>(await cli('keys', 'rotate', '--now', '--json'));
      assert.equal(keys.length, 2);
      const active = keys.filter((k) => k.state === 'active');
      const retired = keys.filter((k) => k.state === 'retired');
      assert.equal(active.length, 1);
      assert.equal(retired.length, 1);
      assert.notEqual(active[0]?.kid, first?.kid);
      assert.equal(retired[0]?.kid, first?.kid);
      assert.equal(active[0]?.expires_at, null);
      const retiredAt = Date.parse(active[0]?.activates_at ?? '');
      const expiresAt = Date.parse(retired[0]?.expires_at ?? '');
      // The longest token lifetime (3600 s by default) plus the one-minute margin for other processes.
      assert.equal(expiresAt - retiredAt, 3600_000 + 60_000);

      assert.deepEqual(json<Page<KeyJson>>(await cli('keys', 'list', '--json')).items, keys);
    });

    it('rotate without --now publishes a next key that signs only after the JWKS cache lifetime', async () => {
      const before = json<Page<KeyJson>>(await cli('keys', 'list', '--json')).items;
      const current = before.find((k) => k.state === 'active');
      assert.ok(current);
      const keys = json<KeyJson[]>(await cli('keys', 'rotate', '--json'));
      assert.equal(keys.length, before.length + 1);
      const next = keys.filter((k) => k.state === 'next');
      assert.equal(next.length, 1);
      const [upcoming] = next;
      assert.ok(upcoming && !before.some((k) => k.kid === upcoming.kid));
      const lead = Date.parse(upcoming.activates_at) - Date.parse(upcoming.created_at);
      assert.ok(lead > JWKS_MAX_AGE_SECONDS * 1000, `published only ${lead} ms ahead`);
      assert.equal(upcoming.expires_at, null);
      // Until then, the current key signs; it leaves the JWKS once the tokens it signs up to the
      // switch have expired.
      const stillActive = keys.find((k) => k.kid === current.kid);
      assert.equal(stillActive?.state, 'active');
      assert.equal(
        Date.parse(stillActive?.expires_at ?? ''),
        Date.parse(upcoming.activates_at) + 3600_000 + 60_000,
      );
      assert.match(ok(await cli('keys', 'rotate', '--help')).stdout, /--now/);
      const events = await inStore((store) => store.listAuditEvents({ action: 'key.rotate' }, { limit: 10 }));
      assert.equal(events[0]?.targetId, upcoming.kid);
      assert.equal(events[0]?.actor, CLI_ACTOR);
    });

    it('list without --json is a table that never shows key material', async () => {
      const { stdout } = ok(await cli('keys', 'list'));
      assert.match(stdout, /^KID\s+ALG\s+STATE\s+SIGNS FROM\s+LEAVES JWKS\n/);
      assert.match(stdout, /RS256\s+next/);
      assert.match(stdout, /RS256\s+active/);
      assert.match(stdout, /RS256\s+retired/);
      assert.ok(!/"d"|PRIVATE|sealed/i.test(stdout));
    });
  });

  describe('configuration', { concurrency: false }, () => {
    it('--database-url works in place of DATABASE_URL', async () => {
      const other = tempDir();
      try {
        const url = `sqlite:${join(other.dir, 'flag.db')}`;
        const byFlag = { KEY_ENCRYPTION_KEY: env.KEY_ENCRYPTION_KEY };
        const created = json<AppJson>(
          await runMain(['apps', 'create', '--name', 'flagged', '--json', '--database-url', url], byFlag),
        );
        assert.ok(existsSync(join(other.dir, 'flag.db')), 'the flag names the store');
        const listed = json<Page<AppJson>>(
          await runMain(['apps', 'list', '--json'], { DATABASE_URL: url }),
        ).items;
        assert.deepEqual(
          listed.map((a) => a.client_id),
          [created.client_id],
        );
        // The flag wins over the environment.
        const overridden = json<Page<AppJson>>(
          await runMain(['apps', 'list', '--json', '--database-url', url], { ...env }),
        ).items;
        assert.deepEqual(
          overridden.map((a) => a.client_id),
          [created.client_id],
        );
      } finally {
        other.remove();
      }
    });

    it('the key encryption key is not accepted as a flag (it would show in ps)', async () => {
      const stderr = fails(await cli('apps', 'list', '--key-encryption-key', env.KEY_ENCRYPTION_KEY), 2);
      assert.match(stderr, /key-encryption-key/);
    });

    it('nor is the admin token', async () => {
      const stderr = fails(await cli('apps', 'list', '--admin-token', 'a'.repeat(64)), 2);
      assert.match(stderr, /admin-token/);
    });

    it('without KEY_ENCRYPTION_KEY no command warns (serve does, once per start) and the sandbox key file is 0600', async () => {
      const sandbox = tempDir();
      try {
        const sandboxEnv = { DATABASE_URL: `sqlite:${join(sandbox.dir, 'x.db')}` };
        const keyFile = join(sandbox.dir, 'key-encryption.key');

        const created = await runMain(['apps', 'create', '--name', 'sandboxed', '--json'], sandboxEnv);
        assert.equal(created.code, 0, created.stderr);
        assert.equal(created.stderr, '', 'apps commands never touch the signing keys');
        assert.equal(JSON.parse(created.stdout).name, 'sandboxed');
        assert.ok(!existsSync(keyFile), 'no key file before a command needs one');

        for (const command of [
          ['keys', 'rotate', '--now', '--json'],
          ['keys', 'list', '--json'],
        ]) {
          const result = await runMain(command, sandboxEnv);
          assert.equal(result.code, 0, result.stderr);
          assert.equal(result.stderr, '', 'the sandbox key warning is for serve to give');
          const output = JSON.parse(result.stdout) as KeyJson[] | Page<KeyJson>;
          assert.equal((Array.isArray(output) ? output : output.items).length, 1, 'stdout stays pure JSON');
        }
        assert.equal(statSync(keyFile).mode & 0o777, 0o600);

        const listed = await runMain(['apps', 'list', '--json'], sandboxEnv);
        assert.equal(listed.code, 0);
        assert.equal(listed.stderr, '');
      } finally {
        sandbox.remove();
      }
    });

    it('production with a plain-http ISSUER and no KEY_ENCRYPTION_KEY is exit 2, naming both', async () => {
      const production = {
        DATABASE_URL: env.DATABASE_URL,
        LEAN_AUTH_ENV: 'production',
        ISSUER: 'http://x',
      };
      const stderr = fails(await runMain(['apps', 'list'], production), 2);
      assert.match(stderr, /ISSUER must use https in production/);
      assert.match(stderr, /KEY_ENCRYPTION_KEY is required in production/);
      assert.match(stderr, /ADMIN_TOKEN is required in production/);

      const asJson = JSON.parse(fails(await runMain(['apps', 'list', '--json'], production), 2));
      assert.equal(asJson.error, 'config');
      assert.match(asJson.message, /ISSUER/);
      assert.match(asJson.message, /KEY_ENCRYPTION_KEY/);
    });
  });

  describe('the command line', { concurrency: false }, () => {
    // A store of its own: the other groups change theirs while these tests compare two listings.
    const own = {
      DATABASE_URL: `sqlite:${join(temp.dir, 'command-line.db')}`,
      KEY_ENCRYPTION_KEY: randomKeyHex(),
    };
    const cli = (...args: string[]) => runMain(args, own);

    before(async () => {
      ok(await cli('apps', 'create', '--name', 'listed'));
      ok(await cli('keys', 'rotate', '--now'));
    });

    it('--json before the command is --json after it', async () => {
      const after = json<Page<AppJson>>(await cli('apps', 'list', '--json'));
      assert.ok(after.items.length > 0);
      assert.deepEqual(json<Page<AppJson>>(await cli('--json', 'apps', 'list')), after);
      assert.ok(json<Page<KeyJson>>(await cli('--json', 'keys', 'list')).items.length > 0);
      const error = JSON.parse(fails(await cli('--json', 'apps', 'frobnicate'), 2));
      assert.equal(error.error, 'usage', 'an error under a leading --json is JSON too');
    });

    it('a configuration flag before the command takes its value, spaced or with =', async () => {
      const expected = json<Page<AppJson>>(await cli('apps', 'list', '--json'));
      const flagOnly = { KEY_ENCRYPTION_KEY: own.KEY_ENCRYPTION_KEY };
      for (const args of [
        ['--database-url', own.DATABASE_URL, 'apps', 'list', '--json'],
        [`--database-url=${own.DATABASE_URL}`, '--json', 'apps', 'list'],
      ]) {
        assert.deepEqual(json<Page<AppJson>>(await runMain(args, flagOnly)), expected, args.join(' '));
      }
    });

    it('--help before a command shows that command; an unknown leading option is exit 2, naming it', async () => {
      assert.match(ok(await cli('--help', 'apps', 'list')).stdout, /^Usage: lean-auth apps list/);
      assert.match(fails(await cli('--bogus', 'apps', 'list'), 2), /--bogus/);
      assert.match(ok(await cli('-h')).stdout, /^Usage: lean-auth <command>/);
    });
  });

  describe('errors', { concurrency: false }, () => {
    it('an unknown command is exit 2, pointing at --help', async () => {
      const stderr = fails(await cli('apps', 'frobnicate'), 2);
      assert.match(stderr, /unknown command 'apps frobnicate'/);
      assert.match(stderr, /--help/);
      fails(await cli('nope'), 2);
    });

    it('--help lists every command and exits 0', async () => {
      const { stdout } = ok(await cli('--help'));
      for (const command of [
        'serve',
        'apps create',
        'apps list',
        'apps show',
        'apps update',
        'apps disable',
        'apps enable',
        'apps rotate-secret',
        'customers create',
        'customers list',
        'customers disable',
        'keys list',
        'keys rotate',
      ]) {
        assert.ok(stdout.includes(`  ${command}`), `--help mentions ${command}`);
      }
    });

    it('a missing --name is exit 2', async () => {
      assert.match(fails(await cli('apps', 'create'), 2), /--name is required/);
    });

    it('an unknown option is exit 2, naming it', async () => {
      assert.match(fails(await cli('apps', 'list', '--bogus'), 2), /--bogus/);
    });

    it('a missing or extra positional argument is exit 2 with the usage', async () => {
      assert.match(fails(await cli('apps', 'show'), 2), /usage: lean-auth apps show CLIENT_ID/);
      assert.match(fails(await cli('apps', 'list', 'extra'), 2), /usage: lean-auth apps list/);
    });

    it('an unknown client id is exit 1: no application', async () => {
      const unknown = '00000000-0000-4000-8000-000000000000';
      for (const command of ['show', 'disable', 'enable']) {
        assert.match(fails(await cli('apps', command, unknown), 1), /no application has client_id/);
      }
      assert.match(
        fails(await cli('apps', 'show', 'not-a-uuid'), 1),
        /no application has client_id 'not-a-uuid'/,
      );
    });

    it('with --json an error is JSON on stderr: {error, message}', async () => {
      const cases: [string[], number, string][] = [
        [['apps', 'frobnicate', '--json'], 2, 'usage'],
        [['apps', 'create', '--json'], 2, 'usage'],
        [['apps', 'list', '--bogus', '--json'], 2, 'usage'],
        [['apps', 'show', '00000000-0000-4000-8000-000000000000', '--json'], 1, 'not_found'],
      ];
      for (const [args, code, error] of cases) {
        const body = JSON.parse(fails(await cli(...args), code));
        assert.deepEqual(Object.keys(body).sort(), ['error', 'message'], args.join(' '));
        assert.equal(body.error, error, args.join(' '));
        assert.equal(typeof body.message, 'string');
        assert.ok(body.message.length > 0);
      }
    });
  });
});
