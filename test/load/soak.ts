import autocannon, { type AutocannonRequest } from 'autocannon';
import { type LiveServer, type LoadClient, startLiveServer } from './live-server.js';

/**
 * The soak: a realistic mix against a real listening server for a set time, with what must hold
 * at the end. `npm run soak` (scripts/soak.mjs) runs it for SOAK_SECONDS (600 by default); CI runs
 * it for 20 s (test/e2e/soak.slow.test.ts).
 *
 * Wrong secrets come from 45,000 X-Forwarded-For addresses in turn (TRUST_PROXY=loopback), as a
 * distributed guesser's would. They are answered 401, or 429 once the failure throttle refuses
 * them (past 50 failures a minute for one client_id, from any address): both are right. What must
 * hold is that the valid traffic, which carries the right secrets, is never refused (the throttle
 * has tests of its own). The throttle's tables are bounded (least recently used out), so the
 * rotating addresses cost it a fixed amount of memory.
 */
export interface SoakOptions {
  readonly seconds: number;
  /** Concurrent connections of the load generator. Default 8. */
  readonly connections?: number;
  /** LOG_LEVEL of the server. Default info (production's): the access log is part of the load. */
  readonly logLevel?: string;
  /** Requests per second for all connections together; as fast as the server answers by default. */
  readonly rate?: number;
  /** Progress lines (every 10% of the run); none by default. */
  readonly progress?: (line: string) => void;
  /** How much RSS may grow from the middle to the end. Default RSS_GROWTH_LIMIT. */
  readonly rssGrowthLimit?: number;
}

type Category = 'valid' | 'wrong secret' | 'malformed';
/** The status a request must get, or the statuses it may. */
type Expected = number | readonly number[];

export interface SoakReport {
  readonly seconds: number;
  readonly connections: number;
  readonly requests: number;
  readonly byCategory: Readonly<Record<Category, { requests: number; statuses: Record<string, number> }>>;
  readonly unexpected: number;
  /** The first few unexpected answers: category, what was sent, status, body. */
  readonly unexpectedSamples: readonly string[];
  readonly serverErrors: number;
  readonly socketErrors: number;
  readonly timeouts: number;
  readonly latency: { readonly p50: number; readonly p99: number; readonly max: number };
  /**
   * The server's RSS when the load starts, and its peaks in the middle fifth (40–60%) and the last
   * fifth (80–100%) of the run: RSS saws with the garbage collector (tens of MiB at this load), so
   * peaks compare where single readings would compare the collector's phase.
   */
  readonly rss: { readonly start: number; readonly middle: number; readonly end: number };
  readonly rssGrowth: number;
  readonly rssGrowthLimit: number;
  readonly errorLogLines: number;
  readonly errorLogSamples: readonly string[];
  readonly aliveAtEnd: boolean;
  readonly failures: readonly string[];
  readonly passed: boolean;
}

/** RSS may grow at most this much between the middle and the end of the run. */
export const RSS_GROWTH_LIMIT = 0.1;

const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
const form = (parameters: Record<string, string>) => new URLSearchParams(parameters).toString();
const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;

/** The wrong secrets' addresses, from 127.1.0.0 on, in turn: never 127.0.0.1, the valid traffic's. */
export const WRONG_SECRET_ADDRESSES = 45_000;
function addressSequence(): () => string {
  let n = 0;
  return () => {
    n = (n + 1) % WRONG_SECRET_ADDRESSES;
    return `127.${1 + (n >> 16)}.${(n >> 8) & 255}.${n & 255}`;
  };
}

interface Malformed {
  readonly name: string;
  readonly status: number;
  readonly request: (client: LoadClient) => AutocannonRequest;
}

/** Malformed requests, in turn: each with the status the contract gives it. */
const MALFORMED: readonly Malformed[] = [
  {
    name: 'JSON body',
    status: 400,
    request: (c) => ({
      method: 'POST',
      path: '/oauth2/token',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        grant_type: 'client_credentials',
        client_id: c.clientId,
        client_secret: c.clientSecret,
      }),
    }),
  },
  {
    name: 'no grant_type',
    status: 400,
    request: (c) => ({
      method: 'POST',
      path: '/oauth2/token',
      headers: FORM,
      body: form({ scope: 'api', client_id: c.clientId, client_secret: c.clientSecret }),
    }),
  },
  {
    name: 'unsupported grant_type',
    status: 400,
    request: (c) => ({
      method: 'POST',
      path: '/oauth2/token',
      headers: FORM,
      body: form({
        grant_type: 'password',
        scope: 'api',
        client_id: c.clientId,
        client_secret: c.clientSecret,
      }),
    }),
  },
  {
    name: 'bad percent-encoding',
    status: 400,
    request: () => ({
      method: 'POST',
      path: '/oauth2/token',
      headers: FORM,
      body: 'grant_type=client_credentials&scope=%zz',
    }),
  },
  {
    name: 'parameter twice',
    status: 400,
    request: (c) => ({
      method: 'POST',
      path: '/oauth2/token',
      headers: FORM,
      body: `${form({ grant_type: 'client_credentials', scope: 'api', client_id: c.clientId, client_secret: c.clientSecret })}&scope=api`,
    }),
  },
  { name: 'GET', status: 405, request: () => ({ method: 'GET', path: '/oauth2/token', headers: {} }) },
  {
    name: 'Basic not base64',
    status: 401,
    request: () => ({
      method: 'POST',
      path: '/oauth2/token',
      headers: { ...FORM, authorization: 'Basic !!!' },
      body: form({ grant_type: 'client_credentials', scope: 'api' }),
    }),
  },
  {
    name: 'parameters in the URL',
    status: 400,
    request: (c) => ({
      method: 'POST',
      path: `/oauth2/token?client_id=${c.clientId}`,
      headers: FORM,
      body: form({ grant_type: 'client_credentials', scope: 'api' }),
    }),
  },
  {
    name: 'unknown scope',
    status: 400,
    request: (c) => ({
      method: 'POST',
      path: '/oauth2/token',
      headers: FORM,
      body: form({
        grant_type: 'client_credentials',
        scope: 'admin',
        client_id: c.clientId,
        client_secret: c.clientSecret,
      }),
    }),
  },
  {
    name: 'no credentials',
    status: 401,
    request: () => ({
      method: 'POST',
      path: '/oauth2/token',
      headers: FORM,
      body: form({ grant_type: 'client_credentials', scope: 'api' }),
    }),
  },
];
// Not here: a body over 16 KiB. The server answers 413 and closes the connection (rightly: it did
// not read the body), and autocannon's client then pairs every later answer on that connection
// with the wrong request. The fuzzers and the route tests cover 413.

/** One cycle of 50 requests: 45 valid (api and customer, post and basic), 4 wrong secrets, 1 malformed. */
function requestCycle(
  clients: readonly LoadClient[],
  record: (category: Category, expected: Expected, sent: string, status: number, body: string) => void,
): AutocannonRequest[] {
  const nextAddress = addressSequence();
  let malformedTurn = 0;
  const cycle: AutocannonRequest[] = [];
  for (let i = 0; i < 50; i++) {
    const client = clients[i % clients.length] as LoadClient;
    if (i % 50 === 24) {
      cycle.push({
        method: 'POST',
        path: '/oauth2/token',
        setupRequest: (_request, context) => {
          const malformed = MALFORMED[malformedTurn++ % MALFORMED.length] as Malformed;
          context.expected = malformed.status;
          context.sent = malformed.name;
          const request = malformed.request(client);
          return { ...request, headers: { ...request.headers, 'x-forwarded-for': nextAddress() } };
        },
        onResponse: (status, body, context) =>
          record('malformed', Number(context.expected), String(context.sent), status, body),
      });
    } else if (i % 12 === 5) {
      // A wrong secret, for each application in turn: the right one with its last character
      // changed, in the body or in Basic.
      const client = clients[Math.floor(i / 12) % clients.length] as LoadClient;
      const wrong = `${client.clientSecret.slice(0, -1)}${client.clientSecret.endsWith('A') ? 'B' : 'A'}`;
      const useBasic = i % 2 === 0;
      const headers = useBasic ? { ...FORM, authorization: basic(client.clientId, wrong) } : FORM;
      const body = form({
        grant_type: 'client_credentials',
        scope: 'api',
        ...(!useBasic && { client_id: client.clientId, client_secret: wrong }),
      });
      cycle.push({
        method: 'POST',
        path: '/oauth2/token',
        headers,
        body,
        setupRequest: (request) => ({
          ...request,
          headers: { ...headers, 'x-forwarded-for': nextAddress() },
        }),
        onResponse: (status, responseBody) =>
          record(
            'wrong secret',
            [401, 429],
            `wrong secret (${useBasic ? 'basic' : 'post'})`,
            status,
            responseBody,
          ),
      });
    } else {
      const scope = i % 2 === 0 ? 'api' : `customer.${client.customers[i % client.customers.length]}`;
      const useBasic = i % 5 === 0;
      cycle.push({
        method: 'POST',
        path: '/oauth2/token',
        headers: useBasic ? { ...FORM, authorization: basic(client.clientId, client.clientSecret) } : FORM,
        body: form({
          grant_type: 'client_credentials',
          scope,
          ...(!useBasic && { client_id: client.clientId, client_secret: client.clientSecret }),
        }),
        onResponse: (status, body) =>
          record('valid', 200, `valid ${scope.split('.')[0]} token`, status, body),
      });
    }
  }
  return cycle;
}

/** Starts a server, drives the mix for `seconds`, stops the server, and says whether all held. */
export async function runSoak(options: SoakOptions): Promise<SoakReport> {
  const connections = options.connections ?? 8;
  const server = await startLiveServer({ logLevel: options.logLevel ?? 'info' });
  try {
    return await drive(server, options, connections);
  } finally {
    await server.stop();
  }
}

async function drive(server: LiveServer, options: SoakOptions, connections: number): Promise<SoakReport> {
  const { seconds, rate, progress } = options;
  const byCategory: SoakReport['byCategory'] = {
    valid: { requests: 0, statuses: {} },
    'wrong secret': { requests: 0, statuses: {} },
    malformed: { requests: 0, statuses: {} },
  };
  let unexpected = 0;
  let serverErrors = 0;
  const unexpectedSamples: string[] = [];
  const record = (category: Category, expected: Expected, sent: string, status: number, body: string) => {
    const stats = byCategory[category];
    stats.requests++;
    stats.statuses[status] = (stats.statuses[status] ?? 0) + 1;
    if (status >= 500) serverErrors++;
    if (typeof expected === 'number' ? status !== expected : !expected.includes(status)) {
      unexpected++;
      if (unexpectedSamples.length < 10)
        unexpectedSamples.push(`${sent}: expected ${expected}, got ${status} ${body.slice(0, 200)}`);
    }
  };

  const samples: { at: number; rss: number }[] = [];
  const started = Date.now();
  const sample = () => samples.push({ at: (Date.now() - started) / 1000, rss: server.rss() });
  sample();
  let nextProgress = 0.1;
  const sampler = setInterval(() => {
    sample();
    const done = (Date.now() - started) / 1000 / seconds;
    if (progress && done >= nextProgress) {
      nextProgress += 0.1;
      const total =
        byCategory.valid.requests + byCategory['wrong secret'].requests + byCategory.malformed.requests;
      progress(
        `${Math.round(done * 100)}%: ${total} requests, ${unexpected} unexpected, RSS ${mib(samples.at(-1)?.rss ?? Number.NaN)}`,
      );
    }
  }, 1000);
  let result: Awaited<ReturnType<typeof autocannon>>;
  try {
    result = await autocannon({
      url: server.url,
      connections,
      duration: seconds,
      timeout: 10,
      ...(rate !== undefined && { overallRate: rate }),
      // The server closes a connection after 10,000 requests (maxRequestsPerSocket); autocannon
      // mispairs answers after a close it did not ask for, so each connection is renewed first.
      reconnectRate: 5_000,
      requests: requestCycle(server.clients, record),
    });
  } finally {
    clearInterval(sampler);
  }
  sample();

  let aliveAtEnd = false;
  try {
    aliveAtEnd = server.running && (await fetch(`${server.url}/healthz`)).status === 200;
  } catch {
    aliveAtEnd = false;
  }

  const peak = (from: number, to: number) => {
    const values = samples.filter(
      (s) => s.at >= from * seconds && s.at <= to * seconds && Number.isFinite(s.rss),
    );
    return values.length === 0 ? Number.NaN : Math.max(...values.map((s) => s.rss));
  };
  const rss = { start: samples[0]?.rss ?? Number.NaN, middle: peak(0.4, 0.6), end: peak(0.8, 2) };
  const rssGrowth = rss.end / rss.middle - 1;
  const errorLogLines = (server.logLevels.get(50) ?? 0) + (server.logLevels.get(60) ?? 0);
  const requests =
    byCategory.valid.requests + byCategory['wrong secret'].requests + byCategory.malformed.requests;

  const failures: string[] = [];
  if (requests === 0) failures.push('no request was answered');
  if (unexpected > 0) failures.push(`${unexpected} unexpected statuses`);
  if (serverErrors > 0) failures.push(`${serverErrors} answers were 5xx`);
  if (result.errors > 0) failures.push(`${result.errors} connection errors`);
  if (result.timeouts > 0) failures.push(`${result.timeouts} requests timed out`);
  const rssGrowthLimit = options.rssGrowthLimit ?? RSS_GROWTH_LIMIT;
  if (!(rssGrowth < rssGrowthLimit))
    failures.push(
      `RSS grew ${(rssGrowth * 100).toFixed(1)}% from the middle to the end (limit ${rssGrowthLimit * 100}%)`,
    );
  if (errorLogLines > 0) failures.push(`${errorLogLines} error lines in the server log`);
  if (!aliveAtEnd) failures.push('the server no longer answers /healthz');

  return {
    seconds,
    connections,
    requests,
    byCategory,
    unexpected,
    unexpectedSamples,
    serverErrors,
    socketErrors: result.errors,
    timeouts: result.timeouts,
    latency: { p50: result.latency.p50, p99: result.latency.p99, max: result.latency.max },
    rss,
    rssGrowth,
    rssGrowthLimit,
    errorLogLines,
    errorLogSamples: server.errorLines,
    aliveAtEnd,
    failures,
    passed: failures.length === 0,
  };
}

const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
const count = (n: number) => n.toLocaleString('en-US');

/** The report as the soak prints it. */
export function formatSoakReport(report: SoakReport): string {
  const share = (n: number) => `${((n / Math.max(report.requests, 1)) * 100).toFixed(1)}%`;
  const statuses = (s: Record<string, number>) =>
    Object.entries(s)
      .map(([status, n]) => `${status}: ${count(n)}`)
      .join(', ');
  const lines = [
    `lean-auth soak: ${report.seconds} s, ${report.connections} connections`,
    `  requests       ${count(report.requests)} (${count(Math.round(report.requests / report.seconds))}/s)`,
    ...(['valid', 'wrong secret', 'malformed'] as const).map(
      (category) =>
        `  ${category.padEnd(14)} ${count(report.byCategory[category].requests)} (${share(report.byCategory[category].requests)}): ${statuses(report.byCategory[category].statuses)}`,
    ),
    `  errors         unexpected statuses ${report.unexpected}, 5xx ${report.serverErrors}, connection errors ${report.socketErrors}, timeouts ${report.timeouts}, error log lines ${report.errorLogLines}`,
    `  latency        p50 ${report.latency.p50} ms, p99 ${report.latency.p99} ms, max ${report.latency.max} ms`,
    `  server RSS     start ${mib(report.rss.start)}, middle ${mib(report.rss.middle)}, end ${mib(report.rss.end)} (peaks of 40–60% and 80–100%; ${report.rssGrowth >= 0 ? '+' : ''}${(report.rssGrowth * 100).toFixed(1)}% middle → end, limit ${report.rssGrowthLimit * 100}%)`,
    `  at the end     ${report.aliveAtEnd ? 'the server still answers /healthz' : 'the server does not answer /healthz'}`,
    ...report.unexpectedSamples.map((s) => `  unexpected     ${s}`),
    ...report.errorLogSamples.map((s) => `  error log      ${s}`),
    report.passed ? '  PASS' : `  FAIL: ${report.failures.join('; ')}`,
  ];
  return lines.join('\n');
}
