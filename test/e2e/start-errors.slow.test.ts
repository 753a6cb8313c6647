import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { freePort, runCli } from '../helpers/child-process.js';
import { skipWithoutPostgres, TEST_POSTGRES_URL } from '../helpers/postgres.js';
import { tempDir } from '../helpers/test-server.js';

// Wrong moves at start get an answer that names the setting and what it takes, and the process
// exits by itself: each runs the compiled CLI, killed if it is still running after the time-out.

const TIME_OUT_MS = 20_000;
const skipPostgres = await skipWithoutPostgres();

describe('a start with a wrong setting says which and exits', { timeout: 120_000 }, () => {
  const temp = tempDir();
  const sqlite = `sqlite:${join(temp.dir, 'lean-auth.db')}`;
  after(() => temp.remove());

  /** Runs `lean-auth …args`; it must exit by itself with `code`. Returns its stderr. */
  async function refused(args: string[], env: Record<string, string>, code: number): Promise<string> {
    const started = Date.now();
    const result = await runCli(args, env, TIME_OUT_MS);
    assert.equal(result.signal, null, `killed after ${Date.now() - started} ms:\n${result.stderr}`);
    assert.equal(result.code, code, `${result.stdout}\n${result.stderr}`);
    assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
    return result.stderr;
  }

  it('HOST=localhost:18106 names HOST, the forms it takes and PORT', async () => {
    const stderr = await refused(['serve'], { HOST: 'localhost:18106', DATABASE_URL: sqlite }, 2);
    assert.match(stderr, /HOST must be the address to listen on/);
    assert.match(stderr, /PORT=18106/);
    assert.doesNotMatch(stderr, /ENOTFOUND|getaddrinfo/);
  });

  it('TRUST_PROXY=yes and TRUST_PROXY=true name TRUST_PROXY and its forms', async () => {
    const yes = await refused(['serve'], { TRUST_PROXY: 'yes', DATABASE_URL: sqlite }, 2);
    assert.match(yes, /TRUST_PROXY must be the number of proxies/);
    assert.doesNotMatch(yes, /invalid IP address/);
    const yesJson = await refused(['serve', '--json'], { TRUST_PROXY: 'true', DATABASE_URL: sqlite }, 2);
    assert.match(JSON.parse(yesJson).message, /TRUST_PROXY=true is refused/);
  });

  it('LEAN_AUTH_ENV unset on HOST=0.0.0.0 says to choose sandbox or production', async () => {
    const stderr = await refused(['serve'], { HOST: '0.0.0.0', DATABASE_URL: sqlite }, 2);
    assert.match(stderr, /LEAN_AUTH_ENV is not set and HOST=0\.0\.0\.0 listens beyond this machine/);
    assert.match(stderr, /LEAN_AUTH_ENV=production/);
  });

  it('an ADMIN_TOKEN with a space in it is refused in the sandbox too', async () => {
    const token = `${randomBytes(16).toString('hex')} ${randomBytes(16).toString('hex')}`;
    const stderr = await refused(['serve'], { ADMIN_TOKEN: token, DATABASE_URL: sqlite }, 2);
    assert.match(stderr, /ADMIN_TOKEN must not contain whitespace/);
    assert.ok(!stderr.includes(token.slice(0, 32)), 'the token is not echoed');
  });

  it('DATABASE_URL=sqlite:/proc/nonexistent/dir/x.db is refused at once (no spin), naming the folder', async () => {
    const url = 'sqlite:/proc/nonexistent/dir/x.db';
    const serve = await refused(['serve'], { DATABASE_URL: url, PORT: String(await freePort()) }, 1);
    assert.match(serve, /cannot open the SQLite database \/proc\/nonexistent\/dir\/x\.db \(DATABASE_URL\)/);
    assert.match(serve, /cannot create the folder \/proc\/nonexistent/);
    await refused(['apps', 'list'], { DATABASE_URL: url }, 1);
  });

  it('refuses --database-url and --redis-url with a password: use the environment', async () => {
    const stderr = await refused(
      ['apps', 'list', '--database-url', 'postgres://u:hunter2@127.0.0.1/x'],
      {},
      2,
    );
    assert.match(stderr, /--database-url carries a password/);
    assert.match(stderr, /set DATABASE_URL in the environment/);
    const query = await refused(
      ['apps', 'list', '--database-url', 'postgres://u@127.0.0.1/x?password=p'],
      {},
      2,
    );
    assert.match(query, /--database-url carries a password/);
    const redis = await refused(['serve', '--redis-url', 'redis://:hunter2@127.0.0.1:6379'], {}, 2);
    assert.match(redis, /--redis-url carries a password.*REDIS_URL/);
    // Without a password the flag is fine.
    const listed = await runCli(['apps', 'list', '--database-url', sqlite], {}, TIME_OUT_MS);
    assert.equal(listed.code, 0, listed.stderr);
  });

  it('an unreachable PostgreSQL says so in plain words', async () => {
    const port = await freePort();
    const stderr = await refused(
      ['apps', 'list'],
      { DATABASE_URL: `postgres://postgres@127.0.0.1:${port}/test` },
      1,
    );
    assert.match(
      stderr,
      new RegExp(`cannot connect to PostgreSQL at 127\\.0\\.0\\.1:${port}: connection refused`),
    );
    assert.doesNotMatch(stderr, /migration/);
  });

  it('a PostgreSQL database that does not exist says so', { skip: skipPostgres }, async () => {
    const name = `lean_auth_missing_${randomBytes(4).toString('hex')}`;
    const url = new URL(TEST_POSTGRES_URL);
    url.pathname = `/${name}`;
    const stderr = await refused(
      ['serve'],
      { DATABASE_URL: url.toString(), PORT: String(await freePort()) },
      1,
    );
    assert.match(
      stderr,
      new RegExp(
        `cannot connect to PostgreSQL at ${url.hostname}:${url.port || 5432}: database "${name}" does not exist`,
      ),
    );
  });
});
