// Processes: spawned pinned to a CPU, their CPU time and RSS from /proc (npm run bench: bench/run.mjs).
import { spawn } from 'node:child_process';
import { closeSync, openSync, readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { LOAD_CPU, ROOT, SERVER_CPU } from './settings.mjs';
import { CLK_TCK, pinned, TASKSET } from './tools.mjs';

export function procStat(pid) {
  let text;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state): utime 14, stime 15, cutime 16, cstime 17.
  return {
    self: Number(fields[11]) + Number(fields[12]),
    children: Number(fields[13]) + Number(fields[14]),
  };
}

/** Busy ticks of one CPU (everything but idle and iowait, steal included) from /proc/stat. */
export function cpuBusy(cpu) {
  const line = readFileSync('/proc/stat', 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`cpu${cpu} `));
  if (!line) return Number.NaN;
  const [user, nice, system, , , irq, softirq, steal] = line.split(/\s+/).slice(1).map(Number);
  return user + nice + system + irq + softirq + (steal || 0);
}

/**
 * Other processes' share of the two benchmark CPUs over `ms`, in % of one CPU: what was busy there
 * that is neither `pids` nor this script.
 */
export async function otherLoad(ms, pids) {
  const cpusUsed = TASKSET ? [SERVER_CPU, LOAD_CPU] : [];
  if (cpusUsed.length === 0) return 0;
  const before = cpusUsed.reduce((n, c) => n + cpuBusy(c), 0);
  const mine = () => pids.reduce((n, pid) => n + (procStat(pid)?.self ?? 0), 0);
  const mineBefore = mine();
  await sleep(ms);
  const busy = cpusUsed.reduce((n, c) => n + cpuBusy(c), 0) - before;
  return (Math.max(0, busy - (mine() - mineBefore)) / CLK_TCK / (ms / 1000)) * 100;
}

/** The child processes of `pid` (the workers of a WORKERS=n primary). */
export function workerPids(pid) {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map(Number);
  } catch {
    // Kernels without CONFIG_PROC_CHILDREN: every process whose parent is pid.
    return readdirSync('/proc')
      .filter((name) => /^\d+$/.test(name))
      .map(Number)
      .filter((child) => {
        try {
          const text = readFileSync(`/proc/${child}/stat`, 'utf8');
          return Number(text.slice(text.lastIndexOf(')') + 2).split(' ')[1]) === pid;
        } catch {
          return false;
        }
      });
  }
}

export function rssMiB(pid) {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) / 1024 : Number.NaN;
}

export const running = new Set();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    for (const child of running) child.kill('SIGKILL');
    process.exit(130);
  });
}

/** Starts a long-running server process pinned to `cpu` (SERVER_CPU), its output into a log file. */
export function startProcess(name, args, extraEnv, logFile, cpu = SERVER_CPU) {
  const fd = openSync(logFile, 'w');
  const [command, argv] = pinned(cpu, process.execPath, args);
  const started = performance.now();
  const child = spawn(command, argv, { cwd: ROOT, env: extraEnv, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  running.add(child);
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  exited.then(() => running.delete(child));
  return { name, child, pid: child.pid, started, exited, logFile };
}

export async function stopProcess(proc) {
  if (proc.child.exitCode !== null || proc.child.signalCode !== null) return;
  proc.child.kill('SIGTERM');
  const done = await Promise.race([proc.exited, sleep(8000).then(() => undefined)]);
  if (done === undefined) {
    proc.child.kill('SIGKILL');
    await proc.exited;
  }
}

export function logTail(proc, lines = 30) {
  try {
    return readFileSync(proc.logFile, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}
