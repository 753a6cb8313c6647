import { randomBytes, randomUUID } from 'node:crypto';
import { Agent, request } from 'node:http';
import { THROTTLE_LIMITS } from '../../src/domain/auth-throttle.js';
import { startLiveServer } from './live-server.js';
import { bootstrapMedianDifference, type MedianDifference, quantile, seededRandom } from './statistics.js';

/**
 * Whether "unknown client_id" and "known client_id, wrong secret" can be told apart by the time
 * the token endpoint takes to refuse them (they get the same answer, byte for byte). Thousands of
 * requests of each kind, interleaved in random order over one keep-alive connection, one at a time,
 * each from an X-Forwarded-For address of its own (TRUST_PROXY=loopback), and over enough
 * applications (and as many repeated unknown ids) that no client_id fails more often than the
 * throttle allows, so that it never answers 429 instead; then the difference of the medians with a
 * bootstrap 95% confidence interval. Two unknown kinds: ids that repeat (the server remembers an
 * unknown id once it has looked it up, as it keeps known ones) and an id never seen before each
 * time (a first look in the database), the second being what an attacker probing for ids sends.
 */
export interface TimingOptions {
  /** Requests of each kind. Default 5000. */
  readonly requests?: number;
  /** Requests of each kind first, not counted (warm caches, compiled code). Default 500. */
  readonly warmup?: number;
  /** Seed of the order and the bootstrap. Default: random. */
  readonly seed?: number;
  readonly progress?: (line: string) => void;
}

type Kind = 'known, wrong secret' | 'unknown, repeated' | 'unknown, never seen';
const KINDS: readonly Kind[] = ['known, wrong secret', 'unknown, repeated', 'unknown, never seen'];

export interface TimingReport {
  readonly requests: number;
  readonly seed: number;
  /** Latency in microseconds by kind: median, 10th and 90th percentile. */
  readonly latency: Readonly<Record<Kind, { median: number; p10: number; p90: number }>>;
  /** median(known, wrong secret) − median(unknown, repeated), µs: the comparison the design promises. */
  readonly repeated: MedianDifference;
  /** median(known, wrong secret) − median(unknown, never seen), µs. */
  readonly neverSeen: MedianDifference;
  /** Answers that were not the one 401 invalid_client (throttled, or anything else): must be none. */
  readonly otherAnswers: number;
}

export async function runTiming(options: TimingOptions = {}): Promise<TimingReport> {
  const requests = options.requests ?? 5000;
  const warmup = options.warmup ?? 500;
  const seed = options.seed ?? randomBytes(4).readUInt32BE();
  const random = seededRandom(seed);
  // LOG_LEVEL=warn: the access log would be the same for both kinds, and only add noise.
  // Each client_id fails at most THROTTLE_LIMITS.client - 10 times in the whole run.
  const apps = Math.max(8, Math.ceil((warmup + requests) / (THROTTLE_LIMITS.client - 10)));
  const server = await startLiveServer({ apps, customersPerApp: 0, logLevel: 'warn' });
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const { hostname, port } = new URL(server.url);
  const unknownIds = Array.from({ length: server.clients.length }, () => randomUUID());
  let address = 0;
  let otherAnswers = 0;

  const send = (clientId: string) =>
    new Promise<number>((resolve, reject) => {
      address++;
      // A wrong secret shaped like a real one: 43 base64url characters, new each time.
      const body = new URLSearchParams({
        grant_type: 'client_credentials',
        scope: 'api',
        client_id: clientId,
        client_secret: randomBytes(32).toString('base64url'),
      }).toString();
      const started = process.hrtime.bigint();
      const req = request(
        {
          host: hostname,
          port,
          method: 'POST',
          path: '/oauth2/token',
          agent,
          headers: {
            'content-type': 'application/x-www-form-urlencoded',
            'content-length': Buffer.byteLength(body),
            'x-forwarded-for': `127.${4 + (address >> 16)}.${(address >> 8) & 255}.${address & 255}`,
          },
        },
        (res) => {
          res.resume();
          res.on('end', () => {
            const micros = Number(process.hrtime.bigint() - started) / 1000;
            if (res.statusCode !== 401) otherAnswers++;
            resolve(micros);
          });
        },
      );
      req.on('error', reject);
      req.end(body);
    });

  const idFor = (kind: Kind, n: number) => {
    if (kind === 'known, wrong secret') return server.clients[n % server.clients.length]?.clientId ?? '';
    if (kind === 'unknown, repeated') return unknownIds[n % unknownIds.length] ?? '';
    return randomUUID();
  };

  const samples: Record<Kind, number[]> = {
    'known, wrong secret': [],
    'unknown, repeated': [],
    'unknown, never seen': [],
  };
  try {
    for (let round = 0; round < warmup + requests; round++) {
      // One of each kind per round, in a random order: drift and noise fall on all kinds alike.
      const order = [...KINDS];
      for (let i = order.length - 1; i > 0; i--) {
        const j = Math.floor(random() * (i + 1));
        [order[i], order[j]] = [order[j] as Kind, order[i] as Kind];
      }
      for (const kind of order) {
        const micros = await send(idFor(kind, round));
        if (round >= warmup) samples[kind].push(micros);
      }
      if (options.progress && (round + 1) % 1000 === 0)
        options.progress(`${round + 1} of ${warmup + requests} rounds`);
    }
  } finally {
    agent.destroy();
    await server.stop();
  }
  const summary = (values: number[]) => ({
    median: quantile(values, 0.5),
    p10: quantile(values, 0.1),
    p90: quantile(values, 0.9),
  });
  return {
    requests,
    seed,
    latency: {
      'known, wrong secret': summary(samples['known, wrong secret']),
      'unknown, repeated': summary(samples['unknown, repeated']),
      'unknown, never seen': summary(samples['unknown, never seen']),
    },
    repeated: bootstrapMedianDifference(samples['known, wrong secret'], samples['unknown, repeated'], {
      seed,
    }),
    neverSeen: bootstrapMedianDifference(samples['known, wrong secret'], samples['unknown, never seen'], {
      seed: seed + 1,
    }),
    otherAnswers,
  };
}

const us = (value: number) => `${value >= 0 ? '' : '−'}${Math.abs(value).toFixed(1)} µs`;

export function formatTimingReport(report: TimingReport): string {
  const row = (kind: Kind) => {
    const l = report.latency[kind];
    return `  ${kind.padEnd(22)} median ${us(l.median)}  (p10 ${us(l.p10)}, p90 ${us(l.p90)})`;
  };
  const verdict = (name: string, d: MedianDifference) =>
    `  ${name.padEnd(44)} ${us(d.difference)}, 95% CI [${us(d.low)}, ${us(d.high)}]: ${
      d.distinguishable ? 'DISTINGUISHABLE from zero' : 'not distinguishable from zero'
    }`;
  return [
    `lean-auth timing: ${report.requests} requests of each kind, interleaved (seed ${report.seed})`,
    row('known, wrong secret'),
    row('unknown, repeated'),
    row('unknown, never seen'),
    'difference of medians (known − unknown), bootstrap:',
    verdict('known wrong secret − unknown repeated id', report.repeated),
    verdict('known wrong secret − unknown id never seen', report.neverSeen),
    ...(report.otherAnswers > 0
      ? [`  ${report.otherAnswers} answers were not 401: the measurement is not clean`]
      : []),
  ].join('\n');
}
