// The targets: lean-auth, oidc-provider and the floor, started and checked (npm run bench: bench/run.mjs).
import { spawnSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createRemoteJWKSet } from 'jose';
import { createApplications } from './bulk-apps.mjs';
import { getJson, post } from './http.mjs';
import { freePort, logTail, otherLoad, startProcess, stopProcess } from './processes.mjs';
import { tokenRequest } from './requests.mjs';
import {
  BENCH,
  CLI,
  log,
  PG_URL,
  PROFILE,
  QUIET_LIMIT,
  QUIET_RUN_MAX,
  quiet,
  ROOT,
  SERVER_CPU,
} from './settings.mjs';
import { clientKey } from './signed-pool.mjs';
import { TASKSET } from './tools.mjs';

/** lean-auth's configuration variables, from the build under test (set once it is copied). */
export const CONFIG_VARIABLES = [];

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

/**
 * options: profile (node --cpu-prof), clientAuth (also an application with private_key_jwt, and a
 * client key for it and for DPoP proofs), apps (that many more applications in the database before
 * the start), workers (WORKERS), cpu (the CPU list it is pinned to).
 */
export async function startLeanAuth(alg, store, options = {}) {
  const { workers = 1 } = options;
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
    WORKERS: String(workers),
  };
  const target = { name: 'lean-auth', store, alg, dir, schema, databaseUrl };
  try {
    return await startLeanAuthIn(target, leanEnv, origin, options);
  } catch (error) {
    await stopTarget(target).catch(() => {});
    throw error;
  }
}

async function startLeanAuthIn(partial, leanEnv, origin, options) {
  const { profile = PROFILE, clientAuth = false, apps = 0, cpu = SERVER_CPU } = options;
  const { alg, store, dir } = partial;
  // As an operator would: create the application and a customer with the CLI, then serve.
  const app = cli(['apps', 'create', '--name', `bench-${alg}`], leanEnv);
  const customer = cli(
    ['customers', 'create', '--app', app.client_id, '--app-user-id', 'bench-user'],
    leanEnv,
  );
  const creds = {
    clientId: app.client_id,
    clientSecret: app.client_secret,
    customerId: customer.customer_id,
  };
  if (clientAuth) {
    creds.clientKey = clientKey(alg);
    const jwksFile = join(dir, 'client-jwks.json');
    writeFileSync(
      jwksFile,
      JSON.stringify({ keys: [{ ...creds.clientKey.publicJwk, kid: creds.clientKey.kid, alg, use: 'sig' }] }),
    );
    const jwtApp = cli(
      [
        'apps',
        'create',
        '--name',
        `bench-jwt-${alg}`,
        '--auth-method',
        'private_key_jwt',
        '--jwks-file',
        jwksFile,
      ],
      leanEnv,
    );
    creds.jwtClientId = jwtApp.client_id;
  }
  if (apps > 0) {
    const location =
      store === 'sqlite'
        ? { kind: 'sqlite', path: join(dir, 'lean-auth.db') }
        : { kind: 'postgres', url: partial.databaseUrl };
    partial.applications = await createApplications(location, apps);
  }
  const name = `lean-auth-${store}-${alg}`;
  const spawnArgs = [
    name,
    [...(profile ? profileArgs(name) : []), CLI, 'serve'],
    leanEnv,
    join(dir, 'server.log'),
    cpu,
  ];
  const proc = startProcess(...spawnArgs);
  const target = Object.assign(partial, {
    origin,
    proc,
    audience: origin,
    tokenEndpoint: `${origin}/oauth2/token`,
    dbFile: store === 'sqlite' ? join(dir, 'lean-auth.db') : undefined,
    creds,
    spawnArgs,
  });
  target.startToFirstTokenMs = await firstToken(target);
  await discover(target, '/.well-known/oauth-authorization-server');
  return target;
}

/** Stops lean-auth and starts it again on the same database; returns its start to first token (ms). */
export async function restartLeanAuth(target) {
  await stopProcess(target.proc);
  target.proc = startProcess(...target.spawnArgs);
  target.startToFirstTokenMs = await firstToken(target);
  return target.startToFirstTokenMs;
}

export async function startPeer(kind, alg) {
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

export async function stopTarget(target) {
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
export async function waitForQuiet(pids) {
  if (!TASKSET) return 0;
  const start = performance.now();
  for (;;) {
    const other = await otherLoad(200, pids);
    const waited = performance.now() - start;
    if (other <= QUIET_LIMIT || waited >= Math.min(QUIET_RUN_MAX, quiet.budget)) {
      const extra = Math.max(0, waited - 200);
      quiet.budget -= extra;
      return extra / 1000;
    }
  }
}
