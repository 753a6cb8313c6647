import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { randomKeyHex, runCli } from '../helpers/child-process.js';
import { tempDir } from '../helpers/test-server.js';

/** A port some other server holds for the length of the tests. */
function holdPort(): Promise<{ server: Server; port: number }> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      resolve({ server, port: typeof address === 'object' && address ? address.port : 0 });
    });
  });
}

/**
 * One line naming `setting`, how to pick another port, exit 1, and no stack trace (a first start
 * may also print the sandbox banner on stderr: that is not the error).
 */
function assertPortInUse(result: { code: number | null; stderr: string }, setting: string, port: number) {
  assert.equal(result.code, 1, result.stderr);
  const lines = result.stderr.split('\n').filter((line) => line.includes('already in use'));
  assert.equal(lines.length, 1, `one line:\n${result.stderr}`);
  assert.match(
    lines[0] ?? '',
    new RegExp(
      `^lean-auth: ${setting} ${port} is already in use on 127\\.0\\.0\\.1 .*e\\.g\\. ${setting}=${port + 1} npm start$`,
    ),
  );
  assert.doesNotMatch(result.stderr, /^\s+at /m, 'no stack trace');
}

describe('a second server on a port already taken', { timeout: 120_000, concurrency: true }, () => {
  const temp = tempDir();
  let held: { server: Server; port: number };
  const env = (name: string, settings: Record<string, string>) => ({
    DATABASE_URL: `sqlite:${join(temp.dir, `${name}.db`)}`,
    KEY_ENCRYPTION_KEY: randomKeyHex(),
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    ...settings,
  });

  before(async () => {
    held = await holdPort();
  });

  after(() => {
    held.server.close();
    temp.remove();
  });

  it('PORT taken: says so in one line naming PORT, exit 1', async () => {
    const result = await runCli(['serve'], env('single', { PORT: String(held.port) }));
    assertPortInUse(result, 'PORT', held.port);
  });

  it('PORT taken with WORKERS=2: the primary says it once for all workers', async () => {
    const result = await runCli(['serve'], env('workers', { PORT: String(held.port), WORKERS: '2' }));
    assertPortInUse(result, 'PORT', held.port);
  });

  it('ADMIN_PORT taken: the line names ADMIN_PORT', async () => {
    const result = await runCli(['serve'], env('admin', { PORT: '0', ADMIN_PORT: String(held.port) }));
    assertPortInUse(result, 'ADMIN_PORT', held.port);
  });
});
