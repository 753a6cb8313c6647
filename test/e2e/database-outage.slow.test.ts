import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { freePort, RunningProcess, randomKeyHex, runCli } from '../helpers/child-process.js';
import { PostgresCluster, skipWithoutPostgresBinaries } from '../helpers/postgres-cluster.js';
import { type Credentials, requestToken as fetchToken } from '../helpers/token-request.js';
import { waitFor } from '../helpers/waiting.js';

const LISTENING = 'lean-auth is listening';
/** The issue: no request ever hangs; queries and connects give up after 5 s, so ~6 s is the bound. */
const ANSWER_WITHIN_MS = 6_500;
/** Staleness bounds of the two servers under test. */
const LONG_STALE_TTL_S = 30;
const SHORT_STALE_TTL_S = 2;

const skip = skipWithoutPostgresBinaries();

interface Reply {
  status: number;
  ms: number;
  retryAfter: string | null;
  body: Record<string, unknown>;
}

/** A request that fails the test instead of hanging it; `ms` is how long the answer took. */
async function timed(url: string, init: RequestInit = {}): Promise<Reply> {
  const started = Date.now();
  const response = await fetch(url, { ...init, signal: AbortSignal.timeout(20_000) });
  const body = (await response.json()) as Record<string, unknown>;
  return {
    status: response.status,
    ms: Date.now() - started,
    retryAfter: response.headers.get('retry-after'),
    body,
  };
}

const readyz = (base: string) => timed(`${base}/readyz`);
const requestToken = (base: string, client: Credentials) => fetchToken(base, client, { timeoutMs: 20_000 });

function assertToken(reply: Reply, what: string): void {
  assert.equal(reply.status, 200, `${what}: ${JSON.stringify(reply.body)}`);
  assert.equal(reply.body.token_type, 'bearer');
  assert.equal(typeof reply.body.access_token, 'string');
}

/** The answer for what the server cannot check without the database: 503, RFC shape, Retry-After. */
function assertUnavailable(reply: Reply, what: string): void {
  assert.equal(reply.status, 503, `${what}: ${JSON.stringify(reply.body)}`);
  assert.deepEqual(Object.keys(reply.body).sort(), ['error', 'error_description'], what);
  assert.equal(reply.body.error, 'temporarily_unavailable', what);
  const retryAfter = Number(reply.retryAfter);
  assert.ok(Number.isInteger(retryAfter) && retryAfter > 0, `${what}: Retry-After ${reply.retryAfter}`);
  assert.ok(reply.ms <= ANSWER_WITHIN_MS, `${what}: answered after ${reply.ms} ms`);
}

/**
 * Token requests for one client, one after the other, until stopped: the traffic that flows
 * while the database goes away and comes back.
 */
class TokenStream {
  readonly replies: { at: number; status: number; ms: number; body: Record<string, unknown> }[] = [];
  private stopped = false;
  private readonly done: Promise<void>;

  constructor(base: string, credentials: Credentials) {
    this.done = (async () => {
      while (!this.stopped) {
        const at = Date.now();
        try {
          const reply = await requestToken(base, credentials);
          this.replies.push({ at, status: reply.status, ms: reply.ms, body: reply.body });
        } catch (error) {
          this.replies.push({ at, status: 0, ms: Date.now() - at, body: { error: String(error) } });
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    })();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.done;
  }
}

describe('database outage: PostgreSQL stopped and started under traffic (proof 3)', {
  skip,
  timeout: 150_000,
}, () => {
  let cluster: PostgresCluster | undefined;
  const processes: RunningProcess[] = [];
  let env: Record<string, string>;
  /** CACHE_STALE_TTL=30: the server the scenario runs against. */
  let main: string;
  /** CACHE_STALE_TTL=2: shows that the cached data is trusted for a bounded time only. */
  let shortLived: string;
  let cached: Credentials;
  let uncached: Credentials;
  let stream: TokenStream | undefined;

  const createClient = async (name: string): Promise<Credentials> => {
    const created = await runCli(['apps', 'create', '--name', name, '--json'], env);
    assert.equal(created.code, 0, created.stderr);
    const json = JSON.parse(created.stdout) as { client_id: string; client_secret: string };
    return { clientId: json.client_id, clientSecret: json.client_secret };
  };

  const serve = async (staleTtl: number): Promise<string> => {
    const port = await freePort();
    const server = new RunningProcess(['serve'], {
      ...env,
      PORT: String(port),
      CACHE_STALE_TTL: String(staleTtl),
    });
    processes.push(server);
    await server.waitForOutput(LISTENING, 60_000);
    return `http://127.0.0.1:${port}`;
  };

  const output = () =>
    `${processes.map((p) => p.output()).join('\n')}\n--- postgres log ---\n${cluster?.log() ?? ''}`;

  before(async () => {
    cluster = await PostgresCluster.create();
    await cluster.start();
    env = {
      DATABASE_URL: cluster.url,
      KEY_ENCRYPTION_KEY: randomKeyHex(),
      ADMIN_TOKEN: randomBytes(32).toString('hex'),
      LOG_LEVEL: 'info',
    };
    main = await serve(LONG_STALE_TTL_S);
    shortLived = await serve(SHORT_STALE_TTL_S);
    [cached, uncached] = [await createClient('cached client'), await createClient('uncached client')];
  });

  after(async () => {
    await stream?.stop();
    await Promise.all(processes.map((p) => p.kill()));
    await cluster?.destroy();
  });

  it('serves and is ready while the database is up; one token request caches the client', async () => {
    for (const base of [main, shortLived]) {
      assert.equal((await readyz(base)).status, 200);
      assertToken(await requestToken(base, cached), `cached client at ${base}`);
    }
  });

  it('keeps issuing tokens to the cached client and answers 503 for the rest while the database is down', async () => {
    const database = cluster as PostgresCluster;
    stream = new TokenStream(main, cached);
    await waitFor(() => (stream?.replies.length ?? 0) >= 3, 10_000, 'token requests to flow');

    // The instances lose their notices while pg_ctl waits for the shutdown: time it from the start.
    const stoppedAt = Date.now();
    await database.stop('fast');

    // /readyz says not ready, by itself, soon.
    await waitFor(async () => (await readyz(main)).status === 503, 10_000, '/readyz to go 503', 100);
    const notReady = await readyz(main);
    assert.equal(notReady.body.status, 'not_ready');
    assert.equal(typeof notReady.body.reason, 'string');
    assert.ok(notReady.ms <= ANSWER_WITHIN_MS, `/readyz answered after ${notReady.ms} ms`);
    assert.equal((await timed(`${main}/healthz`)).status, 200, 'the process itself is fine');

    // What is cached goes on; what is not is answered 503 at once, never left hanging.
    assertToken(await requestToken(main, cached), 'cached client during the outage');
    assertUnavailable(await requestToken(main, uncached), 'uncached client');
    assertUnavailable(
      await requestToken(main, { clientId: randomUUID(), clientSecret: 'whatever' }),
      'unknown client_id',
    );
    assertUnavailable(await requestToken(shortLived, uncached), 'uncached client, short stale TTL');

    // Past its CACHE_STALE_TTL, an instance no longer trusts its cache: even the cached client gets 503.
    await waitFor(
      async () => (await requestToken(shortLived, cached)).status === 503,
      SHORT_STALE_TTL_S * 1000 + 10_000,
      'the short-lived cache to expire',
      200,
    );
    assert.ok(Date.now() - stoppedAt >= SHORT_STALE_TTL_S * 1000, 'not before its stale TTL');
    assertUnavailable(await requestToken(shortLived, cached), 'cached client past CACHE_STALE_TTL');

    // Within its own CACHE_STALE_TTL the main instance still serves the cached client.
    assert.ok(
      Date.now() - stoppedAt < LONG_STALE_TTL_S * 1000,
      'the outage part took too long to prove this',
    );
    assertToken(await requestToken(main, cached), 'cached client, still within CACHE_STALE_TTL');
    for (const server of processes) assert.ok(server.running, `a server died:\n${output()}`);
  });

  it('recovers by itself when the database is back: ready again, new and uncached clients get tokens', async () => {
    const database = cluster as PostgresCluster;
    await database.start();
    for (const base of [main, shortLived]) {
      await waitFor(async () => (await readyz(base)).status === 200, 20_000, `${base}/readyz to be 200`, 200);
    }
    assertToken(await requestToken(main, uncached), 'the uncached client');
    assertToken(await requestToken(shortLived, cached), 'the cached client where the cache had expired');
    const fresh = await createClient('created after the outage');
    for (const base of [main, shortLived])
      assertToken(await requestToken(base, fresh), `new client at ${base}`);

    await stream?.stop();
    const replies = stream?.replies ?? [];
    assert.ok(replies.length >= 10, `only ${replies.length} requests flowed`);
    const bad = replies.filter((reply) => reply.status !== 200 || reply.ms > ANSWER_WITHIN_MS);
    assert.deepEqual(bad, [], 'every request of the cached client was answered 200 in time, all along');
    for (const server of processes) assert.ok(server.running, `a server died:\n${output()}`);
  });

  it('never hangs on a frozen database: answers 503 within the 5 s timeouts, and recovers', async () => {
    const database = cluster as PostgresCluster;
    const notYetAsked = await createClient('first asked while the database hangs');
    assertToken(await requestToken(main, cached), 'the cached client, before');
    stream = new TokenStream(main, cached);
    await waitFor(() => (stream?.replies.length ?? 0) >= 3, 10_000, 'token requests to flow');

    database.freeze();
    try {
      // Open sessions (the pool's, the LISTEN one) stay open and new ones are accepted, but nothing
      // is answered: only the timeouts can end these requests.
      const [uncachedReply, readiness, cachedReply] = await Promise.all([
        requestToken(main, notYetAsked),
        readyz(main),
        requestToken(main, cached),
      ]);
      assertUnavailable(uncachedReply, 'uncached client, database frozen');
      assert.equal(readiness.status, 503, JSON.stringify(readiness.body));
      assert.ok(readiness.ms <= ANSWER_WITHIN_MS, `/readyz answered after ${readiness.ms} ms`);
      assertToken(cachedReply, 'cached client, database frozen');
      assert.ok(cachedReply.ms < 2_000, `the cached client waited ${cachedReply.ms} ms`);
    } finally {
      database.thaw();
    }

    await waitFor(async () => (await readyz(main)).status === 200, 20_000, '/readyz to be 200 again', 200);
    assertToken(await requestToken(main, notYetAsked), 'the client first asked while frozen, after');
    await stream.stop();
    const bad = stream.replies.filter((reply) => reply.status !== 200 || reply.ms > ANSWER_WITHIN_MS);
    assert.deepEqual(bad, [], 'every request of the cached client was answered 200 in time');
    for (const server of processes) assert.ok(server.running, `a server died:\n${output()}`);
  });

  it('bounds the trust in cached data on a frozen database too (CACHE_STALE_TTL)', async () => {
    const database = cluster as PostgresCluster;
    assertToken(await requestToken(shortLived, cached), 'the cached client, before');
    database.freeze();
    try {
      // Detecting the silent connection may take a heartbeat and a 5 s timeout; then the 2 s TTL.
      await waitFor(
        async () => (await requestToken(shortLived, cached)).status === 503,
        15_000,
        'the short-lived instance to stop trusting its cache while the database hangs',
        500,
      );
    } finally {
      database.thaw();
    }
    await waitFor(
      async () => (await readyz(shortLived)).status === 200,
      20_000,
      '/readyz to be 200 again',
      200,
    );
  });
});
