import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { createLocalJWKSet, decodeProtectedHeader, type JSONWebKeySet, jwtVerify } from 'jose';
import { freePort, RunningProcess, randomKeyHex, runCli } from '../helpers/child-process.js';
import { freshPostgresSchema, skipWithoutPostgres } from '../helpers/postgres.js';
import { type Credentials, requestToken, type TokenReply } from '../helpers/token-request.js';
import { arrivesWithin, waitFor } from '../helpers/waiting.js';

const LISTENING = 'lean-auth is listening';
/** The issue's bound: a change made on one instance (or by the CLI) reaches every other within 1 s. */
const PROPAGATION_MS = 1_000;
/** No request may take longer than this: a hang fails the test instead of stalling it. */
const REQUEST_TIMEOUT_MS = 5_000;
const ISSUER = 'http://lean-auth.test';

const skip = await skipWithoutPostgres();

async function jwks(base: string): Promise<JSONWebKeySet> {
  const response = await fetch(`${base}/.well-known/jwks.json`, {
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  return (await response.json()) as JSONWebKeySet;
}

describe('two instances over one PostgreSQL schema', { skip, timeout: 60_000 }, () => {
  const database = freshPostgresSchema();
  const adminToken = randomBytes(32).toString('hex');
  const processes: RunningProcess[] = [];
  let env: Record<string, string>;
  let a: RunningProcess;
  let baseA: string;
  let baseB: string;
  let client: Credentials;

  const admin = async (base: string, path: string): Promise<number> => {
    const response = await fetch(`${base}/admin/v1${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminToken}` },
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    await response.arrayBuffer();
    return response.status;
  };

  before(async () => {
    env = {
      DATABASE_URL: database.url,
      KEY_ENCRYPTION_KEY: randomKeyHex(),
      ADMIN_TOKEN: adminToken,
      ISSUER,
      LOG_LEVEL: 'warn',
    };
    const [portA, portB] = [await freePort(), await freePort()];
    // One after the other: the first migrates the schema, makes the signing key and seeds the sandbox.
    for (const port of [portA, portB]) {
      const server = new RunningProcess(['serve'], { ...env, LOG_LEVEL: 'info', PORT: String(port) });
      processes.push(server);
      await server.waitForOutput(LISTENING);
    }
    a = processes[0] as RunningProcess;
    baseA = `http://127.0.0.1:${portA}`;
    baseB = `http://127.0.0.1:${portB}`;
    const created = await runCli(['apps', 'create', '--name', 'scale-out client', '--json'], env);
    assert.equal(created.code, 0, created.stderr);
    const json = JSON.parse(created.stdout) as { client_id: string; client_secret: string };
    client = { clientId: json.client_id, clientSecret: json.client_secret };
    // A new application reaches each server by its change notice: the proofs start once both know it.
    const since = Date.now();
    for (const base of [baseA, baseB]) {
      await arrivesWithin(
        since,
        PROPAGATION_MS,
        'the new application to reach both servers',
        async () => (await requestToken(base, client)).status === 200,
      );
    }
  });

  after(async () => {
    await Promise.all(processes.map((p) => p.kill()));
    await database.drop().catch(() => {});
  });

  it('proof 1: a token from A verifies with the JWKS of B', async () => {
    const reply = await requestToken(baseA, client);
    assert.equal(reply.status, 200, JSON.stringify(reply.body));
    const { payload } = await jwtVerify(
      String(reply.body.access_token),
      createLocalJWKSet(await jwks(baseB)),
      {
        issuer: ISSUER,
        audience: ISSUER,
        typ: 'at+jwt',
      },
    );
    assert.equal(payload.client_id, client.clientId);
  });

  it('proof 1: keys rotate --now from the CLI is in B’s JWKS within 1 s, and B signs with it', async () => {
    const rotated = await runCli(['keys', 'rotate', '--now', '--json'], env);
    assert.equal(rotated.code, 0, rotated.stderr);
    const since = Date.now();
    const newKid = (JSON.parse(rotated.stdout) as { kid: string; state: string }[]).find(
      (key) => key.state === 'active',
    )?.kid;
    assert.ok(newKid, rotated.stdout);

    await arrivesWithin(since, PROPAGATION_MS, 'B’s JWKS to publish the new key', async () =>
      (await jwks(baseB)).keys.some((key) => key.kid === newKid),
    );
    let token = '';
    await arrivesWithin(since, PROPAGATION_MS, 'B to sign with the new key', async () => {
      token = String((await requestToken(baseB, client)).body.access_token);
      return decodeProtectedHeader(token).kid === newKid;
    });
    // And A verifies what B signed.
    await jwtVerify(token, createLocalJWKSet(await jwks(baseA)), { issuer: ISSUER, typ: 'at+jwt' });
  });

  it('proof 1: an application disabled through A’s admin API is refused by B within 1 s, and back', async () => {
    assert.equal((await requestToken(baseB, client)).status, 200);
    assert.equal(await admin(baseA, `/applications/${client.clientId}/disable`), 200);
    let refused: TokenReply | undefined;
    await arrivesWithin(Date.now(), PROPAGATION_MS, 'B to refuse the disabled application', async () => {
      refused = await requestToken(baseB, client);
      return refused.status !== 200;
    });
    assert.equal(refused?.status, 401);
    assert.equal(refused?.body.error, 'invalid_client');

    assert.equal(await admin(baseB, `/applications/${client.clientId}/enable`), 200);
    await arrivesWithin(Date.now(), PROPAGATION_MS, 'A to issue tokens again', async () => {
      return (await requestToken(baseA, client)).status === 200;
    });
  });

  it('an application and a customer deleted through A: B answers their tokens inactive within 1 s', async () => {
    const cli = async (...args: string[]) => {
      const result = await runCli([...args, '--json'], env);
      assert.equal(result.code, 0, result.stderr);
      return JSON.parse(result.stdout) as Record<string, string>;
    };
    const resourceServer = await cli('apps', 'create', '--name', 'resource server', '--resource-server');
    const doomed = await cli('apps', 'create', '--name', 'doomed');
    const owner = { clientId: String(doomed.client_id), clientSecret: String(doomed.client_secret) };
    const customerA = await cli('customers', 'create', '--app', owner.clientId, '--app-user-id', 'a');
    const customerB = await cli(
      'customers',
      'create',
      '--app',
      String(client.clientId),
      '--app-user-id',
      'b',
    );
    const issue = async (credentials: Credentials, scope: string) => {
      let token = '';
      await waitFor(
        async () => {
          const reply = await fetch(`${baseA}/oauth2/token`, {
            method: 'POST',
            headers: { 'content-type': 'application/x-www-form-urlencoded' },
            body: new URLSearchParams({
              grant_type: 'client_credentials',
              scope,
              client_id: credentials.clientId,
              client_secret: credentials.clientSecret,
            }),
            signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
          });
          token = String(((await reply.json()) as Record<string, unknown>).access_token);
          return reply.status === 200;
        },
        PROPAGATION_MS * 5,
        'a token',
      );
      return token;
    };
    const activeOnB = async (token: string) => {
      const reply = await fetch(`${baseB}/oauth2/introspect`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          token,
          client_id: String(resourceServer.client_id),
          client_secret: String(resourceServer.client_secret),
        }),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
      return ((await reply.json()) as { active: boolean }).active;
    };
    const deleteOnA = async (path: string) => {
      const response = await fetch(`${baseA}/admin/v1${path}`, {
        method: 'DELETE',
        headers: { authorization: `Bearer ${adminToken}` },
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
      await response.arrayBuffer();
      return response.status;
    };
    const apiToken = await issue(owner, 'api');
    const ownersCustomerToken = await issue(owner, `customer.${customerA.customer_id}`);
    const customerToken = await issue(client, `customer.${customerB.customer_id}`);
    // B has them cached now: the deletion must reach its caches, not only its database reads.
    await waitFor(async () => (await activeOnB(apiToken)) && (await activeOnB(customerToken)), 5_000, 'B');
    assert.equal(await activeOnB(ownersCustomerToken), true);

    assert.equal(await deleteOnA(`/customers/${customerB.customer_id}`), 200);
    await arrivesWithin(
      Date.now(),
      PROPAGATION_MS,
      'B to answer the deleted customer’s token inactive',
      async () => !(await activeOnB(customerToken)),
    );
    assert.equal(await deleteOnA(`/applications/${owner.clientId}`), 200);
    await arrivesWithin(
      Date.now(),
      PROPAGATION_MS,
      'B to answer the deleted application’s token inactive',
      async () => !(await activeOnB(apiToken)),
    );
    assert.equal(await activeOnB(ownersCustomerToken), false);
    assert.equal((await requestToken(baseB, owner)).status, 401);
  });

  it('a key withdrawn from the CLI leaves B’s JWKS within 1 s; B signs with the new key at once', async () => {
    const before = String((await requestToken(baseB, client)).body.access_token);
    const compromised = String(decodeProtectedHeader(before).kid);
    const withdrawn = await runCli(['keys', 'withdraw', compromised, '--yes', '--json'], env);
    assert.equal(withdrawn.code, 0, withdrawn.stderr);
    const since = Date.now();
    const replacement = (JSON.parse(withdrawn.stdout) as { replacement: { kid: string } }).replacement.kid;
    await arrivesWithin(since, PROPAGATION_MS, 'B’s JWKS to drop the withdrawn key', async () =>
      (await jwks(baseB)).keys.every((key) => key.kid !== compromised),
    );
    await arrivesWithin(since, PROPAGATION_MS, 'B to sign with the new key', async () => {
      const token = String((await requestToken(baseB, client)).body.access_token);
      return decodeProtectedHeader(token).kid === replacement;
    });
    // A follows the same notice (from the CLI, a third process: A may hear it after B).
    await arrivesWithin(
      since,
      PROPAGATION_MS,
      'A’s JWKS to hold the new key and not the withdrawn one',
      async () => {
        const onA = (await jwks(baseA)).keys.map((key) => key.kid);
        return onA.includes(replacement) && !onA.includes(compromised);
      },
    );
  });

  it('proof 2: under a steady stream over both, SIGKILL to A loses no request sent to B', async () => {
    interface Outcome {
      target: 'A' | 'B';
      /** When the request was sent. */
      at: number;
      status?: number;
      error?: string;
    }
    const outcomes: Outcome[] = [];
    let killedAt = Number.POSITIVE_INFINITY;
    const startedAt = Date.now();
    const send = async (target: 'A' | 'B'): Promise<void> => {
      const at = Date.now();
      try {
        const reply = await requestToken(target === 'A' ? baseA : baseB, client);
        outcomes.push({ target, at, status: reply.status });
      } catch (error) {
        const cause = (error as { cause?: { code?: string } }).cause;
        const reason = `${(error as Error).name}: ${cause?.code ?? (error as Error).message}`;
        outcomes.push({ target, at, error: reason });
      }
    };
    // Four clients, each sending to A and B in turn, for 3 s; A dies after 1 s.
    const streams = Array.from({ length: 4 }, async (_, stream) => {
      for (let i = stream; Date.now() - startedAt < 3_000; i++) {
        await send(i % 2 === 0 ? 'A' : 'B');
      }
    });
    const killer = (async () => {
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      killedAt = Date.now();
      a.child.kill('SIGKILL');
    })();
    await Promise.all([...streams, killer]);
    await a.waitForExit(5_000);
    assert.ok(Number.isFinite(killedAt));

    const toB = outcomes.filter((o) => o.target === 'B');
    const toA = outcomes.filter((o) => o.target === 'A');
    const toBAfterKill = toB.filter((o) => o.at > killedAt).length;
    assert.ok(toBAfterKill >= 20, `a steady stream: only ${toBAfterKill} requests went to B after the kill`);
    const badB = toB.filter((o) => o.status !== 200);
    assert.deepEqual(badB, [], 'every request sent to B succeeds');
    // A answers 200 while it lives; after the kill its requests fail on the connection, never with 5xx.
    assert.deepEqual(
      toA.filter((o) => o.status !== undefined && o.status !== 200),
      [],
      'A never answers with an error status',
    );
    const failedOnA = toA.filter((o) => o.error !== undefined);
    assert.ok(failedOnA.length > 0, 'requests to A fail once it is dead');
    for (const failure of failedOnA) assert.doesNotMatch(String(failure.error), /TimeoutError/, 'no hang');
  });
});
