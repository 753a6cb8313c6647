// No database query per warm token request, counted with strace (npm run bench: bench/run.mjs).
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { runLoad } from './load.mjs';
import { running } from './processes.mjs';
import { fmt } from './report.mjs';
import { tokenRequest } from './requests.mjs';
import { log, STRACE_SECONDS } from './settings.mjs';
import { STRACE } from './tools.mjs';

async function countDbSyscalls(target, kind) {
  const out = join(target.dir, `strace-${kind}.txt`);
  const files = ['', '-wal', '-shm', '-journal'].map((s) => `${target.dbFile}${s}`);
  const args = ['-f', '-c', '-o', out, '-e', 'trace=pread64,pwrite64,read,write,lseek,fcntl,fsync,fdatasync'];
  for (const file of files) args.push('-P', file);
  args.push('-p', String(target.proc.pid));
  const tracer = spawn('strace', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  running.add(tracer);
  let stderr = '';
  const attached = new Promise((resolve) => {
    tracer.stderr.on('data', (chunk) => {
      stderr += chunk;
      if (/attached/.test(stderr)) resolve(true);
    });
    tracer.once('exit', () => resolve(false));
  });
  const ok = await Promise.race([attached, sleep(5000).then(() => false)]);
  if (!ok) {
    tracer.kill('SIGKILL');
    running.delete(tracer);
    throw new Error(`strace could not attach: ${stderr.trim().slice(0, 300)}`);
  }
  await sleep(300);
  const started = performance.now();
  let requests = 0;
  if (kind === 'idle') await sleep(STRACE_SECONDS * 1000);
  else requests = (await runLoad(target, tokenRequest(target, kind, 'post'), STRACE_SECONDS)).requests;
  const seconds = (performance.now() - started) / 1000 + 0.3;
  tracer.kill('SIGINT');
  await new Promise((resolve) => tracer.once('exit', resolve));
  running.delete(tracer);
  const calls = {};
  let total = 0;
  for (const line of readFileSync(out, 'utf8').split('\n')) {
    const cols = line.trim().split(/\s+/);
    if (cols.length < 5 || !/^\d/.test(cols[0]) || cols.at(-1) === 'total') continue;
    const count = Number(cols[3]);
    calls[cols.at(-1)] = count;
    total += count;
  }
  return {
    kind,
    requests,
    seconds,
    syscalls: total,
    perRequest: requests ? total / requests : undefined,
    calls,
  };
}

export async function queryChecks(target, alg, dbQueries) {
  if (!STRACE) {
    log('  (strace not found: the no-query-per-request check is skipped; apt-get install -y strace)');
    return;
  }
  const what = {
    idle: 'no requests (background: the change poll)',
    customer: 'warm valid customer tokens',
    unknown: 'unknown customers (control: one query each)',
  };
  // Warm the customer cache first (this server is new).
  await runLoad(target, tokenRequest(target, 'customer', 'post'), 1);
  for (const kind of ['idle', 'customer', 'unknown']) {
    try {
      const count = { alg, ...(await countDbSyscalls(target, kind)) };
      dbQueries.push(count);
      const per =
        kind === 'idle'
          ? `${fmt(count.syscalls / count.seconds, 1)} per second`
          : `${fmt(count.perRequest, 3)} per request`;
      log(
        `  strace, ${what[kind]}: ${count.syscalls} syscalls on the SQLite files in ${fmt(count.seconds, 1)} s, ${count.requests} requests (${per})`,
      );
    } catch (error) {
      dbQueries.push({ alg, kind, error: error.message });
      log(`  strace (${kind}) failed: ${error.message}`);
    }
  }
}
