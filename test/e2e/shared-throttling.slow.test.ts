import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { THROTTLE_LIMITS, THROTTLE_WINDOW_MS } from '../../src/domain/auth-throttle.js';
import { freePort, RunningProcess, randomKeyHex, runCli } from '../helpers/child-process.js';
import { freshPostgresSchema, skipWithoutPostgres } from '../helpers/postgres.js';
import { deleteThrottleKeys, skipWithoutRedis, testRedisUrl, throttleKeys } from '../helpers/redis.js';
import { type Credentials, requestToken as fetchToken, type TokenReply } from '../helpers/token-request.js';
import { waitFor } from '../helpers/waiting.js';

const LISTENING = 'lean-auth is listening';
/** How long a block published by one instance may take to reach the other. */
const PROPAGATION_MS = 2_000;
/**
 * Between two guesses: the shared count arrives in the background, and on a busy machine Redis
 * was seen to take 50 ms to answer; a burst faster than that is counted late, by design.
 */
const GUESS_PACE_MS = 100;
const pace = () => new Promise((resolve) => setTimeout(resolve, GUESS_PACE_MS));
/** No request may take longer than this; a hang fails the test instead of stalling it. */
const REQUEST_TIMEOUT_MS = 10_000;

const skip = (await skipWithoutPostgres()) || (await skipWithoutRedis());

const wrongFor = (credentials: Credentials): Credentials => ({
  clientId: credentials.clientId,
  clientSecret: `${credentials.clientSecret.slice(0, -4)}AAAA`,
});

/** An address of this run's own, so that nothing another run counts in the same Redis can meet it. */
function randomAddress(): string {
  const [a, b, c] = randomBytes(3);
  return `10.${a}.${b}.${(c ?? 0) % 250}`;
}

/** A token request to `base` from `address`, which the servers read from X-Forwarded-For (TRUST_PROXY). */
const requestToken = (base: string, client: Credentials, address: string) =>
  fetchToken(base, client, { headers: { 'x-forwarded-for': address }, timeoutMs: REQUEST_TIMEOUT_MS });

function assertThrottled(reply: TokenReply, where: string): void {
  assert.equal(reply.status, 429, `${where}: ${JSON.stringify(reply.body)}`);
  assert.deepEqual(Object.keys(reply.body).sort(), ['error', 'error_description']);
  assert.equal(reply.body.error, 'temporarily_unavailable');
  assert.match(String(reply.body.error_description), /too many failed client authentications/);
  const retryAfter = Number(reply.retryAfter);
  assert.ok(
    Number.isInteger(retryAfter) && retryAfter > 0 && retryAfter <= THROTTLE_WINDOW_MS / 1000,
    `${where}: Retry-After ${reply.retryAfter}`,
  );
}

/**
 * The counters live in fixed windows of wall-clock time; a test that began just before a window
 * ends would see its counts start over. Waits for a fresh window when less than 15 s are left.
 */
async function awayFromWindowEnd(): Promise<void> {
  const left = THROTTLE_WINDOW_MS - (Date.now() % THROTTLE_WINDOW_MS);
  if (left < 15_000) await new Promise((resolve) => setTimeout(resolve, left + 250));
}

describe('throttling shared through Redis by two instances (proof 4)', { skip, timeout: 180_000 }, () => {
  const database = freshPostgresSchema();
  const redisUrl = testRedisUrl();
  const processes: RunningProcess[] = [];
  /** Marks the client_ids this run guesses, so that their Redis counters can be found again. */
  const runTag = `guess${randomBytes(4).toString('hex')}`;
  /** Every address and client_id the test used, whose Redis counters it deletes in the end. */
  const used: string[] = [runTag];
  let env: Record<string, string>;
  let bases: [string, string];
  let client: Credentials;

  const address = () => {
    const chosen = randomAddress();
    used.push(chosen);
    return chosen;
  };

  before(async () => {
    const [portA, portB] = [await freePort(), await freePort()];
    env = {
      DATABASE_URL: database.url,
      REDIS_URL: redisUrl,
      TRUST_PROXY: 'loopback',
      KEY_ENCRYPTION_KEY: randomKeyHex(),
      ADMIN_TOKEN: randomBytes(32).toString('hex'),
      ISSUER: 'http://lean-auth.test',
      LOG_LEVEL: 'info',
    };
    // One after the other: the first migrates the schema and seeds the sandbox.
    for (const port of [portA, portB]) {
      const server = new RunningProcess(['serve'], { ...env, PORT: String(port) });
      processes.push(server);
      await server.waitForOutput(LISTENING, 60_000);
    }
    bases = [`http://127.0.0.1:${portA}`, `http://127.0.0.1:${portB}`];
    const created = await runCli(['apps', 'create', '--name', 'real client', '--json'], env);
    assert.equal(created.code, 0, created.stderr);
    const json = JSON.parse(created.stdout) as { client_id: string; client_secret: string };
    client = { clientId: json.client_id, clientSecret: json.client_secret };
    used.push(client.clientId);
  });

  after(async () => {
    await Promise.all(processes.map((p) => p.kill()));
    await database.drop().catch(() => {});
    await deleteThrottleKeys(used).catch(() => {});
  });

  it('refuses a guessing address on both instances after the shared limit, never valid credentials', async () => {
    await awayFromWindowEnd();
    const attacker = address();
    const realClient = address();
    const wrong = wrongFor(client);
    const statuses: number[] = [];
    for (let i = 0; i < 4 * THROTTLE_LIMITS.pair; i++) {
      // The attacker's guesses go to the instances in turn, as a load balancer spreads them.
      const guess = await requestToken(bases[i % 2] as string, wrong, attacker);
      statuses.push(guess.status);
      if (guess.status === 401) assert.equal(guess.body.error, 'invalid_client');
      else assertThrottled(guess, `guess ${i}`);
      for (const base of bases) {
        const real = await requestToken(base, client, realClient);
        assert.equal(real.status, 200, `real client at ${base}, round ${i}: ${JSON.stringify(real.body)}`);
      }
      await pace();
    }
    const failures = statuses.filter((status) => status === 401).length;
    // Counted apart, each instance would answer THROTTLE_LIMITS.pair guesses 401 before refusing
    // (twice that in all); counted together, the two answer that many in all (one more if a count
    // or a block is still on its way).
    assert.ok(
      failures >= THROTTLE_LIMITS.pair && failures <= THROTTLE_LIMITS.pair + 1,
      `401 answered ${failures} times: ${statuses.join(' ')}`,
    );
    assert.deepEqual(
      statuses.slice(failures),
      Array(statuses.length - failures).fill(429),
      'once refused, always refused',
    );
    // The right secret is never refused, from the attacker's address either; a wrong one is.
    for (const base of bases) {
      assert.equal((await requestToken(base, client, attacker)).status, 200, base);
      assertThrottled(await requestToken(base, wrong, attacker), base);
    }
    const keys = await throttleKeys(attacker);
    assert.ok(keys.length > 0, 'the counters are kept in Redis');
    for (const key of keys) assert.ok(key.startsWith('lean-auth:http://lean-auth.test:throttle:'), key);
  });

  it('refuses an address guessing many client_ids on both instances after the shared address limit', async () => {
    await awayFromWindowEnd();
    const guesser = address();
    const realClient = address();
    let failures = 0;
    for (let i = 0; i < THROTTLE_LIMITS.address + 6; i++) {
      // No longer than a UUID: a longer client_id is refused before it is counted.
      const unknown = { clientId: `${runTag}${randomUUID().slice(13)}`, clientSecret: 'guess' };
      const reply = await requestToken(bases[i % 2] as string, unknown, guesser);
      if (reply.status === 401) failures++;
      else assertThrottled(reply, `guess ${i}`);
      await pace();
    }
    // Counted apart, neither instance would reach the limit (every guess 401). Counted together,
    // the limit (one more if a count or a block is still on its way).
    assert.ok(
      failures <= THROTTLE_LIMITS.address + 1,
      `401 answered ${failures} times; the instances count apart`,
    );
    for (const base of bases) {
      await waitFor(
        async () => (await requestToken(base, wrongFor(client), guesser)).status === 429,
        PROPAGATION_MS,
        `${base} to refuse the guessing address`,
      );
      assert.equal((await requestToken(base, client, guesser)).status, 200);
      assert.equal((await requestToken(base, client, realClient)).status, 200);
    }
  });

  it('refuses on the other instance too an address that one instance blocked on its own', async () => {
    await awayFromWindowEnd();
    const attacker = address();
    const wrong = { clientId: client.clientId, clientSecret: 'guess' };
    // Every guess goes to instance A, whose own count reaches the limit with the shared one.
    for (let i = 0; i < THROTTLE_LIMITS.pair; i++) {
      assert.equal((await requestToken(bases[0], wrong, attacker)).status, 401);
    }
    assertThrottled(await requestToken(bases[0], wrong, attacker), 'instance A');
    await waitFor(
      async () => (await requestToken(bases[1], wrong, attacker)).status === 429,
      PROPAGATION_MS,
      'instance B to refuse the address instance A blocked',
    );
  });
});
