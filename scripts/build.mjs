#!/usr/bin/env node
// `npm run build`: compiles src/ and test/ into dist/ over the previous build. It never empties dist/
// first: a server started from dist/ may be running, and a cluster primary forks its workers from the
// files there. After tsc it
//   - removes the compiled files whose source is gone (a renamed test would otherwise still run),
//   - copies the dashboard's static files (its CSS and script) beside the compiled code that serves
//     them, so dist/ runs wherever it is copied to (the bench runs a snapshot of it),
//   - marks the CLI executable (`npx lean-auth`, node_modules/.bin/lean-auth), and
//   - stamps the build with the time it began (scripts/ensure-built.mjs compares the sources with it).
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  cpSync,
  existsSync,
  readdirSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const DIST = join(ROOT, 'dist');
/** Touched when a build succeeds, with the time the build began. */
export const BUILD_STAMP = join(DIST, '.build-stamp');
/** The folders tsc compiles (tsconfig.json `include`). */
export const SOURCE_FOLDERS = ['src', 'test'];
const CLI = join(DIST, 'src/cli/bin.js');
/** Files that are not compiled but served as they are. */
const STATIC_FOLDERS = ['src/http/dashboard/assets'];

/** Runs the build; returns the exit status of tsc (0 when the build succeeded). */
export function build() {
  const began = new Date();
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const compiled = spawnSync(process.execPath, [tsc, '-p', join(ROOT, 'tsconfig.json')], {
    stdio: 'inherit',
  });
  if (compiled.status !== 0) return compiled.status ?? 1;
  finishBuild(began);
  return 0;
}

/** What follows a successful compilation that began at `began` (also in `npm run dev`). */
export function finishBuild(began) {
  for (const folder of SOURCE_FOLDERS) removeOrphans(join(DIST, folder));
  for (const folder of STATIC_FOLDERS) cpSync(join(ROOT, folder), join(DIST, folder), { recursive: true });
  // Only when needed: under `npm run dev` a change of mode would restart the server once more.
  if ((statSync(CLI).mode & 0o111) !== 0o111) chmodSync(CLI, 0o755);
  writeFileSync(BUILD_STAMP, 'the time of this file is when the last successful build began\n');
  utimesSync(BUILD_STAMP, began, began);
}

/** Deletes x.js and x.js.map under `folder` (in `dist`) when x.ts is no longer in the sources. */
export function removeOrphans(folder, root = ROOT, dist = DIST) {
  if (!existsSync(folder)) return;
  for (const entry of readdirSync(folder, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    const file = join(entry.parentPath, entry.name);
    const source = join(root, relative(dist, file)).replace(/\.js(\.map)?$/, '.ts');
    if (source.endsWith('.ts') && !existsSync(source)) rmSync(file);
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = build();
}
