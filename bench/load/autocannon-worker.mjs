// The fallback load generator when wrk is absent: autocannon's library API in a process of its own
// (run.mjs pins it with taskset like wrk). Reads one JSON job from argv[2] and prints one line
// "BENCHJSON {...}" in the same shape as bench/load/token.lua (latencies in microseconds).
import { randomUUID } from 'node:crypto';
import autocannon from 'autocannon';

const job = JSON.parse(process.argv[2]);
const headers = { 'content-type': 'application/x-www-form-urlencoded' };
if (job.authorization) headers.authorization = job.authorization;

const request = { method: 'POST', path: job.path, headers, body: job.body };
if (job.unknownPrefix) {
  request.setupRequest = (req) => ({ ...req, body: `${job.body}${job.unknownPrefix}${randomUUID()}` });
}

const result = await autocannon({
  url: job.origin,
  connections: job.connections,
  ...(job.amount ? { amount: job.amount } : { duration: job.seconds }),
  timeout: 5,
  requests: [request],
});

const ms = (value) => Math.round(value * 1000);
const summary = {
  requests: result.requests.total,
  duration_us: Math.round(result.duration * 1e6),
  bytes: result.throughput.total,
  status_errors: result.non2xx,
  connect_errors: result.errors - result.timeouts,
  read_errors: 0,
  write_errors: 0,
  timeouts: result.timeouts,
  p50_us: ms(result.latency.p50),
  p90_us: ms(result.latency.p90),
  p99_us: ms(result.latency.p99),
  max_us: ms(result.latency.max),
  mean_us: ms(result.latency.average),
};
process.stdout.write(`BENCHJSON ${JSON.stringify(summary)}\n`);
