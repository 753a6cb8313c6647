import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import { createLocalJWKSet, decodeProtectedHeader, type JSONWebKeySet, jwtVerify } from 'jose';
import pg from 'pg';
import { freePort, RunningProcess, randomKeyHex, runCli } from '../helpers/child-process.js';
import { skipWithoutPostgres } from '../helpers/postgres.js';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres-database.js';
import { openRawSqlite, pragmaRows } from '../helpers/raw-sqlite.js';
import { tempDir } from '../helpers/test-server.js';
import { waitFor } from '../helpers/waiting.js';

// SIGKILL in the middle of a stream of writes, then a restart: every write that was acknowledged
// is there and consistent, every token issued before the kill still verifies, and the database
// passes its integrity check. Once with the server killed under admin API writes, once with the
// CLI killed in the middle of its own writes; SQLite, and PostgreSQL where it answers.

const ADMIN_TOKEN = randomBytes(32).toString('hex');
const GRACE_SECONDS = 3600;

/** What the writers were told had been done: the only writes that must survive. */
interface Acknowledged {
  /**
   * client_id → name and every secret acknowledged for it, oldest first. `uncertain`: a rotation
   * of it was killed and may have committed; its last acknowledged secret still works (the grace
   * period), but which older one does is unknown, and it is rotated no more.
   */
  readonly apps: Map<string, AcknowledgedApp>;
  /** Signing keys acknowledged as made by a rotation. */
  readonly kids: Set<string>;
  /** Tokens issued before the kill. */
  readonly tokens: string[];
}

interface AcknowledgedApp {
  readonly name: string;
  readonly secrets: string[];
  uncertain?: boolean;
}

const acknowledged = (): Acknowledged => ({ apps: new Map(), kids: new Set(), tokens: [] });

/** `lean-auth serve` over `databaseUrl`, ready when /readyz says so. */
async function serve(databaseUrl: string, kek: string): Promise<{ process: RunningProcess; url: string }> {
  const port = await freePort();
  const child = new RunningProcess(['serve'], {
    DATABASE_URL: databaseUrl,
    KEY_ENCRYPTION_KEY: kek,
    ADMIN_TOKEN,
    HOST: '127.0.0.1',
    PORT: String(port),
    SIGNING_ALG: 'ES256',
    LOG_LEVEL: 'warn',
    // The checks that a secret no longer works come each from an address of their own, so that
    // the brute-force throttle does not refuse the checks of the secrets that must work.
    TRUST_PROXY: 'loopback',
  });
  const url = `http://127.0.0.1:${port}`;
  await waitFor(
    async () => {
      if (!child.running) throw new Error(`the server exited:\n${child.output()}`);
      try {
        return (await fetch(`${url}/readyz`)).status === 200;
      } catch {
        return false;
      }
    },
    30_000,
    () => `the server to be ready:\n${child.output()}`,
    100,
  );
  return { process: child, url };
}

async function call(
  url: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(`${url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${ADMIN_TOKEN}`,
      ...(body !== undefined && { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await response.text();
  return { status: response.status, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

let failingAddress = 0;

async function token(
  url: string,
  clientId: string,
  secret: string,
  expectFailure = false,
): Promise<{ status: number; token?: string }> {
  failingAddress++;
  const response = await fetch(`${url}/oauth2/token`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      ...(expectFailure && {
        'x-forwarded-for': `127.2.${(failingAddress >> 8) & 255}.${failingAddress & 255}`,
      }),
    },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      scope: 'api',
      client_id: clientId,
      client_secret: secret,
    }),
    signal: AbortSignal.timeout(10_000),
  });
  const json = (await response.json()) as { access_token?: string };
  return { status: response.status, ...(json.access_token && { token: json.access_token }) };
}

/**
 * One writer: create an application, rotate its secret twice, get a token with the latest secret,
 * and now and then rotate the signing key at once; over and over until a request fails (the kill).
 * Each application has at most one write in flight, so at most one unacknowledged rotation can
 * follow its last acknowledged secret, which therefore still works (the grace period).
 */
async function writer(url: string, id: number, acks: Acknowledged, stop: { now: boolean }): Promise<number> {
  let writes = 0;
  try {
    for (let round = 0; !stop.now && round < 1000; round++) {
      const name = `crash ${id}.${round}`;
      const created = await call(url, 'POST', '/admin/v1/applications', {
        name,
        token_classes: ['api', 'customer'],
      });
      assert.equal(created.status, 201, JSON.stringify(created.json));
      const clientId = String(created.json.client_id);
      const app = { name, secrets: [String(created.json.client_secret)] };
      acks.apps.set(clientId, app);
      writes++;
      for (let r = 0; r < 2; r++) {
        const rotated = await call(url, 'POST', `/admin/v1/applications/${clientId}/rotate-secret`, {
          grace_seconds: GRACE_SECONDS,
        });
        assert.equal(rotated.status, 200, JSON.stringify(rotated.json));
        app.secrets.push(String(rotated.json.client_secret));
        writes++;
      }
      const issued = await token(url, clientId, app.secrets.at(-1) as string);
      assert.equal(issued.status, 200);
      acks.tokens.push(issued.token as string);
      if ((round + id) % 3 === 0) {
        const key = await call(url, 'POST', '/admin/v1/keys/rotate', { now: true });
        assert.equal(key.status, 201, JSON.stringify(key.json));
        acks.kids.add(String(key.json.kid));
        writes++;
        const signed = await token(url, clientId, app.secrets.at(-1) as string);
        if (signed.token) acks.tokens.push(signed.token);
      }
    }
  } catch (error) {
    // The kill: a request in flight fails. Anything else before the kill is a real failure.
    if (!stop.now) throw error;
  }
  return writes;
}

/** Checks, against a freshly started server, that everything acknowledged is there and consistent. */
async function verifyAcknowledged(t: TestContext, url: string, acks: Acknowledged): Promise<void> {
  assert.ok(acks.apps.size > 0, 'nothing was acknowledged before the kill');
  for (const [clientId, app] of acks.apps) {
    const shown = await call(url, 'GET', `/admin/v1/applications/${clientId}`);
    assert.equal(
      shown.status,
      200,
      `acknowledged application ${clientId} is missing: ${JSON.stringify(shown.json)}`,
    );
    assert.equal(shown.json.name, app.name);
    assert.equal(shown.json.status, 'active');
    const last = app.secrets.at(-1) as string;
    const issued = await token(url, clientId, last);
    assert.equal(issued.status, 200, `the last acknowledged secret of ${clientId} does not work`);
    if (app.secrets.length >= 3 && !app.uncertain) {
      // Two rotations after it were acknowledged: never more than two secrets work.
      const old = await token(url, clientId, app.secrets.at(-3) as string, true);
      assert.equal(old.status, 401, `a secret rotated out twice still works for ${clientId}`);
    }
    const audit = await call(url, 'GET', `/admin/v1/audit?action=application.create&target_id=${clientId}`);
    assert.equal((audit.json.items as unknown[]).length, 1, `no audit record of the creation of ${clientId}`);
  }
  const keys = (
    (await call(url, 'GET', '/admin/v1/keys')).json.items as { kid: string; state: string }[]
  ).map((k) => k.kid);
  for (const kid of acks.kids) assert.ok(keys.includes(kid), `acknowledged key ${kid} is missing`);
  const jwks = (await (await fetch(`${url}/.well-known/jwks.json`)).json()) as JSONWebKeySet;
  const keySet = createLocalJWKSet(jwks);
  for (const issued of acks.tokens) {
    await jwtVerify(issued, keySet, { typ: 'at+jwt' }).catch((error: Error) => {
      throw new Error(
        `a token issued before the kill (kid ${decodeProtectedHeader(issued).kid}) no longer verifies: ${error.message}`,
      );
    });
  }
  t.diagnostic(
    `after the restart: ${acks.apps.size} acknowledged applications with ${[...acks.apps.values()].reduce((n, a) => n + a.secrets.length, 0)} secrets, ${acks.kids.size} keys and ${acks.tokens.length} tokens all hold; ${keys.length} keys published`,
  );
}

/**
 * Runs the CLI and SIGKILLs it as soon as `wal` (the SQLite write-ahead log) changes size or time:
 * in the middle of its write. Polls every millisecond; gives up (and kills) after `limitMs`.
 */
async function runKilledOnWrite(args: string[], env: Record<string, string>, wal: string, limitMs: number) {
  const stamp = () => {
    try {
      const stat = statSync(wal);
      return `${stat.size}:${stat.mtimeMs}`;
    } catch {
      return 'none';
    }
  };
  const before = stamp();
  const child = new RunningProcess(args, env);
  const started = Date.now();
  const watcher = setInterval(() => {
    if (stamp() !== before || Date.now() - started > limitMs) child.child.kill('SIGKILL');
  }, 1);
  try {
    return { ...(await child.exited), stdout: child.stdout, stderr: child.stderr };
  } finally {
    clearInterval(watcher);
  }
}

/** SQLite's own checks, on the file opened read-only once every process is gone. */
function sqliteIntegrity(file: string): void {
  const db = openRawSqlite(file, { readOnly: true });
  try {
    assert.deepEqual(pragmaRows(db, 'integrity_check'), [{ integrity_check: 'ok' }]);
    assert.deepEqual(pragmaRows(db, 'foreign_key_check'), []);
  } finally {
    db.close();
  }
}

/** Kills the server in the middle of the writers' stream, once at least `minimum` writes were acknowledged. */
async function killUnderWrites(url: string, server: RunningProcess, acks: Acknowledged, minimum: number) {
  const stop = { now: false };
  let acknowledgedWrites = 0;
  const writers = [0, 1, 2].map((id) => writer(url, id, acks, stop).then((n) => (acknowledgedWrites += n)));
  const writes = () => [...acks.apps.values()].reduce((n, a) => n + a.secrets.length, 0) + acks.kids.size;
  await waitFor(() => writes() >= minimum, 60_000, `${minimum} acknowledged writes`, 10);
  await new Promise((resolve) => setTimeout(resolve, Math.floor(Math.random() * 150)));
  stop.now = true;
  server.child.kill('SIGKILL');
  await server.exited;
  await Promise.all(writers);
  return acknowledgedWrites;
}

describe('crash safety with SQLite', { timeout: 240_000 }, () => {
  const temp = tempDir();
  const file = join(temp.dir, 'lean-auth.db');
  const databaseUrl = `sqlite:${file}`;
  const kek = randomKeyHex();
  const processes: RunningProcess[] = [];
  after(async () => {
    await Promise.all(processes.map((p) => p.kill()));
    temp.remove();
  });

  it('a server killed under admin writes loses no acknowledged write', async (t) => {
    const acks = acknowledged();
    const first = await serve(databaseUrl, kek);
    processes.push(first.process);
    const writes = await killUnderWrites(first.url, first.process, acks, 40);
    t.diagnostic(`SIGKILL after ${writes} acknowledged writes`);
    // The file as the kill left it (with its write-ahead log) already passes the check.
    sqliteIntegrity(file);

    const second = await serve(databaseUrl, kek);
    processes.push(second.process);
    await verifyAcknowledged(t, second.url, acks);
    second.process.child.kill('SIGTERM');
    await second.process.waitForExit();
    sqliteIntegrity(file);
  });

  it('a CLI killed in the middle of its writes loses no acknowledged write', async (t) => {
    const acks = acknowledged();
    const server = await serve(databaseUrl, kek);
    processes.push(server.process);
    const cli = (...args: string[]) =>
      runCli([...args, '--json'], {
        DATABASE_URL: databaseUrl,
        KEY_ENCRYPTION_KEY: kek,
        SIGNING_ALG: 'ES256',
      });
    const keysBefore = ((await call(server.url, 'GET', '/admin/v1/keys')).json.items as unknown[]).length;

    // How long one command takes here, so that the kills land while the commands run.
    const timed = Date.now();
    const probe = await cli('apps', 'create', '--name', 'crash cli probe');
    assert.equal(probe.code, 0, probe.stderr);
    const duration = Date.now() - timed;
    const probeApp = JSON.parse(probe.stdout) as { client_id: string; client_secret: string };
    acks.apps.set(probeApp.client_id, { name: 'crash cli probe', secrets: [probeApp.client_secret] });

    let killed = 0;
    let killedRotations = 0;
    for (let step = 0; step < 15; step++) {
      const kind = step % 3;
      const apps = [...acks.apps.entries()].filter(([, a]) => !a.uncertain);
      const [clientId, app] = apps[step % apps.length] as [string, AcknowledgedApp];
      const args =
        kind === 0
          ? ['apps', 'create', '--name', `crash cli ${step}`]
          : kind === 1
            ? ['apps', 'rotate-secret', clientId, '--grace', String(GRACE_SECONDS)]
            : ['keys', 'rotate', '--now'];
      const env = { DATABASE_URL: databaseUrl, KEY_ENCRYPTION_KEY: kek, SIGNING_ALG: 'ES256' };
      // Every other command is killed: half of those the moment the write-ahead log changes (the
      // write has begun, the commit may not have), half at a random moment of its run.
      const result =
        step % 4 === 1
          ? await runKilledOnWrite(args.concat('--json'), env, `${file}-wal`, duration * 3)
          : await runCli(
              args.concat('--json'),
              env,
              step % 2 === 1 ? Math.round(duration * (0.4 + Math.random() * 0.8)) : 30_000,
            );
      if (result.signal === 'SIGKILL') {
        killed++;
        if (kind === 2) killedRotations++;
        // A killed rotation may or may not have committed (see AcknowledgedApp).
        if (kind === 1) app.uncertain = true;
        continue;
      }
      assert.equal(result.code, 0, `${args.join(' ')}: ${result.stderr}`);
      const json = JSON.parse(result.stdout) as Record<string, unknown> | { kid: string; state: string }[];
      if (kind === 0) {
        const created = json as { client_id: string; client_secret: string; name: string };
        acks.apps.set(created.client_id, { name: created.name, secrets: [created.client_secret] });
      } else if (kind === 1) {
        app.secrets.push(String((json as { client_secret: string }).client_secret));
      } else {
        const active = (json as { kid: string; state: string }[]).find((k) => k.state === 'active');
        assert.ok(active);
        acks.kids.add(active.kid);
      }
      // A token from the running server, which sees the CLI's writes within a second.
      const [someId, someApp] = [...acks.apps.entries()].at(-1) as [string, AcknowledgedApp];
      await waitFor(
        async () => (await token(server.url, someId, someApp.secrets.at(-1) as string)).status === 200,
        5_000,
        'the server to see the CLI write',
      );
      const issued = await token(server.url, someId, someApp.secrets.at(-1) as string);
      if (issued.token) acks.tokens.push(issued.token);
    }
    t.diagnostic(`killed ${killed} CLI commands (a command takes about ${duration} ms here)`);
    assert.ok(killed > 0);

    server.process.child.kill('SIGKILL');
    await server.process.exited;
    sqliteIntegrity(file);
    const restarted = await serve(databaseUrl, kek);
    processes.push(restarted.process);
    await verifyAcknowledged(t, restarted.url, acks);
    const keysAfter = ((await call(restarted.url, 'GET', '/admin/v1/keys')).json.items as unknown[]).length;
    t.diagnostic(
      `keys: ${keysBefore} before, ${acks.kids.size} rotations acknowledged and ${killedRotations} killed, ${keysAfter} after`,
    );
    restarted.process.child.kill('SIGTERM');
    await restarted.process.waitForExit();
    sqliteIntegrity(file);
  });
});

const skip = await skipWithoutPostgres();

describe('crash safety with PostgreSQL', { timeout: 240_000 }, () => {
  let database: TestDatabase | undefined;
  const processes: RunningProcess[] = [];
  before(async () => {
    if (!skip) database = await createTestDatabase();
  });
  after(async () => {
    await Promise.all(processes.map((p) => p.kill()));
    await database?.drop();
  });

  it('a server killed under admin writes loses no acknowledged write', { skip }, async (t) => {
    const { url: databaseUrl, schema } = (database as TestDatabase).freshSchema();
    const kek = randomKeyHex();
    const acks = acknowledged();
    const first = await serve(databaseUrl, kek);
    processes.push(first.process);
    const writes = await killUnderWrites(first.url, first.process, acks, 40);
    t.diagnostic(`SIGKILL after ${writes} acknowledged writes`);
    const second = await serve(databaseUrl, kek);
    processes.push(second.process);
    await verifyAcknowledged(t, second.url, acks);
    second.process.child.kill('SIGTERM');
    await second.process.waitForExit();
    await postgresIntegrity(t, (database as TestDatabase).url, schema);
  });
});

/**
 * PostgreSQL's own check where it can be had: amcheck's bt_index_check on every index of the
 * schema (it needs the extension, which needs a superuser), and the foreign keys re-validated.
 */
async function postgresIntegrity(t: TestContext, url: string, schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const constraints = await client.query<{ table: string; name: string }>(
      `select conrelid::regclass::text as table, conname as name from pg_constraint
        where contype = 'f' and connamespace = $1::regnamespace`,
      [schema],
    );
    for (const { table, name } of constraints.rows) {
      await client.query(`alter table ${table} validate constraint ${name}`);
    }
    try {
      await client.query('create extension if not exists amcheck');
    } catch (error) {
      t.diagnostic(`amcheck not available (${(error as Error).message}): index check skipped`);
      return;
    }
    const indexes = await client.query<{ index: string }>(
      `select c.oid::regclass::text as index from pg_index i join pg_class c on c.oid = i.indexrelid
         join pg_am a on a.oid = c.relam where c.relnamespace = $1::regnamespace and a.amname = 'btree'`,
      [schema],
    );
    for (const { index } of indexes.rows)
      await client.query('select bt_index_check($1::regclass, true)', [index]);
    t.diagnostic(
      `PostgreSQL: ${indexes.rows.length} indexes pass bt_index_check, ${constraints.rows.length} foreign keys validate`,
    );
    assert.ok(indexes.rows.length > 0);
  } finally {
    await client.end();
  }
}
