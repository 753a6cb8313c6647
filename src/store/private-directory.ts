import { mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

/**
 * Creates the folder `dir` and its missing parents, each new one 0700: what lean-auth keeps there
 * (the SQLite database, sandbox keys) is for its own user alone. Not mkdirSync's `recursive`, which
 * loops forever where mkdir answers ENOENT for a parent that exists (under /proc, for one).
 */
export function makePrivateDirectory(dir: string): void {
  const missing: string[] = [];
  for (let folder = resolve(dir); ; folder = dirname(folder)) {
    const found = statOrUndefined(folder);
    if (found?.isDirectory()) break;
    if (found) throw new Error(`cannot create the folder ${dir}: ${folder} is a file, not a folder`);
    missing.unshift(folder);
    if (dirname(folder) === folder) break;
  }
  for (const folder of missing) {
    try {
      mkdirSync(folder, { mode: 0o700 });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') continue;
      throw new Error(`cannot create the folder ${folder}: ${(error as Error).message}`, { cause: error });
    }
  }
}

function statOrUndefined(path: string): ReturnType<typeof statSync> | undefined {
  try {
    return statSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new Error(`cannot create the folder ${path}: ${(error as Error).message}`, { cause: error });
  }
}
