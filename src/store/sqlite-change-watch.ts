import { type FSWatcher, watch } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { DatabaseSync } from 'node:sqlite';
import type { StoreChange } from '../domain/store.js';

/**
 * How often the server looks for writes made by another process (the CLI) when the file system
 * does not tell it (see watchOtherWriters).
 */
const CHANGE_POLL_MS = 250;
/** After the last file-system event of a write, when its commit is surely complete (ms). */
const SETTLE_MS = 20;

/**
 * Calls `listener` with `anything` when another process commits to the SQLite file at `path`;
 * returns a function that stops watching. One process per file at a time writes; the others learn
 * of it here. PRAGMA data_version changes exactly when another connection commits to the file. It
 * is read when the file system reports a change to the database's files (inotify, FSEvents: the
 * CLI's commit is seen before the CLI has printed its answer, so a client it just created is known
 * at once) and on a timer, for file systems that report nothing. Never on a request's path.
 */
export function watchOtherWriters(
  sqlite: DatabaseSync,
  path: string,
  listener: (change: StoreChange) => void,
  changePollMs = CHANGE_POLL_MS,
): () => void {
  const dataVersionQuery = sqlite.prepare('PRAGMA data_version');
  const dataVersion = () => dataVersionQuery.get()?.data_version;
  let seen = dataVersion();
  const check = () => {
    if (!sqlite.isOpen) return;
    const now = dataVersion();
    if (now !== seen) {
      seen = now;
      listener({ entity: 'anything' });
    }
  };
  const timer = setInterval(check, changePollMs);
  timer.unref();
  // The events come with the writer's writes to the -wal file, before its commit is complete
  // (fsync, then the shared-memory index): look at once, and again once the writes have stopped.
  let settled: NodeJS.Timeout | undefined;
  const files =
    path === ':memory:'
      ? undefined
      : watchDatabaseFiles(path, () => {
          check();
          clearTimeout(settled);
          settled = setTimeout(check, SETTLE_MS);
          settled.unref();
        });
  return () => {
    clearInterval(timer);
    clearTimeout(settled);
    files?.close();
  };
}

/**
 * Calls `onChange` when the database file or its -wal or -journal file changes, or undefined where
 * the file system cannot watch (the timer then is the only way). The directory is watched, as the
 * -wal file comes and goes.
 */
function watchDatabaseFiles(path: string, onChange: () => void): FSWatcher | undefined {
  const name = basename(path);
  try {
    const watcher = watch(dirname(path), { persistent: false }, (_event, file) => {
      if (file === null || file.startsWith(name)) onChange();
    });
    watcher.on('error', () => watcher.close());
    return watcher;
  } catch {
    return undefined;
  }
}
