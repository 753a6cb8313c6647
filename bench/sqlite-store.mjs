#!/usr/bin/env node
// A micro-measure of the SQLite store as built (dist/src/store/sqlite-store.js), on a fresh file in
// a temporary folder: writes (one transaction each, as the admin API makes them; synchronous=FULL,
// so the disk's fsync weighs in), point reads by primary key, and the full read the client directory
// makes at start. Not on a token request's path: that reads memory only.
//
//   STORE_WRITES=1000  STORE_READS=20000   how many of each
//   LEAN_AUTH_DIST=dist                    the build to measure
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const DIST = resolve(process.env.LEAN_AUTH_DIST ?? join(ROOT, 'dist'));
const { openSqliteStore } = await import(pathToFileURL(join(DIST, 'src/store/sqlite-store.js')).href);
const writes = Number(process.env.STORE_WRITES ?? 1000);
const reads = Number(process.env.STORE_READS ?? 20000);

const folder = mkdtempSync(join(tmpdir(), 'lean-auth-store-'));
const store = openSqliteStore(join(folder, 'bench.db'));
try {
  await store.migrate();
  const ids = [];
  const now = Date.now();
  const written = await timed(writes, async () => {
    const clientId = randomUUID();
    ids.push(clientId);
    await store.insertApplication(
      {
        clientId,
        name: `bench ${clientId}`,
        status: 'active',
        tokenClasses: ['api', 'customer'],
        apiTokenTtl: null,
        customerTokenTtl: null,
        resourceServer: false,
        createdAt: now,
        updatedAt: now,
      },
      { id: randomUUID(), clientId, digest: 'ab'.repeat(32), createdAt: now, expiresAt: null },
    );
  });
  let i = 0;
  const read = await timed(reads, async () => {
    await store.findApplication(ids[i++ % ids.length]);
  });
  const loaded = await timed(20, async () => {
    let after;
    for (;;) {
      const page = await store.listApplicationsWithLiveSecrets(now, { limit: 500, after });
      if (page.length < 500) break;
      after = page.at(-1).application.clientId;
    }
  });
  console.log(`node ${process.version}, ${DIST}`);
  console.log(`insertApplication (1 transaction):   ${written.perOp}  (${writes} in ${written.total})`);
  console.log(`findApplication (by primary key):    ${read.perOp}  (${reads} in ${read.total})`);
  console.log(`full load of ${writes} applications:   ${loaded.perOp}  (20 in ${loaded.total})`);
} finally {
  await store.close();
  rmSync(folder, { recursive: true, force: true });
}

async function timed(count, operation) {
  const start = process.hrtime.bigint();
  for (let n = 0; n < count; n++) await operation();
  const ns = Number(process.hrtime.bigint() - start);
  return { total: `${(ns / 1e6).toFixed(0)} ms`, perOp: `${(ns / count / 1e3).toFixed(1)} µs/op` };
}
