#!/usr/bin/env node
import { enableCompileCache } from 'node:module';

// V8's code cache for every module loaded after this line: later starts skip most of the
// compilation (issue 15, start to first token). In NODE_COMPILE_CACHE if set, else Node's folder
// under the OS temp dir; a folder that cannot be written only means no cache, never a failed start.
try {
  enableCompileCache();
} catch {
  // an older Node.js without it, or a cache that cannot be opened: start without one
}

// Imported, not loaded by static imports: those would be compiled before the cache is on.
const [{ processIo }, { main }] = await Promise.all([import('./io.js'), import('./main.js')]);
process.exitCode = await main(process.argv.slice(2), processIo);
