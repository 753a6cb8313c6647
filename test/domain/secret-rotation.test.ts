import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { MAX_SECRET_GRACE_SECONDS } from '../../src/config/limits.js';
import { ClientDirectory } from '../../src/domain/client-directory.js';
import { digestSecret } from '../../src/domain/client-secrets.js';
import { MemoryReplayCache } from '../../src/domain/replay-cache.js';
import { authenticateClient } from '../../src/oauth/client-authentication.js';
import { OAuthError } from '../../src/oauth/errors.js';
import { type DomainFixture, domainError, openDomain } from '../helpers/domain.js';
import { TEST_ACTOR } from '../helpers/test-server.js';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/**
 * Authenticates through the path the token endpoint takes: the cached ClientDirectory and
 * authenticateClient. `warm` keeps its cache across calls (invalidated only by the change feed, as
 * in the server); each `cold` call starts from an empty cache, so it reads the store.
 */
function authenticator(f: DomainFixture) {
  const failures: string[] = [];
  const directory = () =>
    new ClientDirectory(f.store, f.clock, f.feed, { defaultLifetimes: { api: 3600, customer: 3600 } });
  const warm = directory();
  async function accepts(clients: ClientDirectory, clientId: string, clientSecret: string): Promise<boolean> {
    try {
      await authenticateClient({ clientId, clientSecret, method: 'client_secret_post' }, () => '192.0.2.1', {
        clients,
        clock: f.clock,
        issuer: 'http://localhost',
        assertionReplays: new MemoryReplayCache(() => f.clock.now()),
        clientKeys: { keysOf: async () => null },
        failedAuthentications: {
          record: (id) => {
            failures.push(id);
            return 0;
          },
        },
      });
      return true;
    } catch (error) {
      if (error instanceof OAuthError && error.error === 'invalid_client') return false;
      throw error;
    }
  }
  return {
    failures,
    /** Which of the secrets authenticate, asked of the warm cache and of a cold one; both must agree. */
    async working(clientId: string, secrets: Record<string, string>): Promise<string[]> {
      const names: string[] = [];
      for (const [name, secret] of Object.entries(secrets)) {
        const byWarm = await accepts(warm, clientId, secret);
        const byCold = await accepts(directory(), clientId, secret);
        assert.equal(
          byWarm,
          byCold,
          `${name}: the cached answer (${byWarm}) differs from the store's (${byCold})`,
        );
        if (byWarm) names.push(name);
      }
      return names;
    },
  };
}

describe('secret rotation', () => {
  let f: DomainFixture;

  beforeEach(async () => {
    f = await openDomain({ secretGraceSeconds: 86_400 });
  });

  afterEach(() => f.close());

  it('old and new secret both authenticate until the grace deadline (default SECRET_ROTATION_GRACE), only the new one after', async () => {
    const auth = authenticator(f);
    const { application, clientSecret: oldSecret } = await f.applications.create(
      { name: 'rotating' },
      TEST_ACTOR,
    );
    const { clientId } = application;
    // The warm cache holds the application from before the rotation.
    assert.deepEqual(await auth.working(clientId, { old: oldSecret }), ['old']);

    f.clock.advance(1000);
    const rotatedAt = f.clock.now();
    const rotated = await f.applications.rotateSecret(clientId, {}, TEST_ACTOR);
    assert.equal(rotated.previousSecretExpiresAt, rotatedAt + DAY_MS);
    assert.equal(rotated.application.clientId, clientId);
    assert.match(rotated.clientSecret, /^[A-Za-z0-9_-]{43}$/);
    assert.notEqual(rotated.clientSecret, oldSecret);
    assert.deepEqual(f.changes.at(-1), { entity: 'application', id: clientId });

    const secrets = { old: oldSecret, new: rotated.clientSecret };
    assert.deepEqual(await auth.working(clientId, secrets), ['old', 'new']);
    f.clock.advance(DAY_MS - 1);
    assert.deepEqual(
      await auth.working(clientId, secrets),
      ['old', 'new'],
      'one millisecond before the deadline',
    );
    f.clock.advance(1);
    assert.deepEqual(await auth.working(clientId, secrets), ['new'], 'at the deadline');
    f.clock.advance(30 * DAY_MS);
    assert.deepEqual(await auth.working(clientId, secrets), ['new']);
    assert.ok(auth.failures.every((id) => id === clientId));
    assert.ok(auth.failures.length > 0, 'the refused old secret was counted as a failed authentication');

    // Only digests are stored.
    const stored = await f.store.listLiveSecrets(clientId, rotatedAt);
    assert.deepEqual(
      stored.map((s) => [s.digest, s.expiresAt]),
      [
        [digestSecret(rotated.clientSecret).toString('hex'), null],
        [digestSecret(oldSecret).toString('hex'), rotatedAt + DAY_MS],
      ],
    );
  });

  it('a grace given with the rotation overrides the default', async () => {
    const auth = authenticator(f);
    const { application, clientSecret: oldSecret } = await f.applications.create(
      { name: 'custom grace' },
      TEST_ACTOR,
    );
    const rotated = await f.applications.rotateSecret(application.clientId, { graceSeconds: 60 }, TEST_ACTOR);
    assert.equal(rotated.previousSecretExpiresAt, f.clock.now() + 60_000);
    const secrets = { old: oldSecret, new: rotated.clientSecret };
    f.clock.advance(59_999);
    assert.deepEqual(await auth.working(application.clientId, secrets), ['old', 'new']);
    f.clock.advance(1);
    assert.deepEqual(await auth.working(application.clientId, secrets), ['new']);
  });

  it('the configured default grace applies when the rotation names none', async () => {
    await f.close();
    f = await openDomain({ secretGraceSeconds: 300 });
    const { application } = await f.applications.create({ name: 'short default' }, TEST_ACTOR);
    const rotated = await f.applications.rotateSecret(
      application.clientId,
      { graceSeconds: undefined },
      TEST_ACTOR,
    );
    assert.equal(rotated.previousSecretExpiresAt, f.clock.now() + 300_000);
  });

  it('grace 0 ends the previous secret at once', async () => {
    const auth = authenticator(f);
    const { application, clientSecret: oldSecret } = await f.applications.create(
      { name: 'immediate' },
      TEST_ACTOR,
    );
    assert.deepEqual(await auth.working(application.clientId, { old: oldSecret }), ['old']);
    const rotated = await f.applications.rotateSecret(application.clientId, { graceSeconds: 0 }, TEST_ACTOR);
    assert.equal(rotated.previousSecretExpiresAt, null);
    assert.deepEqual(
      await auth.working(application.clientId, { old: oldSecret, new: rotated.clientSecret }),
      ['new'],
    );
    assert.equal(
      (await f.store.listLiveSecrets(application.clientId, 0)).length,
      1,
      'the old digest is deleted',
    );
  });

  it('a second rotation during the grace period leaves two live secrets: the oldest stops at once', async () => {
    const auth = authenticator(f);
    const { application, clientSecret: first } = await f.applications.create({ name: 'twice' }, TEST_ACTOR);
    const { clientId } = application;
    const second = await f.applications.rotateSecret(clientId, { graceSeconds: 86_400 }, TEST_ACTOR);
    f.clock.advance(HOUR_MS);
    const third = await f.applications.rotateSecret(clientId, { graceSeconds: 7200 }, TEST_ACTOR);
    assert.equal(third.previousSecretExpiresAt, f.clock.now() + 7_200_000);

    const secrets = { first, second: second.clientSecret, third: third.clientSecret };
    assert.deepEqual(await auth.working(clientId, secrets), ['second', 'third']);
    assert.equal((await f.store.listLiveSecrets(clientId, 0)).length, 2, 'never a third stored secret');
    // The second secret now ends with the third rotation's grace, not its own (longer) one.
    f.clock.advance(7_200_000);
    assert.deepEqual(await auth.working(clientId, secrets), ['third']);
  });

  it('refuses a grace out of 0..604800 or not whole, changing nothing and recording nothing', async () => {
    const auth = authenticator(f);
    const { application, clientSecret } = await f.applications.create({ name: 'strict' }, TEST_ACTOR);
    const before = await f.store.listLiveSecrets(application.clientId, 0);
    const eventsBefore = await f.auditEvents();
    const changesBefore = f.changes.length;
    for (const graceSeconds of [
      -1,
      MAX_SECRET_GRACE_SECONDS + 1,
      1.5,
      Number.NaN,
      Number.POSITIVE_INFINITY,
    ]) {
      await domainError(
        f.applications.rotateSecret(application.clientId, { graceSeconds }, TEST_ACTOR),
        'invalid',
        /grace must be a whole number of seconds from 0 to 604800/,
      );
    }
    assert.deepEqual(await f.store.listLiveSecrets(application.clientId, 0), before);
    assert.deepEqual(await f.auditEvents(), eventsBefore);
    assert.equal(f.changes.length, changesBefore);
    assert.deepEqual(await auth.working(application.clientId, { current: clientSecret }), ['current']);
    // The week itself is allowed.
    const week = await f.applications.rotateSecret(
      application.clientId,
      { graceSeconds: MAX_SECRET_GRACE_SECONDS },
      TEST_ACTOR,
    );
    assert.equal(week.previousSecretExpiresAt, f.clock.now() + 7 * DAY_MS);
  });

  it('rotating the secret of an unknown or malformed client_id is not_found and records nothing', async () => {
    for (const id of [randomUUID(), 'not-a-uuid']) {
      await domainError(
        f.applications.rotateSecret(id, {}, TEST_ACTOR),
        'not_found',
        /no application has client_id/,
      );
    }
    assert.deepEqual(await f.auditEvents(), []);
    assert.deepEqual(f.changes, []);
  });
});
