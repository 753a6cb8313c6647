import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { childEnv, freePort, randomKeyHex } from '../helpers/child-process.js';
import { tempDir } from '../helpers/test-server.js';
import { waitFor } from '../helpers/waiting.js';

// dist/test/e2e/ → the repository root is three up.
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const CLI = join(ROOT, 'dist/src/cli/bin.js');
const { staleness } = (await import(new URL('../../../scripts/ensure-built.mjs', import.meta.url).href)) as {
  staleness(): string | undefined;
};
// npm itself: the one running `npm test`, else the one on PATH.
const NPM = process.env.npm_execpath ? [process.execPath, process.env.npm_execpath] : ['npm'];

/** `npm start` in the repository, its output collected. */
function npmStart(env: Record<string, string>) {
  const [command = 'npm', ...args] = NPM;
  const child = spawn(command, [...args, 'start', '--silent'], {
    cwd: ROOT,
    env: childEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
    // A process group of its own, so that a failed test can end npm and the server together.
    detached: true,
  });
  const run = { child, stdout: '', stderr: '', exit: exited(child) };
  child.stdout?.setEncoding('utf8').on('data', (text: string) => (run.stdout += text));
  child.stderr?.setEncoding('utf8').on('data', (text: string) => (run.stderr += text));
  return run;
}

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => child.on('close', (code) => resolve(code)));
}

async function healthy(port: number): Promise<boolean> {
  try {
    return (await fetch(`http://127.0.0.1:${port}/healthz`)).ok;
  } catch {
    return false;
  }
}

describe('npm start on a built tree', { timeout: 120_000 }, () => {
  const stale = staleness();
  const temp = tempDir();
  const started: ReturnType<typeof npmStart>[] = [];
  after(() => {
    for (const { child } of started) {
      try {
        if (child.pid) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // The group is gone already: every process in it has exited.
      }
    }
    temp.remove();
  });

  it('starts the built server without building, refuses a second one on its port, and stops on SIGTERM', {
    skip: stale && `dist/ is not current (${stale}): npm run build, then run this test`,
  }, async (t) => {
    const port = await freePort();
    const env = {
      DATABASE_URL: `sqlite:${join(temp.dir, 'lean-auth.db')}`,
      KEY_ENCRYPTION_KEY: randomKeyHex(),
      PORT: String(port),
      HOST: '127.0.0.1',
    };
    const built = statSync(CLI).mtimeMs;
    const began = Date.now();
    const first = npmStart(env);
    started.push(first);
    await waitFor(
      () => healthy(port),
      60_000,
      () => `/healthz of npm start:\n${first.stderr}`,
    );
    t.diagnostic(`npm start to /healthz: ${Date.now() - began} ms`);
    assert.doesNotMatch(first.stderr, /building/, 'a current build is not built again');

    const second = npmStart({ ...env, DATABASE_URL: `sqlite:${join(temp.dir, 'second.db')}` });
    started.push(second);
    assert.equal(await second.exit, 1);
    assert.match(
      second.stderr,
      new RegExp(`PORT ${port} is already in use .* e\\.g\\. PORT=${port + 1} npm start`),
    );

    assert.ok(await healthy(port), 'the first server still serves');
    assert.equal(statSync(CLI).mtimeMs, built, 'dist/ was left as it was');
    assert.equal(statSync(CLI).mode & 0o111, 0o111);

    // npm runs the server itself (exec), so SIGTERM to npm reaches it: a graceful stop, exit 0.
    first.child.kill('SIGTERM');
    assert.equal(await first.exit, 0, first.stderr);
    assert.match(first.stdout, /"msg":"shutting down"/);
  });
});
