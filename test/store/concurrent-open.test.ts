import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { childEnv } from '../helpers/child-process.js';
import { tempDir } from '../helpers/test-server.js';

const SQLITE_STORE = new URL('../../src/store/sqlite-store.js', import.meta.url).href;

/** A process that loads the store, waits for the agreed moment, then opens and migrates `path`. */
function migrateAt(path: string, startAt: number): Promise<{ code: number | null; stderr: string }> {
  const script = `
    const { openSqliteStore } = await import(${JSON.stringify(SQLITE_STORE)});
    while (Date.now() < ${startAt}) await new Promise((r) => setTimeout(r, 1));
    const store = openSqliteStore(${JSON.stringify(path)});
    try { await store.migrate(); } finally { await store.close(); }
  `;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      env: childEnv({}),
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    });
  });
}

describe('processes opening one fresh SQLite file at once', { timeout: 120_000 }, () => {
  it('all migrate it without error (the server and a CLI command, or WORKERS=n, starting together)', async () => {
    const temp = tempDir();
    try {
      for (let round = 0; round < 3; round++) {
        const path = join(temp.dir, `fresh-${round}.db`);
        const startAt = Date.now() + 2000;
        const results = await Promise.all([1, 2, 3, 4].map(() => migrateAt(path, startAt)));
        for (const { code, stderr } of results) assert.equal(code, 0, stderr);
      }
    } finally {
      temp.remove();
    }
  });
});
