import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { tempDir } from '../helpers/test-server.js';

// dist/test/scripts/ → the repository root is three up; the scripts are plain JavaScript there.
const scripts = new URL('../../../scripts/', import.meta.url);
const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const { staleness } = (await import(new URL('ensure-built.mjs', scripts).href)) as {
  staleness(root: string, stamp: string): string | undefined;
};
const { removeOrphans } = (await import(new URL('build.mjs', scripts).href)) as {
  removeOrphans(folder: string, root: string, dist: string): void;
};

/** Sets the modification time of each path, `secondsFromNow` away. */
function age(secondsFromNow: number, ...paths: string[]): void {
  const at = new Date(Date.now() + secondsFromNow * 1000);
  for (const path of paths) utimesSync(path, at, at);
}

describe('scripts/ensure-built.mjs: builds only when a source is newer than the build', () => {
  let temp: ReturnType<typeof tempDir>;
  let stamp: string;
  let source: string;

  beforeEach(() => {
    temp = tempDir();
    mkdirSync(join(temp.dir, 'src/cli'), { recursive: true });
    mkdirSync(join(temp.dir, 'test'));
    mkdirSync(join(temp.dir, 'dist'));
    source = join(temp.dir, 'src/cli/main.ts');
    writeFileSync(source, '');
    writeFileSync(join(temp.dir, 'tsconfig.json'), '{}');
    stamp = join(temp.dir, 'dist/.build-stamp');
    writeFileSync(stamp, '');
    const all = ['src', 'src/cli', 'test', 'tsconfig.json', 'src/cli/main.ts'].map((p) => join(temp.dir, p));
    age(-60, ...all);
    age(-30, stamp);
  });

  afterEach(() => temp.remove());

  it('a build newer than every source is current', () => {
    assert.equal(staleness(temp.dir, stamp), undefined);
  });

  it('no build yet', () => {
    rmSync(stamp);
    assert.equal(staleness(temp.dir, stamp), 'there is no build yet');
  });

  it('a source edited after the build began', () => {
    age(-10, source);
    assert.equal(staleness(temp.dir, stamp), 'src/cli/main.ts changed since the last build');
  });

  it('a source deleted (its folder changed), and tsconfig.json edited', () => {
    rmSync(source);
    assert.equal(staleness(temp.dir, stamp), 'src/cli changed since the last build');
    age(-60, join(temp.dir, 'src/cli'));
    age(-10, join(temp.dir, 'tsconfig.json'));
    assert.equal(staleness(temp.dir, stamp), 'tsconfig.json changed since the last build');
  });

  it('other files (notes, data) in the source folders do not count', () => {
    writeFileSync(join(temp.dir, 'src/cli/notes.md'), '');
    age(-60, join(temp.dir, 'src/cli'));
    assert.equal(staleness(temp.dir, stamp), undefined);
  });
});

describe('scripts/build.mjs removes the compiled files of deleted sources, and only those', () => {
  it('x.js and x.js.map go when x.ts is gone; the rest stays', () => {
    const temp = tempDir();
    try {
      const dist = join(temp.dir, 'dist');
      mkdirSync(join(temp.dir, 'src'));
      mkdirSync(join(dist, 'src/old'), { recursive: true });
      writeFileSync(join(temp.dir, 'src/kept.ts'), '');
      const files = ['kept.js', 'kept.js.map', 'gone.js', 'gone.js.map', 'old/gone.js', 'notes.txt'];
      for (const file of files) writeFileSync(join(dist, 'src', file), '');
      removeOrphans(join(dist, 'src'), temp.dir, dist);
      assert.deepEqual(
        files.filter((file) => existsSync(join(dist, 'src', file))),
        ['kept.js', 'kept.js.map', 'notes.txt'],
      );
    } finally {
      temp.remove();
    }
  });
});

describe('scripts/build.mjs copies the files the dashboard serves as they are', () => {
  it('dist/ holds the dashboard script and styles beside the code that serves them', () => {
    // The server reads them next to its own module, so a copy of dist/ (the bench's snapshot, an
    // installed package) runs wherever it is; they were once read from src/ under the working folder.
    for (const name of ['dashboard.js', 'dashboard.css']) {
      const source = join(REPO, 'src/http/dashboard/assets', name);
      const built = join(REPO, 'dist/src/http/dashboard/assets', name);
      assert.equal(readFileSync(built, 'utf8'), readFileSync(source, 'utf8'), name);
    }
  });
});
