#!/usr/bin/env node
// `npm run bench`: lean-auth side by side with panva's oidc-provider and with the floor (a bare
// node:http server that only parses, authenticates and signs), one after another on loopback, the
// server pinned to one CPU and the load generator to another. See bench/README.md.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import {
  closeSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { request as httpRequest } from 'node:http';
import { createServer } from 'node:net';
import { cpus, release, tmpdir, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { renderChart } from './chart.mjs';
import { compareProfiles, summarizeProfile } from './profile-summary.mjs';

const BENCH = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(BENCH, '..');
const BUILT_CLI = join(ROOT, 'dist/src/cli/bin.js');
// The servers run from a copy of dist/ taken at the start, so that a rebuild during the run (which
// empties dist/) cannot break or mix the measurements. It lives under bench/ so that packages
// resolve from the project's node_modules as they do for dist/.
const SNAPSHOT = join(BENCH, '.dist-snapshot');
const CLI = join(SNAPSHOT, 'src/cli/bin.js');

// ---------------------------------------------------------------------------------------------
// Settings (environment)
// ---------------------------------------------------------------------------------------------
const env = process.env;
const list = (value, fallback) =>
  (value ?? fallback)
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
const SECONDS = positive(env.BENCH_SECONDS, 10);
const WARMUP = positive(env.BENCH_WARMUP, 3);
const CONNECTIONS = positive(env.BENCH_CONNECTIONS, 32);
const ALGS = list(env.BENCH_ALGS, 'RS256,ES256,EdDSA');
const TARGETS = list(env.BENCH_TARGETS, 'lean-auth,oidc-provider,floor');
const BASIC_ALGS = list(env.BENCH_BASIC_ALGS, 'ES256');
const SERVER_CPU = env.BENCH_SERVER_CPU ?? '0';
const LOAD_CPU = env.BENCH_LOAD_CPU ?? '1';
const PG_URL = env.BENCH_DATABASE_URL || undefined;
const MILLION = env.BENCH_MILLION === '1';
const MILLION_TOKENS = positive(env.BENCH_MILLION_TOKENS, 1_000_000);
const PROFILE = env.BENCH_PROFILE === '1';
const STRACE_SECONDS = positive(env.BENCH_STRACE_SECONDS, 3);
const STRICT = env.BENCH_STRICT === '1';
const QUIET_LIMIT = positive(env.BENCH_QUIET_LIMIT, 15);
const QUIET_RUN_MAX = positive(env.BENCH_QUIET_WAIT, 15) * 1000;
let quietBudget = positive(env.BENCH_QUIET_BUDGET, 120) * 1000;
const RETRIES = env.BENCH_RETRIES === '0' ? 0 : Math.round(positive(env.BENCH_RETRIES, 1));
const ROUNDS = Math.round(positive(env.BENCH_ROUNDS, 5));
/**
 * A run is disturbed when other processes took more than this share (%) of the server's CPU, or left
 * the load generator less than it needed on its own CPU.
 */
const DISTURBED = 5;
const disturbed = (r) =>
  r.otherServerCpu !== undefined &&
  (r.otherServerCpu > DISTURBED || (r.serverCpu < 95 && r.otherLoadCpu > 20));
const ALG_CHECK = ['RS256', 'ES256', 'EdDSA'];
for (const alg of ALGS) if (!ALG_CHECK.includes(alg)) fail(`BENCH_ALGS: unknown algorithm '${alg}'`);

function positive(raw, fallback) {
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) fail(`expected a positive number, got '${raw}'`);
  return value;
}

function fail(message) {
  process.stderr.write(`bench: ${message}\n`);
  process.exit(2);
}

const log = (line = '') => process.stdout.write(`${line}\n`);

// ---------------------------------------------------------------------------------------------
// Tools: taskset, wrk (or autocannon), strace
// ---------------------------------------------------------------------------------------------
const has = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
const TASKSET = has('taskset') && cpus().length >= 2;
const WANT_LOADGEN = env.BENCH_LOADGEN ?? 'wrk';
const WRK = WANT_LOADGEN === 'wrk' && has('wrk');
const LOADGEN = WRK ? 'wrk' : 'autocannon';
const STRACE = has('strace');
const pinned = (cpu, command, args) =>
  TASKSET ? ['taskset', ['-c', cpu, command, ...args]] : [command, args];

function loadgenVersion() {
  if (WRK) return spawnSync('wrk', ['-v']).stdout.toString().split('\n')[0].trim();
  return `autocannon ${packageVersion('autocannon')} (library API, in its own process)`;
}

function packageVersion(name) {
  return JSON.parse(readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8')).version;
}

// ---------------------------------------------------------------------------------------------
// Processes: spawn pinned, CPU ticks from /proc/<pid>/stat, RSS from /proc/<pid>/status
// ---------------------------------------------------------------------------------------------
function procStat(pid) {
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
function cpuBusy(cpu) {
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
async function otherLoad(ms, pids) {
  const cpusUsed = TASKSET ? [SERVER_CPU, LOAD_CPU] : [];
  if (cpusUsed.length === 0) return 0;
  const before = cpusUsed.reduce((n, c) => n + cpuBusy(c), 0);
  const mine = () => pids.reduce((n, pid) => n + (procStat(pid)?.self ?? 0), 0);
  const mineBefore = mine();
  await sleep(ms);
  const busy = cpusUsed.reduce((n, c) => n + cpuBusy(c), 0) - before;
  return (Math.max(0, busy - (mine() - mineBefore)) / CLK_TCK / (ms / 1000)) * 100;
}

function rssMiB(pid) {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) / 1024 : Number.NaN;
}

const running = new Set();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    for (const child of running) child.kill('SIGKILL');
    process.exit(130);
  });
}

/** Starts a long-running server process pinned to SERVER_CPU, its output into a log file. */
function startProcess(name, args, extraEnv, logFile) {
  const fd = openSync(logFile, 'w');
  const [command, argv] = pinned(SERVER_CPU, process.execPath, args);
  const started = performance.now();
  const child = spawn(command, argv, { cwd: ROOT, env: extraEnv, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  running.add(child);
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  exited.then(() => running.delete(child));
  return { name, child, pid: child.pid, started, exited, logFile };
}

async function stopProcess(proc) {
  if (proc.child.exitCode !== null || proc.child.signalCode !== null) return;
  proc.child.kill('SIGTERM');
  const done = await Promise.race([proc.exited, sleep(8000).then(() => undefined)]);
  if (done === undefined) {
    proc.child.kill('SIGKILL');
    await proc.exited;
  }
}

function logTail(proc, lines = 30) {
  try {
    return readFileSync(proc.logFile, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

// ---------------------------------------------------------------------------------------------
// HTTP: a bare POST helper (node:http, no keep-alive) for the checks
// ---------------------------------------------------------------------------------------------
function post(url, body, headers = {}) {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      url,
      {
        method: 'POST',
        agent: false,
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          'content-length': Buffer.byteLength(body),
          ...headers,
        },
      },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode, headers: res.headers, text: Buffer.concat(chunks).toString() }),
        );
      },
    );
    req.on('error', reject);
    req.setTimeout(5000, () => req.destroy(new Error(`timeout on ${url}`)));
    req.end(body);
  });
}

async function getJson(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`GET ${url}: ${response.status}`);
  return response.json();
}

// ---------------------------------------------------------------------------------------------
// Token requests: the form body and headers of one kind of request
// ---------------------------------------------------------------------------------------------
/** creds: { clientId, clientSecret, basicClientId? }. kind: api | customer | unknown. auth: post | basic. */
function tokenRequest(target, kind, auth) {
  const { creds } = target;
  const scope = kind === 'api' ? 'api' : kind === 'customer' ? `customer.${creds.customerId}` : undefined;
  const form = new URLSearchParams({ grant_type: 'client_credentials' });
  let authorization = '';
  if (auth === 'basic') {
    const id = encodeURIComponent(creds.basicClientId ?? creds.clientId);
    authorization = `Basic ${Buffer.from(`${id}:${encodeURIComponent(creds.clientSecret)}`).toString('base64')}`;
  } else {
    form.set('client_id', creds.clientId);
    form.set('client_secret', creds.clientSecret);
  }
  if (scope !== undefined) form.set('scope', scope);
  return {
    scope,
    body: form.toString(),
    authorization,
    // For unknown customers the load generator appends a fresh UUID to this, per request.
    unknownPrefix: kind === 'unknown' ? '&scope=customer.' : '',
  };
}

/** Fetches one token and verifies it against the target's JWKS: a fast error page must not pass. */
async function verifyToken(target, kind, auth) {
  const req = tokenRequest(target, kind, auth);
  const headers = req.authorization ? { authorization: req.authorization } : {};
  if (kind === 'unknown') {
    const response = await post(
      target.tokenEndpoint,
      `${req.body}${req.unknownPrefix}${randomUUID()}`,
      headers,
    );
    const body = safeJson(response.text);
    if (response.status !== 400 || body?.error !== 'invalid_scope') {
      throw new Error(
        `an unknown customer should get 400 invalid_scope, got ${response.status} ${response.text.slice(0, 200)}`,
      );
    }
    return { status: response.status, error: body.error };
  }
  const response = await post(target.tokenEndpoint, req.body, headers);
  const body = safeJson(response.text);
  if (response.status !== 200 || typeof body?.access_token !== 'string') {
    throw new Error(
      `token request (${kind}, ${auth}) answered ${response.status}: ${response.text.slice(0, 300)}`,
    );
  }
  if (String(body.token_type).toLowerCase() !== 'bearer') throw new Error(`token_type is ${body.token_type}`);
  if (!String(response.headers['cache-control'] ?? '').includes('no-store')) {
    throw new Error('the token response has no Cache-Control: no-store');
  }
  const { payload, protectedHeader } = await jwtVerify(body.access_token, target.jwks, {
    issuer: target.issuer,
    audience: target.audience,
    typ: 'at+jwt',
    algorithms: [target.alg],
  });
  const expectedClient =
    auth === 'basic' ? (target.creds.basicClientId ?? target.creds.clientId) : target.creds.clientId;
  const problems = [];
  if (payload.client_id !== expectedClient) problems.push(`client_id ${payload.client_id}`);
  if (payload.sub !== expectedClient) problems.push(`sub ${payload.sub}`);
  if (payload.scope !== req.scope) problems.push(`scope ${payload.scope}`);
  if (typeof payload.jti !== 'string' || typeof payload.iat !== 'number' || typeof payload.exp !== 'number') {
    problems.push('jti/iat/exp missing');
  }
  if (!protectedHeader.kid) problems.push('no kid');
  if (
    target.name !== 'oidc-provider' &&
    kind === 'customer' &&
    payload.customer_id !== target.creds.customerId
  ) {
    problems.push(`customer_id ${payload.customer_id}`);
  }
  if (problems.length > 0) throw new Error(`token claims are wrong: ${problems.join(', ')}`);
  return { header: decodeProtectedHeader(body.access_token), claims: Object.keys(payload).sort() };
}

function safeJson(text) {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// Load: wrk (Lua script) or autocannon, pinned to LOAD_CPU; CPU of both sides from /proc
// ---------------------------------------------------------------------------------------------
async function runLoad(target, req, seconds, { amount } = {}) {
  const url = new URL(target.tokenEndpoint);
  let command;
  let args;
  let childEnv = process.env;
  if (WRK) {
    [command, args] = pinned(LOAD_CPU, 'wrk', [
      '-t1',
      `-c${CONNECTIONS}`,
      `-d${Math.max(1, Math.round(seconds))}s`,
      '--timeout',
      '5s',
      '-s',
      join(BENCH, 'load/token.lua'),
      url.href,
    ]);
    childEnv = {
      ...process.env,
      BENCH_BODY: req.body,
      BENCH_AUTHORIZATION: req.authorization,
      BENCH_UNKNOWN_PREFIX: req.unknownPrefix,
    };
  } else {
    const job = {
      origin: url.origin,
      path: url.pathname,
      body: req.body,
      authorization: req.authorization,
      unknownPrefix: req.unknownPrefix,
      connections: CONNECTIONS,
      seconds: Math.max(1, Math.round(seconds)),
      amount,
    };
    [command, args] = pinned(LOAD_CPU, process.execPath, [
      join(BENCH, 'load/autocannon-worker.mjs'),
      JSON.stringify(job),
    ]);
  }
  if (!procStat(target.proc.pid)) throw new Error(`${target.name} is not running:\n${logTail(target.proc)}`);
  const serverBefore = procStat(target.proc.pid).self;
  const loadBefore = procStat(process.pid).children;
  const serverCpuBefore = cpuBusy(SERVER_CPU);
  const loadCpuBefore = cpuBusy(LOAD_CPU);
  const selfBefore = procStat(process.pid).self;
  const started = performance.now();
  const child = spawn(command, args, { env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  let out = '';
  let err = '';
  child.stdout.on('data', (c) => {
    out += c;
  });
  child.stderr.on('data', (c) => {
    err += c;
  });
  const code = await new Promise((resolve) => child.once('close', resolve));
  running.delete(child);
  const wall = (performance.now() - started) / 1000;
  const serverAfter = procStat(target.proc.pid);
  if (!serverAfter) throw new Error(`${target.name} died during the run:\n${logTail(target.proc)}`);
  const serverTicks = serverAfter.self - serverBefore;
  const loadTicks = procStat(process.pid).children - loadBefore;
  const selfTicks = procStat(process.pid).self - selfBefore;
  // What else ran on the two benchmark CPUs meanwhile (other processes on this machine).
  const otherServerCpu = cpuBusy(SERVER_CPU) - serverCpuBefore - serverTicks;
  const otherLoadCpu = cpuBusy(LOAD_CPU) - loadCpuBefore - loadTicks - selfTicks;
  const line = out.split('\n').find((l) => l.startsWith('BENCHJSON '));
  if (code !== 0 || !line)
    throw new Error(`${LOADGEN} failed (exit ${code}): ${err.slice(0, 500)}${out.slice(0, 500)}`);
  const s = JSON.parse(line.slice('BENCHJSON '.length));
  const duration = s.duration_us / 1e6;
  const socketErrors = s.connect_errors + s.read_errors + s.write_errors + s.timeouts;
  return derive({
    requests: s.requests,
    duration,
    non2xx: s.status_errors,
    socketErrors,
    p50ms: s.p50_us / 1000,
    p90ms: s.p90_us / 1000,
    p99ms: s.p99_us / 1000,
    maxms: s.max_us / 1000,
    wall,
    serverTicks,
    loadTicks,
    otherServerTicks: Math.max(0, otherServerCpu),
    otherLoadTicks: Math.max(0, otherLoadCpu),
  });
}

/** Rates and shares from the raw counts of one run (or of several added up). */
function derive(raw) {
  const { requests, duration, wall, serverTicks, loadTicks } = raw;
  return {
    ...raw,
    reqPerSec: requests / duration,
    tokensPerSec: (requests - raw.non2xx) / duration,
    serverCpu: (serverTicks / CLK_TCK / wall) * 100,
    loadCpu: (loadTicks / CLK_TCK / wall) * 100,
    cpuMicrosPerToken: ((serverTicks / CLK_TCK) * 1e6) / Math.max(1, requests),
    otherServerCpu: TASKSET ? (raw.otherServerTicks / CLK_TCK / wall) * 100 : undefined,
    otherLoadCpu: TASKSET ? (raw.otherLoadTicks / CLK_TCK / wall) * 100 : undefined,
  };
}

/** Several rounds as one run: counts added up, p50 the median of the rounds', p99 the worst. */
function combine(runs) {
  const sum = (key) => runs.reduce((n, r) => n + r[key], 0);
  const p50s = runs.map((r) => r.p50ms).sort((a, b) => a - b);
  const rates = runs.map((r) => r.reqPerSec);
  const mean = rates.reduce((a, b) => a + b, 0) / rates.length;
  return {
    ...derive({
      requests: sum('requests'),
      duration: sum('duration'),
      non2xx: sum('non2xx'),
      socketErrors: sum('socketErrors'),
      p50ms: p50s[Math.floor((p50s.length - 1) / 2)],
      p90ms: Math.max(...runs.map((r) => r.p90ms)),
      p99ms: Math.max(...runs.map((r) => r.p99ms)),
      maxms: Math.max(...runs.map((r) => r.maxms)),
      wall: sum('wall'),
      serverTicks: sum('serverTicks'),
      loadTicks: sum('loadTicks'),
      otherServerTicks: sum('otherServerTicks'),
      otherLoadTicks: sum('otherLoadTicks'),
    }),
    rounds: runs.map((r) => ({
      reqPerSec: Math.round(r.reqPerSec),
      cpuMicrosPerToken: Math.round(r.cpuMicrosPerToken * 10) / 10,
      p99ms: r.p99ms,
    })),
    // How far the rounds' rates lay apart, in % of their mean: the noise of this machine.
    spread: rates.length > 1 ? ((Math.max(...rates) - Math.min(...rates)) / mean) * 100 : 0,
  };
}

// ---------------------------------------------------------------------------------------------
// Targets
// ---------------------------------------------------------------------------------------------
/** lean-auth's configuration variables, from the build under test (set once it is copied). */
let CONFIG_VARIABLES = [];

function cleanEnv() {
  const copy = { ...process.env };
  for (const name of CONFIG_VARIABLES) delete copy[name];
  for (const name of Object.keys(copy)) if (name.startsWith('BENCH_')) delete copy[name];
  return copy;
}

function cli(args, leanEnv) {
  const result = spawnSync(process.execPath, [CLI, ...args, '--json'], {
    cwd: ROOT,
    env: leanEnv,
    encoding: 'utf8',
  });
  if (result.status !== 0)
    throw new Error(`lean-auth ${args.join(' ')} failed: ${result.stderr || result.stdout}`);
  return JSON.parse(result.stdout);
}

/** Polls with the api token request until the first 200; returns ms since the process was spawned. */
async function firstToken(target, timeoutMs = 30_000) {
  const req = tokenRequest(target, 'api', 'post');
  for (;;) {
    try {
      const response = await post(target.tokenEndpoint, req.body);
      if (response.status === 200) return performance.now() - target.proc.started;
    } catch {
      // not listening yet
    }
    if (target.proc.child.exitCode !== null)
      throw new Error(`${target.name} exited:\n${logTail(target.proc)}`);
    if (performance.now() - target.proc.started > timeoutMs)
      throw new Error(`${target.name} did not issue a token in ${timeoutMs} ms:\n${logTail(target.proc)}`);
    await sleep(2);
  }
}

async function discover(target, wellKnown) {
  const metadata = await getJson(`${target.origin}${wellKnown}`);
  target.issuer = metadata.issuer;
  target.tokenEndpoint = metadata.token_endpoint;
  target.jwks = createRemoteJWKSet(new URL(metadata.jwks_uri));
}

function profileArgs(name) {
  if (!PROFILE) return [];
  mkdirSync(join(BENCH, 'profiles'), { recursive: true });
  return ['--cpu-prof', `--cpu-prof-dir=${join(BENCH, 'profiles')}`, `--cpu-prof-name=${name}.cpuprofile`];
}

async function startLeanAuth(alg, store, { profile = PROFILE } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'lean-auth-bench-'));
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  let schema;
  let databaseUrl;
  if (store === 'postgres') {
    schema = `bench_${alg.toLowerCase()}_${randomBytes(4).toString('hex')}`;
    const url = new URL(PG_URL);
    url.searchParams.set('schema', schema);
    databaseUrl = url.href;
  } else {
    databaseUrl = `sqlite:${join(dir, 'lean-auth.db')}`;
  }
  const leanEnv = {
    ...cleanEnv(),
    LEAN_AUTH_ENV: 'sandbox',
    HOST: '127.0.0.1',
    PORT: String(port),
    ISSUER: origin,
    DATABASE_URL: databaseUrl,
    KEY_ENCRYPTION_KEY: randomBytes(32).toString('hex'),
    ADMIN_TOKEN: randomBytes(32).toString('hex'),
    SIGNING_ALG: alg,
    LOG_LEVEL: 'warn',
    WORKERS: '1',
  };
  const target = { name: 'lean-auth', store, alg, dir, schema };
  try {
    return await startLeanAuthIn(target, leanEnv, origin, profile);
  } catch (error) {
    await stopTarget(target).catch(() => {});
    throw error;
  }
}

async function startLeanAuthIn(partial, leanEnv, origin, profile) {
  const { alg, store, dir } = partial;
  // As an operator would: create the application and a customer with the CLI, then serve.
  const app = cli(['apps', 'create', '--name', `bench-${alg}`], leanEnv);
  const customer = cli(
    ['customers', 'create', '--app', app.client_id, '--app-user-id', 'bench-user'],
    leanEnv,
  );
  const name = `lean-auth-${store}-${alg}`;
  const proc = startProcess(
    name,
    [...(profile ? profileArgs(name) : []), CLI, 'serve'],
    leanEnv,
    join(dir, 'server.log'),
  );
  const target = Object.assign(partial, {
    origin,
    proc,
    audience: origin,
    tokenEndpoint: `${origin}/oauth2/token`,
    dbFile: store === 'sqlite' ? join(dir, 'lean-auth.db') : undefined,
    creds: { clientId: app.client_id, clientSecret: app.client_secret, customerId: customer.customer_id },
  });
  target.startToFirstTokenMs = await firstToken(target);
  await discover(target, '/.well-known/oauth-authorization-server');
  return target;
}

async function startPeer(kind, alg) {
  const dir = mkdtempSync(join(tmpdir(), `${kind}-bench-`));
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const creds = {
    clientId: randomUUID(),
    clientSecret: randomBytes(32).toString('base64url'),
    customerId: randomUUID(),
  };
  if (kind === 'oidc-provider') creds.basicClientId = `${creds.clientId}-basic`;
  const script = join(BENCH, 'servers', kind === 'floor' ? 'floor.mjs' : 'oidc-provider.mjs');
  const childEnv = {
    ...cleanEnv(),
    NODE_ENV: 'production',
    PORT: String(port),
    ALG: alg,
    CLIENT_ID: creds.clientId,
    CLIENT_SECRET: creds.clientSecret,
    CUSTOMER_ID: creds.customerId,
  };
  const name = `${kind}-${alg}`;
  const proc = startProcess(name, [...profileArgs(name), script], childEnv, join(dir, 'server.log'));
  const target = { name: kind, store: '-', alg, dir, origin, proc, audience: origin, creds };
  target.tokenEndpoint = kind === 'floor' ? `${origin}/oauth2/token` : `${origin}/token`;
  try {
    target.startToFirstTokenMs = await firstToken(target);
    await discover(
      target,
      kind === 'floor' ? '/.well-known/oauth-authorization-server' : '/.well-known/openid-configuration',
    );
  } catch (error) {
    await stopTarget(target).catch(() => {});
    throw error;
  }
  return target;
}

async function stopTarget(target) {
  if (target.proc) await stopProcess(target.proc);
  if (target.schema)
    await dropSchema(target.schema).catch((e) =>
      log(`  (could not drop schema ${target.schema}: ${e.message})`),
    );
  rmSync(target.dir, { recursive: true, force: true });
}

async function dropSchema(schema) {
  const { default: pg } = await import('pg');
  const url = new URL(PG_URL);
  url.searchParams.delete('schema');
  const client = new pg.Client({ connectionString: url.href });
  await client.connect();
  try {
    await client.query(`drop schema if exists ${schema} cascade`);
  } finally {
    await client.end();
  }
}

/**
 * Waits (bounded) until other processes leave the two benchmark CPUs alone: on a shared machine a
 * build or a test suite next door would otherwise be measured as a slow server.
 */
async function waitForQuiet(pids) {
  if (!TASKSET) return 0;
  const start = performance.now();
  for (;;) {
    const other = await otherLoad(200, pids);
    const waited = performance.now() - start;
    if (other <= QUIET_LIMIT || waited >= Math.min(QUIET_RUN_MAX, quietBudget)) {
      const extra = Math.max(0, waited - 200);
      quietBudget -= extra;
      return extra / 1000;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// One measurement: verify, warm up, measure
// ---------------------------------------------------------------------------------------------
const results = [];

const labelOf = (target, kind, auth) =>
  `${target.name}${target.store !== '-' ? `/${target.store}` : ''} ${target.alg} ${kind} ${auth}`;

/**
 * One kind of request against several servers at once: verify each, warm each up, then ROUNDS
 * interleaved rounds (each server in turn, the order rotating), so that a slow drift of the machine
 * touches all of them alike; a round that others disturbed is measured again (bounded).
 */
async function measureCase(targets, kind, auth, extra = {}) {
  return measureSet(targets.map((target) => ({ target, kind, auth, extra })));
}

async function measureSet(entries) {
  const cases = [];
  for (const { target, kind, auth, extra } of entries) {
    const row = { target: target.name, store: target.store, alg: target.alg, token: kind, auth, ...extra };
    const label = labelOf(target, kind, auth) + (extra.beside ? ` (beside ${extra.beside})` : '');
    try {
      row.verified = await verifyToken(target, kind, auth);
      const req = tokenRequest(target, kind, auth);
      if (WARMUP > 0) await runLoad(target, req, WARMUP);
      cases.push({ target, row, req, label, kind, auth, runs: [], waited: 0 });
    } catch (error) {
      row.error = error.message;
      log(`  ${label.padEnd(46)} FAILED: ${error.message}`);
      results.push(row);
    }
  }
  const roundSeconds = Math.max(1, Math.round(SECONDS / ROUNDS));
  for (let round = 0; round < ROUNDS; round++) {
    for (let i = 0; i < cases.length; i++) {
      const c = cases[(i + round) % cases.length];
      if (c.row.error) continue;
      try {
        c.waited += await waitForQuiet([c.target.proc.pid]);
        let run = await runLoad(c.target, c.req, roundSeconds);
        for (let retry = 0; disturbed(run) && retry < RETRIES && quietBudget > roundSeconds * 1000; retry++) {
          quietBudget -= roundSeconds * 1000;
          c.waited += await waitForQuiet([c.target.proc.pid]);
          const again = await runLoad(c.target, c.req, roundSeconds);
          c.retries = (c.retries ?? 0) + 1;
          if (again.otherServerTicks < run.otherServerTicks) run = again;
        }
        c.runs.push(run);
      } catch (error) {
        c.row.error = error.message;
      }
    }
  }
  for (const c of cases) {
    const { row, target, label, kind, auth } = c;
    try {
      if (row.error) throw new Error(row.error);
      Object.assign(row, combine(c.runs), { waitedForQuietSeconds: c.waited, retries: c.retries ?? 0 });
      // After the measured runs: the token must still verify (the server did not degrade into errors).
      await verifyToken(target, kind, auth);
      row.rssMiB = rssMiB(target.proc.pid);
      log(
        `  ${label.padEnd(46)} ${fmt(kind === 'unknown' ? row.reqPerSec : row.tokensPerSec, 0).padStart(7)} ${kind === 'unknown' ? 'answers' : 'tokens'}/s (rounds ±${fmt(row.spread / 2, 0)}%)  p50 ${fmt(row.p50ms, 2)} ms  p99 ${fmt(row.p99ms, 2)} ms  non-2xx ${row.non2xx}  cpu ${fmt(row.serverCpu, 0)}%/${fmt(row.loadCpu, 0)}%  ${fmt(row.cpuMicrosPerToken, 0)} µs/token${disturbed(row) ? `  (disturbed: others took ${fmt(row.otherServerCpu, 0)}% of the server CPU, ${fmt(row.otherLoadCpu, 0)}% of the load CPU)` : ''}`,
      );
    } catch (error) {
      row.error = error.message;
      log(`  ${label.padEnd(46)} FAILED: ${error.message}`);
    }
    results.push(row);
  }
}

// ---------------------------------------------------------------------------------------------
// No database query per warm token request: count the SQLite file's system calls with strace
// ---------------------------------------------------------------------------------------------
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

async function queryChecks(target, alg, dbQueries) {
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

// ---------------------------------------------------------------------------------------------
// RSS over one million tokens (BENCH_MILLION=1)
// ---------------------------------------------------------------------------------------------
async function millionTokens(alg) {
  log(
    `\nRSS over ${MILLION_TOKENS.toLocaleString('en')} tokens (lean-auth, SQLite, ${alg}, api, client_secret_post):`,
  );
  const target = await startLeanAuth(alg, 'sqlite', { profile: false });
  const samples = [{ tokens: 0, rssMiB: rssMiB(target.proc.pid) }];
  try {
    await verifyToken(target, 'api', 'post');
    const req = tokenRequest(target, 'api', 'post');
    let tokens = 0;
    let rate = 0;
    let nextReport = 100_000;
    log(`  ${'0'.padStart(9)} tokens  RSS ${fmt(samples[0].rssMiB, 1)} MiB (after start)`);
    while (tokens < MILLION_TOKENS) {
      // Runs that end near each next 100k (the first, 5 s, measures the rate).
      const goal = Math.min(nextReport, MILLION_TOKENS);
      const seconds = rate === 0 ? 5 : Math.max(1, Math.round((goal - tokens) / rate));
      const run = await runLoad(target, req, seconds);
      if (run.non2xx > 0) throw new Error(`${run.non2xx} non-2xx responses during the million`);
      tokens += run.requests;
      rate = run.tokensPerSec;
      if (tokens >= nextReport || tokens >= MILLION_TOKENS) {
        const sample = { tokens, rssMiB: rssMiB(target.proc.pid) };
        samples.push(sample);
        log(`  ${tokens.toLocaleString('en').padStart(9)} tokens  RSS ${fmt(sample.rssMiB, 1)} MiB`);
        while (nextReport <= tokens) nextReport += 100_000;
      }
    }
  } finally {
    await stopTarget(target);
  }
  const last = samples.at(-1);
  const half = samples.find((s) => s.tokens >= last.tokens / 2) ?? last;
  return { alg, samples, finalRssMiB: last.rssMiB, growthSecondHalfMiB: last.rssMiB - half.rssMiB };
}

// ---------------------------------------------------------------------------------------------
// Reporting
// ---------------------------------------------------------------------------------------------
function fmt(value, digits = 1) {
  return value === undefined || Number.isNaN(value) ? '-' : value.toFixed(digits);
}

function find(target, alg, token, auth = 'post', store, beside) {
  return results.find(
    (r) =>
      r.target === target &&
      r.alg === alg &&
      r.token === token &&
      r.auth === auth &&
      !r.error &&
      (store === undefined || r.store === store) &&
      r.beside === beside,
  );
}

function table(rows, headers) {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells) =>
    cells.map((c, i) => (i < 5 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join('  ');
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

function ratios() {
  const out = [];
  for (const alg of ALGS) {
    for (const token of ['api', 'customer']) {
      for (const auth of ['post', 'basic']) {
        const lean = find('lean-auth', alg, token, auth, 'sqlite');
        const floor = find('floor', alg, token, auth);
        const peer = find('oidc-provider', alg, token, auth);
        if (!lean || (!floor && !peer)) continue;
        out.push({
          alg,
          token,
          auth,
          leanTokensPerSec: lean.tokensPerSec,
          floorTokensPerSec: floor?.tokensPerSec,
          oidcProviderTokensPerSec: peer?.tokensPerSec,
          leanOverFloor: floor ? lean.tokensPerSec / floor.tokensPerSec : undefined,
          // The same comparison by server CPU time per token: hardly moved by other processes.
          leanOverFloorByCpu: floor ? floor.cpuMicrosPerToken / lean.cpuMicrosPerToken : undefined,
          disturbed: [lean, floor, peer].some((r) => r && disturbed(r)),
          leanOverOidcProvider: peer ? lean.tokensPerSec / peer.tokensPerSec : undefined,
        });
      }
    }
  }
  return out;
}

function evaluateTargets(ratioRows, extra) {
  const checks = [];
  const check = (name, pass, measured) => checks.push({ name, pass, measured });
  for (const r of ratioRows) {
    if (r.leanOverFloor === undefined || r.auth !== 'post') continue;
    const goal = r.alg === 'RS256' ? 0.9 : 0.85;
    check(
      `${r.alg} ${r.token}: lean-auth ≥ ${goal * 100}% of the floor`,
      r.leanOverFloor >= goal,
      `${fmt(r.leanOverFloor * 100, 1)}% (by CPU time per token: ${fmt(r.leanOverFloorByCpu * 100, 1)}%)${r.disturbed ? ' [disturbed run]' : ''}`,
    );
  }
  for (const alg of ALGS) {
    const api = find('lean-auth', alg, 'api', 'post', 'sqlite');
    const customer = find('lean-auth', alg, 'customer', 'post', 'sqlite');
    if (api && customer) {
      const ratio = customer.tokensPerSec / api.tokensPerSec;
      check(
        `${alg}: customer tokens within 5% of api tokens`,
        ratio >= 0.95,
        `${fmt(ratio * 100, 1)}% of api`,
      );
    }
    for (const token of ['api', 'customer']) {
      const sqlite = find('lean-auth', alg, token, 'post', 'sqlite');
      const postgres = find('lean-auth', alg, token, 'post', 'postgres');
      if (sqlite && postgres) {
        const ratio = postgres.tokensPerSec / sqlite.tokensPerSec;
        check(
          `${alg} ${token}: PostgreSQL store within 10% of SQLite`,
          ratio >= 0.9,
          `${fmt(ratio * 100, 1)}% of SQLite`,
        );
      }
    }
  }
  const es256 = results.filter(
    (r) => r.target === 'lean-auth' && r.alg === 'ES256' && r.token !== 'unknown' && !r.beside && !r.error,
  );
  if (es256.length > 0) {
    const worst = Math.max(...es256.map((r) => r.p99ms));
    check(
      `ES256: lean-auth p99 ≤ 5 ms with ${CONNECTIONS} connections`,
      worst <= 5,
      `worst p99 ${fmt(worst, 2)} ms`,
    );
  }
  const lean = results.filter((r) => r.target === 'lean-auth' && r.token !== 'unknown');
  if (lean.length > 0) {
    const bad = lean.reduce((n, r) => n + (r.error ? 1 : r.non2xx + r.socketErrors), 0);
    check('lean-auth: no non-2xx responses (nor socket errors, nor failed runs)', bad === 0, `${bad}`);
  }
  for (const store of ['sqlite', 'postgres']) {
    const unknown = find('lean-auth', 'ES256', 'unknown', 'post', store);
    const valid = find('lean-auth', 'ES256', 'customer', 'post', store, 'unknown');
    if (unknown && valid) {
      const ratio = unknown.reqPerSec / valid.tokensPerSec;
      check(
        `ES256 ${store}: 100% unknown customer ids ≥ 50% of the valid-token rate`,
        ratio >= 0.5,
        `${fmt(ratio * 100, 1)}%`,
      );
    }
  }
  const starts = extra.starts.filter((s) => s.target === 'lean-auth');
  if (starts.length > 0) {
    const worst = Math.max(...starts.map((s) => s.ms));
    check('lean-auth: start to first token ≤ 1 s', worst <= 1000, `worst ${fmt(worst, 0)} ms`);
  }
  for (const q of extra.dbQueries) {
    if (q.kind === 'customer' && q.syscalls !== undefined) {
      const idle = extra.dbQueries.find(
        (c) => c.kind === 'idle' && c.alg === q.alg && c.syscalls !== undefined,
      );
      const control = extra.dbQueries.find((c) => c.kind === 'unknown' && c.alg === q.alg);
      const background = idle ? (idle.syscalls / idle.seconds) * q.seconds : 0;
      const excess = Math.max(0, q.syscalls - background);
      q.excessPerRequest = excess / Math.max(1, q.requests);
      const detects = control?.perRequest >= 0.5;
      check(
        `${q.alg}: no database query per warm token request (SQLite file syscalls under strace)`,
        q.excessPerRequest < 0.01 && detects,
        `${q.syscalls} syscalls in ${q.requests} requests, ${fmt(background, 0)} of them expected from the idle background: ${fmt(q.excessPerRequest, 4)} per request; control ${fmt(control?.perRequest, 2)} per request${detects ? '' : ' (the control run did not show queries: inconclusive)'}`,
      );
    }
  }
  if (extra.million) {
    const m = extra.million;
    check(
      `RSS ≤ 120 MB after ${m.samples.at(-1).tokens.toLocaleString('en')} tokens`,
      m.finalRssMiB * 1.048576 <= 120,
      `${fmt(m.finalRssMiB * 1.048576, 1)} MB`,
    );
    check(
      'RSS not growing (second half ≤ +5%)',
      m.growthSecondHalfMiB <= m.finalRssMiB * 0.05,
      `${m.growthSecondHalfMiB >= 0 ? '+' : ''}${fmt(m.growthSecondHalfMiB, 1)} MiB over the second half`,
    );
  }
  return checks;
}

function machine() {
  const cpu = cpus();
  let commit = 'unknown';
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT }).toString().trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src'], { cwd: ROOT })
      .toString()
      .trim();
    if (dirty) commit += ' (src has uncommitted changes)';
  } catch {
    // not a git checkout
  }
  return {
    cpu: cpu[0]?.model ?? 'unknown',
    cpus: cpu.length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    kernel: release(),
    node: process.version,
    loadGenerator: loadgenVersion(),
    oidcProvider: packageVersion('oidc-provider'),
    leanAuthCommit: commit,
    distBuiltAt: new Date(statSync(BUILT_CLI).mtimeMs).toISOString(),
    pinned: TASKSET
      ? `server on CPU ${SERVER_CPU}, load generator on CPU ${LOAD_CPU} (taskset)`
      : 'not pinned (no taskset or < 2 CPUs)',
  };
}

function newestMtime(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

// ---------------------------------------------------------------------------------------------
// Main
// ---------------------------------------------------------------------------------------------
async function main() {
  if (!existsSync(BUILT_CLI)) {
    log('dist/ is missing: building lean-auth first (npm run build)…');
    const build = spawnSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, stdio: 'inherit' });
    if (build.status !== 0) fail('npm run build failed');
  } else if (newestMtime(join(ROOT, 'src')) > statSync(BUILT_CLI).mtimeMs) {
    log(
      'note: src/ has changed since dist/ was built; this measures dist/ as built (run `npm run build` first to measure the current source).',
    );
  }
  rmSync(SNAPSHOT, { recursive: true, force: true });
  cpSync(join(ROOT, 'dist'), SNAPSHOT, { recursive: true });
  process.on('exit', () => rmSync(SNAPSHOT, { recursive: true, force: true }));
  ({ CONFIG_VARIABLES } = await import(pathToFileURL(join(SNAPSHOT, 'src/config/config.js')).href));
  if (!WRK) {
    log(
      WANT_LOADGEN === 'wrk'
        ? 'wrk not found: falling back to autocannon, which needs far more CPU per request. Install wrk for the reference numbers:\n  sudo apt-get install -y wrk     (Debian/Ubuntu; as root without sudo)'
        : 'BENCH_LOADGEN=autocannon: using autocannon.',
    );
  }
  if (!TASKSET)
    log(
      'warning: taskset or a second CPU is missing: server and load generator are NOT pinned; figures are not comparable with the reference.',
    );
  if (TASKSET) spawnSync('taskset', ['-cp', LOAD_CPU, String(process.pid)], { stdio: 'ignore' });

  const info = machine();
  log(`lean-auth benchmark: ${info.cpu} (${info.cpus} CPUs), Linux ${info.kernel}, Node ${info.node}`);
  log(
    `load generator: ${info.loadGenerator}; ${CONNECTIONS} connections; warm-up ${WARMUP} s; measurement ${SECONDS} s per run; ${info.pinned}`,
  );
  log(
    `lean-auth ${info.leanAuthCommit}, dist built ${info.distBuiltAt}; oidc-provider ${info.oidcProvider}\n`,
  );

  const starts = [];
  const dbQueries = [];
  const stores = ['sqlite', ...(PG_URL ? ['postgres'] : [])];
  const began = performance.now();

  /** Starts a target; a failed start is retried once (its first error is kept in the log). */
  async function start(name, store, alg, options) {
    for (let attempt = 1; ; attempt++) {
      try {
        const target =
          name === 'lean-auth' ? await startLeanAuth(alg, store, options) : await startPeer(name, alg);
        starts.push({
          target: name,
          store,
          alg,
          ms: target.startToFirstTokenMs,
          ...(attempt > 1 && { attempt }),
        });
        return target;
      } catch (error) {
        log(`  ${name} ${store} ${alg}: could not start (attempt ${attempt}): ${error.message}`);
        if (attempt >= 2) {
          results.push({
            target: name,
            store,
            alg,
            token: 'api',
            auth: 'post',
            error: `start: ${error.message}`,
          });
          return undefined;
        }
      }
    }
  }

  for (const alg of ALGS) {
    log(`${alg}`);
    // All servers of this algorithm are up together, idle but for the one under load, so that their
    // rounds can interleave. Each is pinned to the same CPU.
    const targets = [];
    try {
      for (const name of TARGETS) {
        for (const store of name === 'lean-auth' ? stores : ['-']) {
          const target = await start(name, store, alg);
          if (target) targets.push(target);
        }
      }
      await measureCase(targets, 'api', 'post');
      await measureCase(targets, 'customer', 'post');
      if (BASIC_ALGS.includes(alg)) await measureCase(targets, 'api', 'basic');
    } finally {
      for (const target of targets) await stopTarget(target);
    }
    // Unknown customers and the query count on a server of their own, so that a CPU profile of
    // the main one shows valid token requests only.
    if (alg === 'ES256' && TARGETS.includes('lean-auth')) {
      for (const store of stores) {
        const checks = await start('lean-auth', store, alg, { profile: false });
        if (!checks) continue;
        try {
          // Valid and unknown customers interleaved on the same process: the fairest comparison.
          await measureSet([
            { target: checks, kind: 'customer', auth: 'post', extra: { beside: 'unknown' } },
            { target: checks, kind: 'unknown', auth: 'post', extra: {} },
          ]);
          if (store === 'sqlite') await queryChecks(checks, alg, dbQueries);
        } finally {
          await stopTarget(checks);
        }
      }
    }
  }

  let million;
  if (MILLION) {
    try {
      million = await millionTokens(env.BENCH_MILLION_ALG ?? 'ES256');
    } catch (error) {
      log(`  million-token run failed: ${error.message}`);
    }
  }

  // ----- report
  const rows = results.map((r) => [
    r.target,
    r.store,
    r.alg,
    r.token === 'unknown' ? 'unknown-customer' : r.beside ? `${r.token} (beside unknown)` : r.token,
    r.auth === 'post' ? 'post' : 'basic',
    r.error ? 'FAILED' : fmt(r.reqPerSec, 0),
    r.error ? '-' : r.token === 'unknown' ? '(400s)' : fmt(r.tokensPerSec, 0),
    r.error ? '-' : `±${fmt(r.spread / 2, 0)}`,
    fmt(r.p50ms, 2),
    fmt(r.p99ms, 2),
    r.error ? '-' : String(r.non2xx + (r.socketErrors ? ` +${r.socketErrors} sock` : '')),
    fmt(r.cpuMicrosPerToken, 0),
    fmt(r.serverCpu, 0),
    fmt(r.loadCpu, 0),
    r.otherServerCpu === undefined
      ? '-'
      : `${fmt(r.otherServerCpu, 0)}/${fmt(r.otherLoadCpu, 0)}${disturbed(r) ? ' !' : ''}`,
    fmt(r.rssMiB, 0),
  ]);
  log(
    `\nResults (${LOADGEN}, ${SECONDS} s per run in ${ROUNDS} interleaved rounds, ${CONNECTIONS} connections):\n`,
  );
  log(
    table(rows, [
      'target',
      'store',
      'alg',
      'token',
      'auth',
      'req/s',
      'tokens/s',
      'rounds %',
      'p50 ms',
      'p99 ms',
      'non-2xx',
      'µs/token',
      'srv CPU%',
      'load CPU%',
      'other% s/l',
      'RSS MiB',
    ]),
  );
  const disturbedRuns = results.filter(disturbed).length;
  if (disturbedRuns > 0) {
    log(
      `\n! ${disturbedRuns} run(s) shared the benchmark CPUs with other processes (other% s/l: busy time on the server's / the load generator's CPU that was neither of them). Their tokens/s understate the server (µs/token is less affected); rerun on a quiet machine.`,
    );
  }

  const ratioRows = ratios();
  log('\nRatios (tokens/s of lean-auth with SQLite, divided by):\n');
  log(
    table(
      ratioRows.map((r) => [
        r.alg,
        r.token,
        r.auth,
        '',
        '',
        fmt(r.leanTokensPerSec, 0),
        r.leanOverFloor === undefined ? '-' : `${fmt(r.leanOverFloor * 100, 1)}%`,
        r.leanOverFloorByCpu === undefined ? '-' : `${fmt(r.leanOverFloorByCpu * 100, 1)}%`,
        r.leanOverOidcProvider === undefined ? '-' : `${fmt(r.leanOverOidcProvider, 2)}×`,
        r.disturbed ? '!' : '',
      ]),
      [
        'alg',
        'token',
        'auth',
        '',
        '',
        'lean-auth tok/s',
        'of floor',
        'of floor by CPU µs',
        '× oidc-provider',
        '',
      ],
    ),
  );

  log('\nStart to first token (process spawned → first 200 from /oauth2/token):');
  for (const s of starts)
    log(`  ${`${s.target}${s.store !== '-' ? `/${s.store}` : ''} ${s.alg}`.padEnd(28)} ${fmt(s.ms, 0)} ms`);

  const checks = evaluateTargets(ratioRows, { starts, dbQueries, million });
  log('\nTargets:');
  for (const c of checks) log(`  ${c.pass ? 'PASS' : 'FAIL'}  ${c.name}: ${c.measured}`);
  if (!MILLION) log('  (RSS after one million tokens: not run; BENCH_MILLION=1 runs it)');

  const totalSeconds = (performance.now() - began) / 1000;
  const report = {
    date: new Date().toISOString(),
    machine: info,
    settings: {
      seconds: SECONDS,
      rounds: ROUNDS,
      warmup: WARMUP,
      connections: CONNECTIONS,
      algs: ALGS,
      targets: TARGETS,
      basicAlgs: BASIC_ALGS,
      loadGenerator: LOADGEN,
      postgres: Boolean(PG_URL),
    },
    results,
    ratios: ratioRows,
    startToFirstToken: starts,
    dbQueriesPerWarmRequest: {
      method:
        'strace -f -c -P <sqlite files> -e trace=pread64,pwrite64,read,write,lseek,fcntl,fsync,fdatasync attached to the warm server; unknown customer ids as the control that the method sees a query',
      runs: dbQueries,
    },
    million,
    targets: checks,
    totalSeconds,
  };
  writeFileSync(join(BENCH, 'results.json'), `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(join(BENCH, 'results.svg'), renderChart(report));
  log(`\nWrote bench/results.json and bench/results.svg (${fmt(totalSeconds / 60, 1)} min).`);

  if (PROFILE) {
    const dir = join(BENCH, 'profiles');
    log('\nCPU profiles (bench/profiles/*.cpuprofile), self time by where it is spent:');
    for (const file of readdirSync(dir)
      .filter((f) => f.endsWith('.cpuprofile'))
      .sort()) {
      log(`\n${file}`);
      log(summarizeProfile(join(dir, file), { top: 12 }));
    }
    for (const alg of ALGS) {
      const lean = join(dir, `lean-auth-sqlite-${alg}.cpuprofile`);
      const floor = join(dir, `floor-${alg}.cpuprofile`);
      if (!existsSync(lean) || !existsSync(floor)) continue;
      log(`\n${alg}: lean-auth (A) against the floor (B), CPU per token in units of one signature:`);
      log(compareProfiles(lean, floor, { top: 15 }));
    }
  }

  const broken = results.some((r) => r.error);
  if (broken) process.exitCode = 1;
  else if (STRICT && checks.some((c) => !c.pass)) process.exitCode = 1;
}

await main();
