import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { THROTTLE_LIMITS, THROTTLE_WINDOW_MS } from '../../src/domain/auth-throttle.js';
import { freePort, RunningProcess, randomKeyHex } from '../helpers/child-process.js';
import { tempDir } from '../helpers/test-server.js';
import { type Credentials, requestTokenOnNewConnection } from '../helpers/token-request.js';
import { waitFor } from '../helpers/waiting.js';

const LISTENING = 'lean-auth is listening';

interface LogRecord {
  pid: number;
  msg: string;
  path?: string;
  status?: number;
}

/** The access-log records of token requests, in order. */
function tokenRecords(server: RunningProcess): LogRecord[] {
  return server.stdout.split('\n').flatMap((line) => {
    if (!line.startsWith('{')) return [];
    try {
      const record = JSON.parse(line) as LogRecord;
      return record.msg === 'request completed' && record.path === '/oauth2/token' ? [record] : [];
    } catch {
      return [];
    }
  });
}

describe('WORKERS=2 without Redis: the workers count failures together', { timeout: 90_000 }, () => {
  const temp = tempDir();
  let server: RunningProcess;
  let port: number;
  let demo: Credentials;

  before(async () => {
    port = await freePort();
    server = new RunningProcess(['serve'], {
      WORKERS: '2',
      PORT: String(port),
      DATABASE_URL: `sqlite:${join(temp.dir, 'lean-auth.db')}`,
      KEY_ENCRYPTION_KEY: randomKeyHex(),
      LOG_LEVEL: 'info',
    });
    await server.waitForOutput(LISTENING);
    // The first-start banner, on stderr.
    const field = (name: string) => new RegExp(`^\\s*${name}\\s+(\\S+)$`, 'm').exec(server.stderr)?.[1] ?? '';
    demo = { clientId: field('client_id'), clientSecret: field('client_secret') };
    // Both workers answer before the test begins.
    await waitFor(
      async () => {
        for (let i = 0; i < 5; i++)
          assert.equal(await requestTokenOnNewConnection(port, demo, '127.0.0.1'), 200);
        return new Set(tokenRecords(server).map((r) => r.pid)).size === 2;
      },
      10_000,
      () => `both workers to answer:\n${server.output()}`,
    );
  });

  after(async () => {
    await server.kill();
    temp.remove();
  });

  it('answers an address as many 401s as one process would, then 429 from both; its right secret 200 from both', async () => {
    const wrong = { clientId: demo.clientId, clientSecret: `${demo.clientSecret.slice(0, -4)}AAAA` };
    const attempts = 4 * THROTTLE_LIMITS.pair;
    // The kernel may hand most connections to one worker: try addresses until both saw a share.
    for (let round = 0; round < 8; round++) {
      const left = THROTTLE_WINDOW_MS - (Date.now() % THROTTLE_WINDOW_MS);
      if (left < 5_000) await new Promise((resolve) => setTimeout(resolve, left + 100));
      const attacker = `127.0.1.${round + 1}`;
      const seenBefore = tokenRecords(server).length;
      const statuses: number[] = [];
      for (let i = 0; i < attempts; i++) {
        statuses.push(await requestTokenOnNewConnection(port, wrong, attacker));
        // The primary's count arrives in the background: a burst on a busy machine may outrun it.
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      await waitFor(
        () => tokenRecords(server).length >= seenBefore + attempts,
        5_000,
        'the access log lines of the attempts',
      );
      const byWorker = new Map<number, number>();
      for (const record of tokenRecords(server).slice(seenBefore, seenBefore + attempts)) {
        byWorker.set(record.pid, (byWorker.get(record.pid) ?? 0) + 1);
      }
      if (byWorker.size < 2 || Math.min(...byWorker.values()) < 3) continue;

      const failures = statuses.filter((status) => status === 401).length;
      // Counted apart, each worker would answer up to the pair limit 401 (8 or more here, as each
      // had at least 3); counted together, the pair limit (a little more if a count or a block
      // was still on its way between the processes).
      assert.ok(
        failures >= THROTTLE_LIMITS.pair && failures <= THROTTLE_LIMITS.pair + 2,
        `401 answered ${failures} times (${statuses.join(' ')}), by worker ${JSON.stringify([...byWorker])}`,
      );
      assert.deepEqual(statuses.slice(failures), Array(attempts - failures).fill(429), statuses.join(' '));
      const right = await Promise.all(
        Array.from({ length: 10 }, () => requestTokenOnNewConnection(port, demo, attacker)),
      );
      assert.deepEqual(right, Array(10).fill(200), 'the right secret is never refused');
      return;
    }
    assert.fail(`the kernel never spread one address's connections over both workers:\n${server.output()}`);
  });
});
