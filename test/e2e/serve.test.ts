import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { JWKS_MAX_AGE_SECONDS } from '../../src/domain/signing-keys.js';
import { freePort, RunningProcess, runCli } from '../helpers/child-process.js';
import { tempDir } from '../helpers/test-server.js';
import { requestToken as fetchToken, type TokenReply } from '../helpers/token-request.js';
import { arrivesWithin } from '../helpers/waiting.js';

const LISTENING = 'lean-auth is listening';
/** How soon a change the CLI made in another process must reach the running server. */
const PROPAGATION_MS = 1500;

interface Demo {
  clientId: string;
  clientSecret: string;
  customerId: string;
}

/** A key as `lean-auth keys … --json` prints it. */
interface PublishedKey {
  kid: string;
  state: 'next' | 'active' | 'retired';
  activates_at: string;
  expires_at: string | null;
}

const requestToken = (base: string, demo: Demo, scope = 'api') => fetchToken(base, demo, { scope });

describe('lean-auth serve, as a process', { timeout: 180_000 }, () => {
  const temp = tempDir();
  // A folder the server makes itself: 0700.
  const dataDir = join(temp.dir, 'data');
  const databaseUrl = `sqlite:${join(dataDir, 'lean-auth.db')}`;
  const processes: RunningProcess[] = [];
  let port: number;
  let base: string;
  let issuer: string;
  let server: RunningProcess;
  let demo: Demo;

  const serve = (env: Record<string, string>) => {
    const child = new RunningProcess(['serve'], env);
    processes.push(child);
    return child;
  };
  /** The CLI against the server's store, with no KEY_ENCRYPTION_KEY either: it shares the sandbox key file. */
  const cli = (...args: string[]) => runCli(args, { DATABASE_URL: databaseUrl });

  before(async () => {
    port = await freePort();
    base = `http://127.0.0.1:${port}`;
    issuer = `http://localhost:${port}`;
    server = serve({ DATABASE_URL: databaseUrl, PORT: String(port) });
    await server.waitForOutput(LISTENING);
    const field = (name: string) => new RegExp(`^\\s*${name}\\s+(\\S+)$`, 'm').exec(server.stderr)?.[1] ?? '';
    demo = {
      clientId: field('client_id'),
      clientSecret: field('client_secret'),
      customerId: field('customer_id'),
    };
  });

  after(async () => {
    await Promise.all(processes.map((p) => p.kill()));
    temp.remove();
  });

  it('prints the demo client_id, client_secret and customer_id once on stderr, with curl lines', () => {
    for (const name of ['client_id', 'client_secret', 'customer_id']) {
      const printed = server.stderr.match(new RegExp(`^\\s*${name}\\s+\\S+$`, 'gm')) ?? [];
      assert.equal(printed.length, 1, `${name} is printed once:\n${server.stderr}`);
    }
    assert.match(demo.clientId, /^[0-9a-f-]{36}$/);
    assert.match(demo.clientSecret, /^[A-Za-z0-9_-]{43}$/);
    assert.match(demo.customerId, /^[0-9a-f-]{36}$/);
    assert.match(server.stderr, /shown only this once/);

    const curls = server.stderr.match(/curl -s \S+\/oauth2\/token[^\n]*\\\n[^\n]*/g) ?? [];
    assert.equal(curls.length, 2, server.stderr);
    assert.ok(curls[0]?.includes(`${issuer}/oauth2/token`));
    assert.ok(curls[0]?.includes('-d grant_type=client_credentials -d scope=api'));
    assert.ok(curls[1]?.includes(`-d scope=customer.${demo.customerId}`));
    for (const curl of curls) {
      assert.ok(curl.includes(`-d client_id=${demo.clientId} -d client_secret=${demo.clientSecret}`));
    }
    // Printed on stderr for the operator at the console; stdout holds JSON log lines alone, and no
    // secret (log shippers collect it).
    const logLines = server.stdout.split('\n').filter((line) => line !== '');
    assert.ok(logLines.length > 0);
    for (const line of logLines) JSON.parse(line);
    assert.ok(!server.stdout.includes(demo.clientSecret), 'stdout holds the secret');
    assert.doesNotMatch(server.stdout, /ADMIN_TOKEN {4}/);
  });

  it('issues tokens for the demo credentials that verify against the JWKS', async () => {
    const jwks = createRemoteJWKSet(new URL(`${base}/.well-known/jwks.json`));
    const api = await requestToken(base, demo);
    assert.equal(api.status, 200, JSON.stringify(api.body));
    assert.equal(api.body.token_type, 'bearer');
    assert.equal(api.body.scope, 'api');
    const { payload, protectedHeader } = await jwtVerify(String(api.body.access_token), jwks, {
      issuer,
      audience: issuer,
      typ: 'at+jwt',
    });
    assert.equal(protectedHeader.alg, 'RS256');
    assert.equal(payload.sub, demo.clientId);
    assert.equal(payload.client_id, demo.clientId);
    assert.equal(payload.scope, 'api');

    const customer = await requestToken(base, demo, `customer.${demo.customerId}`);
    assert.equal(customer.status, 200, JSON.stringify(customer.body));
    const verified = await jwtVerify(String(customer.body.access_token), jwks, { issuer, typ: 'at+jwt' });
    assert.equal(verified.payload.customer_id, demo.customerId);
  });

  it('creates the data folder 0700 and the database, its -wal and -shm files 0600', () => {
    assert.equal(statSync(dataDir).mode & 0o777, 0o700);
    for (const file of ['lean-auth.db', 'lean-auth.db-wal', 'lean-auth.db-shm', 'admin-token']) {
      assert.equal(statSync(join(dataDir, file)).mode & 0o777, 0o600, file);
    }
  });

  it('generates a 0600 key encryption key file in the data folder and warns about KEY_ENCRYPTION_KEY once', () => {
    const keyFile = join(dataDir, 'key-encryption.key');
    assert.equal(statSync(keyFile).mode & 0o777, 0o600);
    const key = readFileSync(keyFile, 'utf8').trim();
    assert.match(key, /^[0-9a-f]{64}$/);

    const warnings = server.stdout
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { level: number; msg: string })
      .filter((record) => record.level === 40);
    assert.equal(
      warnings.filter((w) => w.msg.includes('KEY_ENCRYPTION_KEY is not set') && w.msg.includes(keyFile))
        .length,
      1,
      server.output(),
    );
    assert.ok(!server.stdout.includes(key) && !server.stderr.includes(key), 'the key itself is never logged');
  });

  it('sees apps disable and enable made by the CLI in another process within 1.5 s', async () => {
    const disabled = await cli('apps', 'disable', demo.clientId);
    assert.equal(disabled.code, 0, disabled.stderr);
    // The sandbox key warning is the server's to give, once per start: a CLI command is silent.
    assert.equal(disabled.stderr, '');
    let last: TokenReply | undefined;
    await arrivesWithin(
      Date.now(),
      PROPAGATION_MS,
      'the server to refuse the disabled application',
      async () => {
        last = await requestToken(base, demo);
        return last.status !== 200;
      },
    );
    assert.equal(last?.status, 401);
    assert.equal(last?.body.error, 'invalid_client');
    assert.match(String(last?.body.error_description), /disabled/);

    const enabled = await cli('apps', 'enable', demo.clientId);
    assert.equal(enabled.code, 0, enabled.stderr);
    await arrivesWithin(Date.now(), PROPAGATION_MS, 'the server to issue tokens again', async () => {
      return (await requestToken(base, demo)).status === 200;
    });
  });

  it('sees keys rotate --now made by the CLI within 1.5 s: two keys in the JWKS, new tokens carry the new kid', async () => {
    const before = await requestToken(base, demo);
    assert.equal(before.status, 200);
    const oldToken = String(before.body.access_token);
    const oldKid = decodeProtectedHeader(oldToken).kid;

    // --now: the emergency swap, which signs at once instead of after the pre-publication delay.
    const rotated = await cli('keys', 'rotate', '--now', '--json');
    assert.equal(rotated.code, 0, rotated.stderr);
    const keys = JSON.parse(rotated.stdout) as PublishedKey[];
    const newKid = keys.find((k) => k.state === 'active')?.kid;
    assert.ok(newKid && newKid !== oldKid);
    assert.deepEqual(keys.find((k) => k.state === 'retired')?.kid, oldKid);

    const since = Date.now();
    await arrivesWithin(since, PROPAGATION_MS, 'the JWKS to publish both keys', async () => {
      const jwks = (await (await fetch(`${base}/.well-known/jwks.json`)).json()) as {
        keys: { kid: string }[];
      };
      const kids = jwks.keys.map((k) => k.kid).sort();
      return kids.length === 2 && kids.includes(newKid) && kids.includes(oldKid ?? '');
    });
    let newToken = '';
    await arrivesWithin(since, PROPAGATION_MS, 'new tokens to carry the new kid', async () => {
      newToken = String((await requestToken(base, demo)).body.access_token);
      return decodeProtectedHeader(newToken).kid === newKid;
    });

    // A fresh key set: jose's would not fetch again for an unknown kid within its 30 s cooldown.
    const jwks = createRemoteJWKSet(new URL(`${base}/.well-known/jwks.json`));
    await jwtVerify(newToken, jwks, { issuer, audience: issuer, typ: 'at+jwt' });
    await jwtVerify(oldToken, jwks, { issuer, audience: issuer, typ: 'at+jwt' });
  });

  it('sees keys rotate (scheduled-style) publish the next key within 1.5 s while the active key goes on signing', async () => {
    const activeKid = decodeProtectedHeader(String((await requestToken(base, demo)).body.access_token)).kid;
    const started = Date.now();
    const rotated = await cli('keys', 'rotate', '--json');
    assert.equal(rotated.code, 0, rotated.stderr);
    const keys = JSON.parse(rotated.stdout) as PublishedKey[];
    const next = keys.find((k) => k.state === 'next');
    assert.ok(next, rotated.stdout);
    assert.notEqual(next.kid, activeKid);
    assert.equal(keys.find((k) => k.state === 'active')?.kid, activeKid);
    // Published at least the JWKS max-age before it signs, so no cached JWKS misses its kid.
    assert.ok(
      Date.parse(next.activates_at) >= started + JWKS_MAX_AGE_SECONDS * 1000,
      `activates_at ${next.activates_at} is less than the JWKS max-age ahead`,
    );

    await arrivesWithin(Date.now(), PROPAGATION_MS, 'the JWKS to publish the next key', async () => {
      const jwks = (await (await fetch(`${base}/.well-known/jwks.json`)).json()) as {
        keys: { kid: string }[];
      };
      return jwks.keys.some((k) => k.kid === next.kid);
    });
    const token = String((await requestToken(base, demo)).body.access_token);
    assert.equal(decodeProtectedHeader(token).kid, activeKid, 'the next key does not sign yet');
  });

  it('exits 0 soon after SIGTERM', async () => {
    assert.ok(server.running);
    const sent = Date.now();
    server.child.kill('SIGTERM');
    const { code, signal } = await server.waitForExit(10_000);
    assert.equal(signal, null, server.output());
    assert.equal(code, 0, server.output());
    assert.ok(Date.now() - sent < 10_000);
    assert.match(server.stdout, /"signal":"SIGTERM".*shutting down/);
  });

  it('a second start on the same store prints no secret again, and the demo credentials still work', async () => {
    // A new port: the old one may linger, or be taken by another process meanwhile.
    const againPort = await freePort();
    const again = serve({ DATABASE_URL: databaseUrl, PORT: String(againPort) });
    await again.waitForOutput(LISTENING);
    assert.ok(!again.output().includes(demo.clientSecret), again.output());
    assert.doesNotMatch(again.output(), /client_secret|shown only this once/);
    assert.equal(
      (again.stdout.match(/KEY_ENCRYPTION_KEY is not set/g) ?? []).length,
      1,
      'still a sandbox key: still a warning',
    );
    const reply = await requestToken(`http://127.0.0.1:${againPort}`, demo);
    assert.equal(reply.status, 200, JSON.stringify(reply.body));
    again.child.kill('SIGTERM');
    assert.equal((await again.waitForExit(10_000)).code, 0, again.output());
  });
});

describe('lean-auth serve in production', { timeout: 60_000 }, () => {
  const temp = tempDir();
  let child: RunningProcess | undefined;

  after(async () => {
    await child?.kill();
    temp.remove();
  });

  it('refuses to start without KEY_ENCRYPTION_KEY, naming it', async () => {
    child = new RunningProcess(['serve'], {
      LEAN_AUTH_ENV: 'production',
      ISSUER: 'https://auth.example.com',
      PORT: String(await freePort()),
      DATABASE_URL: `sqlite:${join(temp.dir, 'lean-auth.db')}`,
    });
    const { code } = await child.waitForExit(20_000);
    assert.notEqual(code, 0, child.output());
    assert.match(child.stderr, /KEY_ENCRYPTION_KEY is required in production/);
    assert.doesNotMatch(child.stdout + child.stderr, /ISSUER must/, 'only the wrong setting is named');
    assert.doesNotMatch(child.stdout, new RegExp(LISTENING));
  });
});
