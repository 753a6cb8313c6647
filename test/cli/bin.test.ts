import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { CLI_BIN, childEnv, randomKeyHex } from '../helpers/child-process.js';
import { tempDir } from '../helpers/test-server.js';

// The real executable, as `npx lean-auth` runs it: the rest of test/cli calls main() in process, so
// these few make sure that the bin file runs main, with the process's streams and environment, and
// that the exit code reaches the shell.
describe('the lean-auth executable', { timeout: 60_000 }, () => {
  const temp = tempDir();
  const env = { DATABASE_URL: `sqlite:${join(temp.dir, 'bin.db')}`, KEY_ENCRYPTION_KEY: randomKeyHex() };
  /** The bin file under this Node.js (the first test runs it by its shebang, as a shell does). */
  const run = (...args: string[]) =>
    spawnSync(process.execPath, [CLI_BIN, ...args], { encoding: 'utf8', env: childEnv(env) });

  after(() => temp.remove());

  it('runs by itself: the build sets its execute bit, and --help exits 0', () => {
    assert.equal(statSync(CLI_BIN).mode & 0o111, 0o111, `${CLI_BIN} is executable`);
    const help = spawnSync(CLI_BIN, ['--help'], { encoding: 'utf8', env: childEnv({}) });
    assert.equal(help.status, 0, help.stderr);
    assert.match(help.stdout, /^Usage: lean-auth <command>/);
  });

  it('creates an application that a second run lists, reading the environment', () => {
    const created = run('apps', 'create', '--name', 'from the shell', '--json');
    assert.equal(created.status, 0, created.stderr);
    assert.equal(created.stderr, '');
    const { client_id: clientId } = JSON.parse(created.stdout) as { client_id: string };
    const listed = run('apps', 'list', '--json');
    assert.equal(listed.status, 0, listed.stderr);
    const ids = (JSON.parse(listed.stdout) as { items: { client_id: string }[] }).items.map(
      (a) => a.client_id,
    );
    assert.deepEqual(ids, [clientId]);
  });

  it('exits 2 on a usage error and 1 on a refused command, saying why on stderr only', () => {
    const usage = run('apps', 'frobnicate');
    assert.equal(usage.status, 2);
    assert.equal(usage.stdout, '');
    assert.match(usage.stderr, /unknown command 'apps frobnicate'/);
    const refused = run('apps', 'show', '00000000-0000-4000-8000-000000000000');
    assert.equal(refused.status, 1);
    assert.equal(refused.stdout, '');
    assert.match(refused.stderr, /no application has client_id/);
  });
});
