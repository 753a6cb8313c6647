#!/usr/bin/env node
// `npm run soak`: a realistic mix against a real server on loopback for SOAK_SECONDS (default 600):
// 90% valid api and customer token requests, 8% wrong secrets (from X-Forwarded-For addresses in
// turn, TRUST_PROXY=loopback; answered 401, or 429 once the failure throttle refuses them),
// 2% malformed requests. It starts the compiled `lean-auth serve` on a temporary SQLite file with
// 4 applications of 3 customers each, drives it with autocannon, and prints requests, answers by
// status, p50/p99 latency and the server's RSS at the start, middle and end.
//
// Pass: no unexpected status, no 5xx, no connection error or time-out, no error in the server's
// log, RSS growth under 10% from the middle to the end; otherwise the exit status is 1.
//
//   SOAK_SECONDS=600      how long (default 600)
//   SOAK_CONNECTIONS=8    concurrent connections (default 8)
//   SOAK_RATE=2000        requests per second in all (default: as fast as the server answers)
//   SOAK_LOG_LEVEL=info   the server's LOG_LEVEL (default info, as in production)
//   LEAN_AUTH_DIST=dist   the build to use (npm run soak builds dist first)
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const DIST = resolve(process.env.LEAN_AUTH_DIST ?? join(ROOT, 'dist'));
const module = join(DIST, 'test/load/soak.js');
if (!existsSync(module)) {
  console.error(`soak: ${module} is missing: run \`npm run build\` first (npm run soak does).`);
  process.exit(2);
}
const { runSoak, formatSoakReport } = await import(pathToFileURL(module).href);

const seconds = Number(process.env.SOAK_SECONDS ?? 600);
const connections = Number(process.env.SOAK_CONNECTIONS ?? 8);
const rate = process.env.SOAK_RATE === undefined ? undefined : Number(process.env.SOAK_RATE);
if (!(seconds >= 10) || !(connections >= 1) || (rate !== undefined && !(rate > 0))) {
  console.error('soak: SOAK_SECONDS must be at least 10, SOAK_CONNECTIONS at least 1, SOAK_RATE positive');
  process.exit(2);
}
const stamp = () => new Date().toISOString().slice(11, 19);
console.log(
  `[${stamp()}] soak: ${seconds} s, ${connections} connections${rate ? `, ${rate} requests/s` : ''}; starting the server`,
);
const report = await runSoak({
  seconds,
  connections,
  ...(rate !== undefined && { rate }),
  logLevel: process.env.SOAK_LOG_LEVEL ?? 'info',
  progress: (line) => console.log(`[${stamp()}] ${line}`),
});
console.log(formatSoakReport(report));
process.exit(report.passed ? 0 : 1);
