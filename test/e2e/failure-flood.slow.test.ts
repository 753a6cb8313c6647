import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { statSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { freePort, RunningProcess, randomKeyHex } from '../helpers/child-process.js';
import { tempDir } from '../helpers/test-server.js';
import { residentSetSize } from '../load/live-server.js';

const LISTENING = 'lean-auth is listening';
const FAILURES = 6_000;
const CONNECTIONS = 8;
/**
 * What the flood may add. Measured on this machine before the fix: RSS +79 MB and database
 * +33 MB for 3,000 such requests (every header and id kept whole, in memory and in the audit log),
 * so about +160 MB for these 6,000. After: RSS +14 to +40 MB, the heap the collector grows for the
 * request headers passing through (it varies with when the collector runs, not with the count),
 * and database +0.3 MB (at most 1,000 audit rows a minute, of bounded size).
 */
const RSS_GROWTH_LIMIT = 64 * 1024 * 1024;
const DATABASE_GROWTH_LIMIT = 2 * 1024 * 1024;

/** The SQLite file and its write-ahead log, in bytes. */
function databaseBytes(file: string): number {
  let total = 0;
  for (const path of [file, `${file}-wal`]) {
    try {
      total += statSync(path).size;
    } catch {
      // No -wal file (checkpointed and removed on close): nothing to add.
    }
  }
  return total;
}

describe('a flood of failing requests with huge values', { timeout: 120_000 }, () => {
  const temp = tempDir();
  const file = join(temp.dir, 'lean-auth.db');
  let server: RunningProcess;
  let port: number;
  const agent = new Agent({ keepAlive: true, maxSockets: CONNECTIONS });

  before(async () => {
    port = await freePort();
    server = new RunningProcess(['serve'], {
      PORT: String(port),
      DATABASE_URL: `sqlite:${file}`,
      KEY_ENCRYPTION_KEY: randomKeyHex(),
      ADMIN_TOKEN: randomBytes(32).toString('hex'),
      // The test connects from 127.0.0.1: its X-Forwarded-For is believed, as a proxy's would be.
      TRUST_PROXY: '127.0.0.1',
      LOG_LEVEL: 'info',
    });
    await server.waitForOutput(LISTENING, 60_000);
  });

  after(async () => {
    agent.destroy();
    await server.kill();
    temp.remove();
  });

  /** A failing token request: a 12 KB X-Forwarded-For of its own, and a 3 KB or a fresh client_id. */
  const fail = (n: number) =>
    new Promise<number>((resolve, reject) => {
      const clientId = n % 2 === 0 ? `${n}-${'c'.repeat(3 * 1024)}` : randomUUID();
      const body = new URLSearchParams({
        grant_type: 'client_credentials',
        scope: 'api',
        client_id: clientId,
        client_secret: 'wrong',
      }).toString();
      const req = request(
        {
          host: '127.0.0.1',
          port,
          agent,
          method: 'POST',
          path: '/oauth2/token',
          headers: {
            'content-type': 'application/x-www-form-urlencoded',
            'x-forwarded-for': `${n}-${'f'.repeat(12 * 1024)}`,
          },
        },
        (response) => {
          response.resume();
          response.on('end', () => resolve(response.statusCode ?? 0));
        },
      );
      req.on('error', reject);
      req.end(body);
    });

  const flood = async (count: number, from: number) => {
    const statuses = new Map<number, number>();
    let next = from;
    await Promise.all(
      Array.from({ length: CONNECTIONS }, async () => {
        while (next < from + count) {
          const status = await fail(next++);
          statuses.set(status, (statuses.get(status) ?? 0) + 1);
        }
      }),
    );
    return statuses;
  };

  it(`${FAILURES} failures with a 12 KB X-Forwarded-For and a 3 KB client_id grow RSS and the database within bounds`, async () => {
    // Warm up (compiled code, buffers, pools), then measure from there.
    await flood(300, 1_000_000);
    await new Promise((resolve) => setTimeout(resolve, 6_000)); // the warm-up's audit counts written
    const pid = server.child.pid ?? 0;
    const rssBefore = residentSetSize(pid);
    const databaseBefore = databaseBytes(file);

    const statuses = await flood(FAILURES, 0);
    assert.deepEqual(
      [...statuses.keys()].filter((status) => status !== 401 && status !== 429),
      [],
      JSON.stringify([...statuses]),
    );
    const rssAfter = residentSetSize(pid);
    // Stopping writes what is left of the audit counts (and checkpoints the log into the file).
    server.child.kill('SIGTERM');
    const { code } = await server.waitForExit(20_000);
    assert.equal(code, 0, server.output());
    const databaseAfter = databaseBytes(file);

    const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
    const report = `RSS ${mb(rssBefore)} → ${mb(rssAfter)}, database ${mb(databaseBefore)} → ${mb(databaseAfter)}`;
    process.stdout.write(`# ${report}\n`);
    assert.ok(Number.isFinite(rssBefore) && Number.isFinite(rssAfter), report);
    assert.ok(rssAfter - rssBefore <= RSS_GROWTH_LIMIT, report);
    assert.ok(databaseAfter - databaseBefore <= DATABASE_GROWTH_LIMIT, report);
  });
});
