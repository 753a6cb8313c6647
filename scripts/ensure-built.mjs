#!/usr/bin/env node
// What `npm install` (prepare), `npm start` and `npm test` run first: builds dist/ only when there is
// no build yet or a source changed since the last one began, and says so in one line. On a built tree
// it costs a walk of the source folders' timestamps (a few milliseconds), so `npm start` starts at once.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BUILD_STAMP, build, ROOT, SOURCE_FOLDERS } from './build.mjs';

/** Why the build is out of date, or undefined when it is current. */
export function staleness(root = ROOT, stamp = BUILD_STAMP) {
  if (!existsSync(stamp)) return 'there is no build yet';
  const builtAt = statSync(stamp).mtimeMs;
  // Folders count too: deleting or renaming a file changes its folder's time, not any file's.
  const paths = [join(root, 'tsconfig.json')];
  for (const folder of SOURCE_FOLDERS) {
    const top = join(root, folder);
    if (!existsSync(top)) continue;
    paths.push(top);
    for (const entry of readdirSync(top, { withFileTypes: true, recursive: true })) {
      if (entry.isDirectory() || entry.name.endsWith('.ts')) paths.push(join(entry.parentPath, entry.name));
    }
  }
  const changed = paths.find((path) => existsSync(path) && statSync(path).mtimeMs > builtAt);
  return changed === undefined ? undefined : `${relative(root, changed)} changed since the last build`;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const reason = staleness();
  if (reason !== undefined) {
    process.stderr.write(`lean-auth: ${reason}: building dist/ first (npm run build)\n`);
    process.exitCode = build();
  }
}
