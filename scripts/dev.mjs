#!/usr/bin/env node
// `npm run dev [-- serve flags]`: tsc in watch mode, and the server (`lean-auth serve`) under
// `node --watch`, which restarts it (gracefully: SIGTERM, then waits) whenever a compiled file it runs
// changes. The server starts once tsc's first compilation is done, so it never runs a half-written
// dist/. Ctrl-C stops both.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { DIST, finishBuild, ROOT } from './build.mjs';

const CLI = join(DIST, 'src/cli/bin.js');
const TSC = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const tsc = spawn(
  process.execPath,
  [TSC, '-p', join(ROOT, 'tsconfig.json'), '--watch', '--preserveWatchOutput'],
  { stdio: ['ignore', 'pipe', 'inherit'] },
);
let server;
let began = new Date();
createInterface({ input: tsc.stdout }).on('line', (line) => {
  process.stdout.write(`${line}\n`);
  if (/Starting (incremental )?compilation/.test(line)) began = new Date();
  // A compilation without errors is a build like `npm run build`'s: npm start will not build again.
  if (/Found 0 errors\./.test(line)) finishBuild(began);
  // tsc prints this after every compilation, with or without errors.
  if (server === undefined && /Watching for file changes/.test(line)) {
    server = spawn(
      process.execPath,
      ['--watch', '--watch-preserve-output', CLI, 'serve', ...process.argv.slice(2)],
      { stdio: 'inherit' },
    );
    server.on('exit', stopAll);
  }
});
tsc.on('exit', stopAll);

for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => stopAll(null, signal));

function stopAll(_code, signal) {
  for (const child of [tsc, server]) if (child && child.exitCode === null) child.kill(signal ?? 'SIGTERM');
}
