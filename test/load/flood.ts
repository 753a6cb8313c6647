import { fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';
import type { FloodPlan, FloodResult } from './flood-sender.js';
import { type LiveServer, startLiveServer } from './live-server.js';

/**
 * What a flood of failing token requests costs the honest traffic: honest tokens a second (and
 * their latency) with no flood, then with a flood of wrong secrets and unknown client_ids from
 * another address, from the honest traffic's own address, and from addresses that rotate. The
 * honest load is autocannon from 127.0.0.1 at full speed; the flood comes from a child process
 * bound to other loopback addresses (127.0.0.2, …: all of 127/8 is this machine), at a set rate.
 * The run without a flood comes first and last, and the two are averaged: on a shared machine the
 * other load drifts. The server's CPU time per phase gives what a failing request costs it, which
 * drifts less than throughput. Also checked: no honest request is refused, whatever the flood did.
 */
export interface FloodOptions {
  /** Seconds each phase measures (after a second of warm-up). Default 8. */
  readonly seconds?: number;
  /** Failing requests a second the flood tries to send. Default 5000. */
  readonly rate?: number;
  /** Connections of the honest load. Default 8. */
  readonly connections?: number;
  /** LOG_LEVEL of the server. Default info, as in production: the access log is part of the cost. */
  readonly logLevel?: string;
  readonly progress?: (line: string) => void;
}

export interface PhaseReport {
  readonly name: string;
  readonly honestTokensPerSecond: number;
  readonly honestRefused: number;
  readonly honestP50Ms: number;
  readonly honestP99Ms: number;
  /** The server process's CPU time in the phase, as a share of one core. */
  readonly serverCpu: number;
  /** The flood as achieved: sent and answered a second, and its answers by status. */
  readonly flood:
    | { sentPerSecond: number; answeredPerSecond: number; statuses: Record<string, number> }
    | undefined;
}

export interface FloodReport {
  readonly rate: number;
  readonly seconds: number;
  readonly phases: readonly PhaseReport[];
}

interface Phase {
  readonly name: string;
  readonly flood?: Pick<FloodPlan, 'localAddresses' | 'requestsPerConnection'>;
}

/**
 * Requests a flood connection sends before it is opened anew: the server answers 503 to those a
 * connection sends past its 10,000th (maxRequestsPerSocket), as a load balancer would see it.
 */
const PER_CONNECTION = 5_000;

const PHASES: readonly Phase[] = [
  { name: 'no flood' },
  {
    name: 'flood from another address',
    flood: { localAddresses: ['127.0.0.2'], requestsPerConnection: PER_CONNECTION },
  },
  {
    name: 'flood from the same address',
    flood: { localAddresses: ['127.0.0.1'], requestsPerConnection: PER_CONNECTION },
  },
  {
    name: 'flood from rotating addresses',
    // 4,096 addresses of 127.9.x.y, a new one every 100 requests: the address limit rarely bites.
    flood: {
      localAddresses: Array.from({ length: 4096 }, (_, i) => `127.9.${i >> 8}.${i & 255}`),
      requestsPerConnection: 100,
    },
  },
  { name: 'no flood, again' },
];

export async function runFloodMeasurement(options: FloodOptions = {}): Promise<FloodReport> {
  const seconds = options.seconds ?? 8;
  const rate = options.rate ?? 5000;
  // The server sees the socket's address: no X-Forwarded-For is believed.
  const server = await startLiveServer({
    apps: 4,
    customersPerApp: 0,
    logLevel: options.logLevel ?? 'info',
    env: { TRUST_PROXY: '' },
  });
  const phases: PhaseReport[] = [];
  try {
    for (const phase of PHASES) {
      options.progress?.(`${phase.name}: ${seconds} s`);
      phases.push(await measure(server, phase, seconds, rate, options.connections ?? 8));
    }
  } finally {
    await server.stop();
  }
  return { rate, seconds, phases };
}

async function measure(
  server: LiveServer,
  phase: Phase,
  seconds: number,
  rate: number,
  connections: number,
): Promise<PhaseReport> {
  const port = Number(new URL(server.url).port);
  const warmup = 1;
  const flood = phase.flood
    ? sendFlood({
        port,
        rate,
        seconds: seconds + warmup,
        clientIds: server.clients.map((c) => c.clientId),
        ...phase.flood,
      })
    : undefined;
  const honest = server.clients[0];
  if (!honest) throw new Error('no application to send honest requests for');
  const body = new URLSearchParams({
    grant_type: 'client_credentials',
    scope: 'api',
    client_id: honest.clientId,
    client_secret: honest.clientSecret,
  }).toString();
  const load = (duration: number) =>
    autocannon({
      url: `${server.url}/oauth2/token`,
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body,
      connections,
      duration,
      timeout: 10,
    });
  await load(warmup);
  const cpuBefore = cpuSeconds(server.pid);
  const result = await load(seconds);
  const serverCpu = (cpuSeconds(server.pid) - cpuBefore) / seconds;
  const floodResult = await flood;
  const tokens = result.statusCodeStats['200']?.count ?? 0;
  return {
    name: phase.name,
    honestTokensPerSecond: Math.round(tokens / seconds),
    honestRefused: result.non2xx + result.errors + result.timeouts,
    honestP50Ms: result.latency.p50,
    honestP99Ms: result.latency.p99,
    serverCpu,
    flood: floodResult && {
      sentPerSecond: Math.round(floodResult.sent / floodResult.seconds),
      answeredPerSecond: Math.round(floodResult.answered / floodResult.seconds),
      statuses: floodResult.statuses,
    },
  };
}

/** The CPU time a process has used, user and system, in seconds (Linux /proc; NaN elsewhere). */
function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime, fields 14 and 15 of stat(5), in clock ticks of 1/100 s.
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return Number.NaN;
  }
}

/** Runs the flood sender in a child process of its own; resolves with what it counted. */
function sendFlood(plan: FloodPlan): Promise<FloodResult> {
  const child = fork(new URL('./flood-sender.js', import.meta.url), { stdio: 'inherit' });
  return new Promise((resolve, reject) => {
    child.once('message', (result: FloodResult) => resolve(result));
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code !== 0) reject(new Error(`the flood sender exited with code ${code}`));
    });
    child.send(plan);
  });
}

export function formatFloodReport(report: FloodReport): string {
  const none = report.phases.filter((p) => p.flood === undefined);
  const baseline = none.reduce((sum, p) => sum + p.honestTokensPerSecond, 0) / Math.max(1, none.length);
  const cpuPerToken =
    none.reduce((sum, p) => sum + p.serverCpu / p.honestTokensPerSecond, 0) / Math.max(1, none.length);
  const lines = [
    `flood: honest token requests (autocannon, 127.0.0.1) against failing ones (target ${report.rate}/s), ${report.seconds} s a phase`,
    '  phase                           honest tokens/s   vs none   p50 ms   p99 ms   refused   server CPU   flood sent/s   µs CPU/failure   flood answers',
  ];
  for (const p of report.phases) {
    const share = baseline > 0 ? `${Math.round((p.honestTokensPerSecond / baseline) * 100)}%` : '-';
    // What the server spent beyond the honest tokens it issued, per failing request answered.
    const perFailure = p.flood
      ? `${Math.round(((p.serverCpu - p.honestTokensPerSecond * cpuPerToken) / p.flood.answeredPerSecond) * 1e6)}`
      : '-';
    const statuses = p.flood
      ? Object.entries(p.flood.statuses)
          .map(([status, count]) => `${status}×${count}`)
          .join(' ')
      : '';
    lines.push(
      `  ${p.name.padEnd(31)} ${String(p.honestTokensPerSecond).padStart(15)}   ${share.padStart(7)}   ${String(p.honestP50Ms).padStart(6)}   ${String(p.honestP99Ms).padStart(6)}   ${String(p.honestRefused).padStart(7)}   ${`${Math.round(p.serverCpu * 100)}%`.padStart(10)}   ${String(p.flood?.sentPerSecond ?? '-').padStart(12)}   ${perFailure.padStart(14)}   ${statuses}`,
    );
  }
  lines.push(
    `  (vs none: against the mean of the two runs without a flood; µs CPU/failure: the server's CPU time beyond ${Math.round(cpuPerToken * 1e6)} µs per honest token, per failing request answered)`,
  );
  return lines.join('\n');
}
