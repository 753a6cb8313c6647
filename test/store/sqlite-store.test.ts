import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Application, ClientSecret } from '../../src/domain/application.js';
import type { Store, StoreChange } from '../../src/domain/store.js';
import { openSqliteStore } from '../../src/store/sqlite-store.js';
import { childEnv } from '../helpers/child-process.js';
import { openRawSqlite, pragmaRows, pragmaValue } from '../helpers/raw-sqlite.js';
import { tempDir } from '../helpers/test-server.js';

const T0 = Date.UTC(2026, 0, 1);

function newApplication(): { application: Application; secret: ClientSecret } {
  const clientId = randomUUID();
  return {
    application: {
      clientId,
      name: 'sqlite app',
      status: 'active',
      tokenClasses: ['api'],
      apiTokenTtl: null,
      customerTokenTtl: null,
      resourceServer: false,
      tokenEndpointAuthMethod: null,
      jwks: null,
      jwksUri: null,
      dpopBoundAccessTokens: false,
      tlsSubject: null,
      certificateBoundAccessTokens: false,
      createdAt: T0,
      updatedAt: T0,
    },
    secret: { id: randomUUID(), clientId, digest: '00'.repeat(32), createdAt: T0, expiresAt: null },
  };
}

async function insertSomeApplication(store: Store): Promise<string> {
  const { application, secret } = newApplication();
  await store.insertApplication(application, secret);
  return application.clientId;
}

/** Waits until `condition` holds, polling, for at most `ms`. */
async function eventually(condition: () => boolean, ms = 2000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) return false;
    await sleep(25);
  }
  return true;
}

/** The compiled store module, beside the compiled tests whatever the outDir. */
const SQLITE_STORE_MODULE = new URL('../../src/store/sqlite-store.js', import.meta.url).href;

/**
 * Runs `work` (the body of an async function with `store` in scope) in `count` separate Node
 * processes over the same SQLite file, released together once every one has opened the store.
 * Each answers 'ok', 'conflict' (StoreConflictError) or the error it met.
 */
async function raceInProcesses(file: string, count: number, work: string): Promise<string[]> {
  const script = `
    const { openSqliteStore } = await import(process.env.STORE_MODULE);
    const store = openSqliteStore(process.env.DB_FILE);
    process.stdout.write('ready\\n');
    await new Promise((resolve) => process.stdin.once('data', resolve));
    let result;
    try {
      await (async () => { ${work} })();
      result = 'ok';
    } catch (error) {
      result = error.name === 'StoreConflictError' ? 'conflict' : \`\${error.name} \${error.code ?? ''}: \${error.message}\`;
    }
    await store.close();
    process.stdout.write(JSON.stringify(result) + '\\n');
    process.exit(0);
  `;
  const children = Array.from({ length: count }, (_, index) =>
    spawn(process.execPath, ['--input-type=module', '-e', script], {
      env: childEnv({ STORE_MODULE: SQLITE_STORE_MODULE, DB_FILE: file, WORKER: String(index) }),
      stdio: ['pipe', 'pipe', 'inherit'],
    }),
  );
  const outputs = children.map((child) => {
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
    });
    const ready = new Promise<void>((resolve, reject) => {
      const check = () => {
        if (out.startsWith('ready\n')) resolve();
      };
      child.stdout.on('data', check);
      child.on('exit', () => reject(new Error(`worker exited before it was ready: ${out}`)));
    });
    const done = new Promise<string>((resolve) => {
      child.on('close', () => resolve(out));
    });
    return { child, ready, done };
  });
  const timer = setTimeout(() => {
    for (const { child } of outputs) child.kill('SIGKILL');
  }, 30_000);
  try {
    await Promise.all(outputs.map((o) => o.ready));
    for (const { child } of outputs) child.stdin.end('go\n');
    const results = await Promise.all(outputs.map((o) => o.done));
    return results.map((out) => {
      const line = out.split('\n').filter(Boolean).at(-1) ?? '';
      return line.startsWith('"') ? (JSON.parse(line) as string) : `no answer: ${out}`;
    });
  } finally {
    clearTimeout(timer);
  }
}

describe('SQLite store', () => {
  let temp: ReturnType<typeof tempDir>;
  let path: string;

  before(() => {
    temp = tempDir();
  });
  after(() => temp.remove());

  it('creates the folder of the file, uses WAL and keeps the file sound after writes', async () => {
    path = join(temp.dir, 'a', 'b', 'lean-auth.db');
    const store = openSqliteStore(path);
    try {
      await store.migrate();
      for (let i = 0; i < 20; i++) {
        const clientId = await insertSomeApplication(store);
        await store.insertCustomer({
          customerId: randomUUID(),
          clientId,
          appUserId: `user-${i}`,
          status: 'active',
          createdAt: T0,
        });
        await store.updateApplication(clientId, { name: `renamed ${i}`, apiTokenTtl: 60 + i }, T0 + i);
      }
      await store.addSigningKey(
        {
          kid: 'k1',
          alg: 'ES256',
          publicJwk: '{}',
          sealedPrivateKey: 'v1.x',
          createdAt: T0,
          activatesAt: T0,
          rotatedFrom: '',
          expiresAt: null,
        },
        { now: T0, previousExpiresAt: null },
      );
    } finally {
      await store.close();
    }

    const db = openRawSqlite(path);
    try {
      assert.equal(pragmaValue(db, 'journal_mode'), 'wal');
      assert.equal(pragmaValue(db, 'integrity_check'), 'ok');
      assert.deepEqual(pragmaRows(db, 'foreign_key_check'), []);
      assert.equal((db.prepare('select count(*) as n from applications').get() as { n: number }).n, 20);
      assert.equal((db.prepare('select count(*) as n from customers').get() as { n: number }).n, 20);
    } finally {
      db.close();
    }
  });

  it('reopens an existing file with its data and migrates it again without harm', async () => {
    const store = openSqliteStore(path);
    try {
      await store.migrate();
      assert.equal(await store.countApplications(), 20);
      assert.equal((await store.listSigningKeys())[0]?.kid, 'k1');
    } finally {
      await store.close();
    }
  });

  it('enforces foreign keys: no customer for an unknown application', async () => {
    const store = openSqliteStore(join(temp.dir, 'fk.db'));
    try {
      await store.migrate();
      const customerId = randomUUID();
      await assert.rejects(
        store.insertCustomer({
          customerId,
          clientId: randomUUID(),
          appUserId: 'orphan',
          status: 'active',
          createdAt: T0,
        }),
      );
      assert.equal(await store.findCustomer(customerId), undefined);
    } finally {
      await store.close();
    }
  });

  it('listLiveSecrets orders several live secrets newest first and drops the expired one', async () => {
    const file = join(temp.dir, 'secrets.db');
    const store = openSqliteStore(file);
    try {
      await store.migrate();
      const { application, secret } = newApplication();
      await store.insertApplication(application, { ...secret, createdAt: T0 + 1000 });
      // rotateSecret never leaves three rows (one expired): write them directly to check the order.
      const raw = openRawSqlite(file);
      try {
        const insert = raw.prepare(
          'insert into client_secrets (id, client_id, digest, created_at, expires_at) values (?, ?, ?, ?, ?)',
        );
        insert.run('newest', application.clientId, '11'.repeat(32), T0 + 2000, null);
        insert.run('previous', application.clientId, '22'.repeat(32), T0 + 500, T0 + 10_000);
        insert.run('expired', application.clientId, '33'.repeat(32), T0 + 1500, T0 + 3000);
      } finally {
        raw.close();
      }
      assert.deepEqual(
        (await store.listLiveSecrets(application.clientId, T0 + 3000)).map((s) => s.id),
        ['newest', secret.id, 'previous'],
      );
      assert.deepEqual(
        (await store.listLiveSecrets(application.clientId, T0 + 10_000)).map((s) => s.id),
        ['newest', secret.id],
      );
      assert.deepEqual(
        (await store.listLiveSecrets(application.clientId, T0 + 2999)).map((s) => s.id),
        ['newest', 'expired', secret.id, 'previous'],
      );
    } finally {
      await store.close();
    }
  });

  it('watch: fires for another connection’s write, not for its own, and stops', async () => {
    const file = join(temp.dir, 'watch.db');
    const watcher = openSqliteStore(file);
    await watcher.migrate();
    const writer = openSqliteStore(file);
    let calls = 0;
    const seenChanges: StoreChange[] = [];
    const stop = watcher.watch((change) => {
      calls++;
      seenChanges.push(change);
    });
    try {
      // The watcher's own writes do not change data_version for itself.
      await insertSomeApplication(watcher);
      await sleep(800);
      assert.equal(calls, 0, 'own writes must not be reported as external changes');

      // Another connection (as the CLI in another process) writes.
      await insertSomeApplication(writer);
      assert.ok(await eventually(() => calls >= 1), 'a write by another connection was not seen within 2 s');
      assert.equal(calls, 1, 'one commit is one change');
      // SQLite cannot tell what another connection wrote: caches must drop everything.
      assert.deepEqual(seenChanges, [{ entity: 'anything' }]);

      await insertSomeApplication(writer);
      assert.ok(await eventually(() => calls >= 2), 'a second external write was not seen within 2 s');

      // Once stopped, nothing more is reported.
      stop();
      const seen = calls;
      await insertSomeApplication(writer);
      await sleep(800);
      assert.equal(calls, seen, 'the listener was called after stop()');
      assert.equal(await watcher.countApplications(), 4);
    } finally {
      stop();
      await writer.close();
      await watcher.close();
    }
  });

  it('watch: hears of another process’s commit from the file system, not only from its timer', async () => {
    const file = join(temp.dir, 'inotify.db');
    // A timer that never fires within the test: only the file-system event can tell.
    const watcher = openSqliteStore(file, { changePollMs: 3_600_000 });
    await watcher.migrate();
    const writer = openSqliteStore(file);
    let calls = 0;
    const stop = watcher.watch(() => calls++);
    try {
      await insertSomeApplication(writer);
      assert.ok(await eventually(() => calls >= 1), 'the commit was not heard of within 2 s');
      await insertSomeApplication(watcher);
      await sleep(300);
      assert.equal(calls, 1, 'its own write is no external change');
    } finally {
      stop();
      await writer.close();
      await watcher.close();
    }
  });

  it('watch: a watcher whose store is closed does not throw', async () => {
    const file = join(temp.dir, 'closed.db');
    const watcher = openSqliteStore(file);
    await watcher.migrate();
    const writer = openSqliteStore(file);
    let calls = 0;
    const stop = watcher.watch(() => {
      calls++;
    });
    try {
      await watcher.close();
      await insertSomeApplication(writer);
      await sleep(600);
      assert.equal(calls, 0);
    } finally {
      stop();
      await writer.close();
    }
  });

  it('processes racing to add the first signing key: one wins, the others get StoreConflictError', async () => {
    for (let round = 0; round < 3; round++) {
      const file = join(temp.dir, `activate-race-${round}.db`);
      const setup = openSqliteStore(file);
      await setup.migrate();
      await setup.close();
      const results = await raceInProcesses(
        file,
        4,
        `await store.addSigningKey(
             { kid: 'kid-' + process.env.WORKER, alg: 'ES256', publicJwk: '{}', sealedPrivateKey: 'v1.x',
               createdAt: 1, activatesAt: 1, rotatedFrom: '', expiresAt: null },
             { now: 1, previousExpiresAt: null });`,
      );
      assert.deepEqual(
        [...results].sort(),
        ['conflict', 'conflict', 'conflict', 'ok'],
        `round ${round}: ${results.join(' | ')}`,
      );
      const check = openSqliteStore(file);
      try {
        assert.equal((await check.listSigningKeys()).length, 1);
      } finally {
        await check.close();
      }
    }
  });

  it('processes racing to rotate from the same key: one successor, the others get StoreConflictError', async () => {
    const file = join(temp.dir, 'rotate-race.db');
    const setup = openSqliteStore(file);
    await setup.migrate();
    const first = {
      kid: 'first',
      alg: 'ES256',
      publicJwk: '{}',
      sealedPrivateKey: 'v1.x',
      createdAt: 1,
      activatesAt: 1,
      rotatedFrom: '',
      expiresAt: null,
    };
    await setup.addSigningKey(first, { now: 1, previousExpiresAt: null });
    await setup.close();
    const results = await raceInProcesses(
      file,
      4,
      `await store.transaction(async (tx) => {
         await tx.addSigningKey(
           { kid: 'kid-' + process.env.WORKER, alg: 'ES256', publicJwk: '{}', sealedPrivateKey: 'v1.x',
             createdAt: 2, activatesAt: 3, rotatedFrom: 'first', expiresAt: null },
           { now: 2, previousExpiresAt: 1000 + Number(process.env.WORKER) });
         await tx.insertAuditEvents([{ id: 'event-' + process.env.WORKER, at: 2, actor: 'schedule',
           action: 'key.rotate', targetType: 'signing_key', targetId: 'kid-' + process.env.WORKER, detail: {} }]);
       });`,
    );
    assert.deepEqual([...results].sort(), ['conflict', 'conflict', 'conflict', 'ok'], results.join(' | '));
    const winner = results.indexOf('ok');
    const check = openSqliteStore(file);
    try {
      assert.deepEqual(
        (await check.listSigningKeys()).map((k) => [k.kid, k.expiresAt]),
        [
          [`kid-${winner}`, null],
          ['first', 1000 + winner],
        ],
      );
      // Only the winner's audit event was written: each loser's rolled back with its key.
      assert.deepEqual(
        (await check.listAuditEvents({}, { limit: 10 })).map((e) => e.id),
        [`event-${winner}`],
      );
    } finally {
      await check.close();
    }
  });

  it('ping() rejects once the store is closed', async () => {
    const store = openSqliteStore(join(temp.dir, 'ping.db'));
    await store.migrate();
    await store.ping();
    await store.close();
    await assert.rejects(store.ping());
  });
});
