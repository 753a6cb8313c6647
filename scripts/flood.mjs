#!/usr/bin/env node
// `npm run flood`: what a flood of failing token requests costs the honest traffic. It starts the
// compiled `lean-auth serve` on loopback (a temporary SQLite file, 4 applications), and measures
// honest tokens a second (autocannon from 127.0.0.1, full speed) in five phases: no flood, then a
// flood of wrong secrets and unknown client_ids at FLOOD_RATE a second from 127.0.0.2 (another
// address), from 127.0.0.1 (the honest traffic's own address), from 4,096 rotating addresses, and
// no flood again. It prints, per phase, honest tokens/s against the mean of the two runs without a
// flood, their p50 and p99 latency, how many honest requests were refused (must be 0), the
// server's CPU, the flood as achieved (a busy machine may not send FLOOD_RATE) with its answers by
// status, and the server CPU time a failing request cost beyond the honest tokens. About 50 s.
//
//   FLOOD_SECONDS=8        seconds each phase measures, after 1 s of warm-up (default 8)
//   FLOOD_RATE=5000        failing requests a second the flood tries to send (default 5000)
//   FLOOD_CONNECTIONS=8    connections of the honest load (default 8)
//   FLOOD_LOG_LEVEL=info   the server's LOG_LEVEL (default info, as in production)
//   LEAN_AUTH_DIST=dist    the build to use (npm run flood builds dist first when it is out of date)
//
// Exit status 1 when an honest request was refused. Linux: binding 127.0.0.2 and up needs no setup.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const DIST = resolve(process.env.LEAN_AUTH_DIST ?? join(ROOT, 'dist'));
const module = join(DIST, 'test/load/flood.js');
if (!existsSync(module)) {
  console.error(`flood: ${module} is missing: run \`npm run build\` first (npm run flood does).`);
  process.exit(2);
}
const { runFloodMeasurement, formatFloodReport } = await import(pathToFileURL(module).href);
const seconds = Number(process.env.FLOOD_SECONDS ?? 8);
const rate = Number(process.env.FLOOD_RATE ?? 5000);
const connections = Number(process.env.FLOOD_CONNECTIONS ?? 8);
if (!(seconds >= 1) || !(rate > 0) || !(connections >= 1)) {
  console.error('flood: FLOOD_SECONDS must be at least 1, FLOOD_RATE positive, FLOOD_CONNECTIONS at least 1');
  process.exit(2);
}
const stamp = () => new Date().toISOString().slice(11, 19);
console.log(`[${stamp()}] flood: starting the server`);
const report = await runFloodMeasurement({
  seconds,
  rate,
  connections,
  logLevel: process.env.FLOOD_LOG_LEVEL ?? 'info',
  progress: (line) => console.log(`[${stamp()}] ${line}`),
});
console.log(formatFloodReport(report));
process.exit(report.phases.some((phase) => phase.honestRefused > 0) ? 1 : 0);
