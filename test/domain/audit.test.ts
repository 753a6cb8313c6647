import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { Applications } from '../../src/domain/applications.js';
import type { AuditEvent } from '../../src/domain/audit-event.js';
import { type AuditEntry, AuditTrail } from '../../src/domain/audit-trail.js';
import { digestSecret } from '../../src/domain/client-secrets.js';
import { Customers } from '../../src/domain/customers.js';
import { DomainError } from '../../src/domain/domain-error.js';
import { SigningKeys } from '../../src/domain/signing-keys.js';
import type { Store } from '../../src/domain/store.js';
import { applicationView, customerView } from '../../src/domain/views.js';
import { type DomainFixture, openDomain } from '../helpers/domain.js';
import { openRawSqlite } from '../helpers/raw-sqlite.js';

const ACTOR = 'admin-api';

/** An audit trail whose every write fails, as a full disk or a lost connection would make it. */
class FailingAuditTrail extends AuditTrail {
  override async record(_store: Store, _entry: AuditEntry): Promise<void> {
    throw new Error('the audit log cannot be written');
  }
}

/** Every value of every column of every table, as one string: what a secret must never be part of. */
function everythingStored(dbPath: string): string {
  const raw = openRawSqlite(dbPath, { readOnly: true });
  try {
    const tables = raw
      .prepare("select name from sqlite_master where type = 'table' and name not like 'sqlite_%'")
      .all() as { name: string }[];
    return tables.map(({ name }) => JSON.stringify(raw.prepare(`select * from "${name}"`).all())).join('\n');
  } finally {
    raw.close();
  }
}

describe('the audit trail of domain changes', () => {
  let f: DomainFixture;

  beforeEach(async () => {
    f = await openDomain();
  });

  afterEach(() => f.close());

  /** The one event about `targetId` with `action`. */
  async function eventFor(targetId: string, action: string): Promise<AuditEvent> {
    const events = await f.store.listAuditEvents({ targetId, action }, { limit: 10 });
    assert.equal(events.length, 1, `${action} events for ${targetId}: ${JSON.stringify(events)}`);
    return events[0] as AuditEvent;
  }

  it('application create, update, disable, enable and rotate_secret: actor, time, before and after', async () => {
    const { application, clientSecret } = await f.applications.create(
      { name: 'audited', tokenClasses: ['api'], apiTokenTtl: 300 },
      ACTOR,
    );
    const id = application.clientId;
    const created = await eventFor(id, 'application.create');
    assert.deepEqual(created, {
      id: created.id,
      at: f.clock.now(),
      actor: ACTOR,
      action: 'application.create',
      targetType: 'application',
      targetId: id,
      detail: { after: applicationView(application) },
    });

    f.clock.advance(1000);
    const updated = await f.applications.update(id, { name: 'renamed', resourceServer: true }, 'cli:bob');
    const update = await eventFor(id, 'application.update');
    assert.equal(update.actor, 'cli:bob');
    assert.equal(update.at, f.clock.now());
    assert.deepEqual(update.detail, {
      before: applicationView(application),
      after: applicationView(updated),
    });
    assert.equal((update.detail.after as { resource_server: boolean }).resource_server, true);

    f.clock.advance(1000);
    const disabled = await f.applications.disable(id, ACTOR);
    assert.deepEqual((await eventFor(id, 'application.disable')).detail, {
      before: applicationView(updated),
      after: applicationView(disabled),
    });
    f.clock.advance(1000);
    const enabled = await f.applications.enable(id, ACTOR);
    assert.deepEqual((await eventFor(id, 'application.enable')).detail, {
      before: applicationView(disabled),
      after: applicationView(enabled),
    });

    f.clock.advance(1000);
    const rotated = await f.applications.rotateSecret(id, { graceSeconds: 3600 }, ACTOR);
    const rotation = await eventFor(id, 'application.rotate_secret');
    assert.equal(rotation.actor, ACTOR);
    assert.equal(rotation.targetType, 'application');
    assert.deepEqual(rotation.detail, {
      grace_seconds: 3600,
      previous_secret_expires_at: new Date(f.clock.now() + 3_600_000).toISOString(),
    });
    f.clock.advance(1000);
    await f.applications.rotateSecret(id, { graceSeconds: 0 }, ACTOR);
    const [immediate] = await f.store.listAuditEvents(
      { targetId: id, action: 'application.rotate_secret' },
      { limit: 1 },
    );
    assert.deepEqual(immediate?.detail, { grace_seconds: 0, previous_secret_expires_at: null });

    // Newest first, one event per change.
    assert.deepEqual(
      (await f.auditEvents()).map((e) => e.action),
      [
        'application.rotate_secret',
        'application.rotate_secret',
        'application.enable',
        'application.disable',
        'application.update',
        'application.create',
      ],
    );

    // No secret and no digest anywhere in the audit log.
    const json = JSON.stringify(await f.auditEvents());
    for (const secret of [clientSecret, rotated.clientSecret]) {
      assert.ok(!json.includes(secret), 'a client secret is in the audit log');
      const digest = digestSecret(secret);
      for (const encoding of ['hex', 'base64', 'base64url'] as const) {
        assert.ok(
          !json.includes(digest.toString(encoding)),
          `a secret digest (${encoding}) is in the audit log`,
        );
      }
    }
    assert.doesNotMatch(json, /secret"\s*:\s*"|digest/i);
    // And no secret anywhere in the database either.
    const stored = everythingStored(f.dbPath);
    assert.ok(!stored.includes(clientSecret) && !stored.includes(rotated.clientSecret));
  });

  it('customer create, disable and enable: actor, before and after', async () => {
    const { application } = await f.applications.create({ name: 'host' }, ACTOR);
    f.clock.advance(1000);
    const customer = await f.customers.create(application.clientId, 'user-7', 'cli:carol');
    const created = await eventFor(customer.customerId, 'customer.create');
    assert.deepEqual(created, {
      id: created.id,
      at: f.clock.now(),
      actor: 'cli:carol',
      action: 'customer.create',
      targetType: 'customer',
      targetId: customer.customerId,
      detail: { after: customerView(customer) },
    });
    const disabled = await f.customers.disable(customer.customerId, ACTOR);
    assert.deepEqual((await eventFor(customer.customerId, 'customer.disable')).detail, {
      before: customerView(customer),
      after: customerView(disabled),
    });
    const enabled = await f.customers.enable(customer.customerId, ACTOR);
    const enable = await eventFor(customer.customerId, 'customer.enable');
    assert.equal(enable.actor, ACTOR);
    assert.deepEqual(enable.detail, { before: customerView(disabled), after: customerView(enabled) });
  });

  it('key rotation is recorded with its actor, and no key material', async () => {
    const kek = randomBytes(32);
    const keys = new SigningKeys(f.store, f.clock, f.audit, {
      alg: 'EdDSA',
      keyEncryptionKey: () => kek,
      longestTokenLifetime: async () => 3600,
      prePublicationMs: 360_000,
      rotationIntervalMs: 0,
    });
    await keys.start('system');
    f.clock.advance(1000);
    const rotated = await keys.rotate({ immediately: true }, 'cli:dave');
    const event = await eventFor(rotated.kid, 'key.rotate');
    assert.equal(event.actor, 'cli:dave');
    assert.equal(event.targetType, 'signing_key');
    assert.equal(
      (await f.store.listAuditEvents({ action: 'key.rotate', actor: 'system' }, { limit: 10 })).length,
      1,
    );
    const json = JSON.stringify(await f.auditEvents());
    for (const row of await f.store.listSigningKeys()) assert.ok(!json.includes(row.sealedPrivateKey));
    assert.doesNotMatch(json, /"d"|PRIVATE|sealed/i);
  });

  describe('a failed change leaves neither a change nor an audit event', () => {
    it('update, disable, enable and rotate_secret of an unknown application', async () => {
      const { application } = await f.applications.create({ name: 'bystander' }, ACTOR);
      const before = await f.auditEvents();
      const changes = f.changes.length;
      const unknown = randomUUID();
      for (const attempt of [
        () => f.applications.update(unknown, { name: 'ghost' }, ACTOR),
        () => f.applications.disable(unknown, ACTOR),
        () => f.applications.enable(unknown, ACTOR),
        () => f.applications.rotateSecret(unknown, {}, ACTOR),
      ]) {
        await assert.rejects(
          attempt(),
          (error: unknown) => error instanceof DomainError && error.code === 'not_found',
        );
      }
      assert.deepEqual(await f.auditEvents(), before);
      assert.equal(f.changes.length, changes, 'nothing was announced to the caches');
      assert.equal(await f.store.findApplication(unknown), undefined);
      assert.equal(await f.applications.count(), 1);
      assert.deepEqual(await f.applications.get(application.clientId), application);
    });

    it('an invalid update', async () => {
      const { application } = await f.applications.create({ name: 'valid' }, ACTOR);
      const before = await f.auditEvents();
      await assert.rejects(
        f.applications.update(application.clientId, { name: 'ok', apiTokenTtl: 1 }, ACTOR),
        DomainError,
      );
      assert.deepEqual(await f.auditEvents(), before);
      assert.deepEqual(await f.applications.get(application.clientId), application);
    });

    it('a duplicate customer, and disabling an unknown one', async () => {
      const { application } = await f.applications.create({ name: 'host' }, ACTOR);
      const first = await f.customers.create(application.clientId, 'alice', ACTOR);
      const before = await f.auditEvents();
      await assert.rejects(
        f.customers.create(application.clientId, 'alice', ACTOR),
        (error: unknown) => error instanceof DomainError && error.code === 'conflict',
      );
      await assert.rejects(f.customers.disable(randomUUID(), ACTOR), DomainError);
      await assert.rejects(f.customers.create(randomUUID(), 'bob', ACTOR), DomainError);
      assert.deepEqual(await f.auditEvents(), before);
      assert.deepEqual(f.changes.at(-1), { entity: 'customer', id: first.customerId });
      assert.deepEqual(await f.customers.list(application.clientId), [first]);
    });
  });

  describe('when the audit event cannot be written, the change is not made either', () => {
    it('for applications', async () => {
      const { application } = await f.applications.create({ name: 'kept' }, ACTOR);
      const changes = f.changes.length;
      const failing = new Applications(f.store, f.clock, f.feed, new FailingAuditTrail(f.clock), 86_400);
      await assert.rejects(failing.create({ name: 'never' }, ACTOR), /audit log cannot be written/);
      await assert.rejects(failing.update(application.clientId, { name: 'never' }, ACTOR), /audit log/);
      await assert.rejects(failing.disable(application.clientId, ACTOR), /audit log/);
      await assert.rejects(
        failing.rotateSecret(application.clientId, { graceSeconds: 0 }, ACTOR),
        /audit log/,
      );
      assert.equal(await f.applications.count(), 1);
      assert.deepEqual(await f.applications.get(application.clientId), application);
      assert.equal((await f.store.listLiveSecrets(application.clientId, 0)).length, 1);
      assert.equal(f.changes.length, changes, 'nothing was announced to the caches');
    });

    it('for customers', async () => {
      const { application } = await f.applications.create({ name: 'host' }, ACTOR);
      const customer = await f.customers.create(application.clientId, 'kept', ACTOR);
      const failing = new Customers(f.store, f.applications, f.clock, f.feed, new FailingAuditTrail(f.clock));
      await assert.rejects(failing.create(application.clientId, 'never', ACTOR), /audit log/);
      await assert.rejects(failing.disable(customer.customerId, ACTOR), /audit log/);
      assert.deepEqual(await f.customers.list(application.clientId), [customer]);
    });

    it('for signing keys', async () => {
      const kek = randomBytes(32);
      const options = {
        alg: 'ES256' as const,
        keyEncryptionKey: () => kek,
        longestTokenLifetime: async () => 3600,
        prePublicationMs: 360_000,
        rotationIntervalMs: 0,
      };
      const keys = new SigningKeys(f.store, f.clock, f.audit, options);
      await keys.start();
      const before = await f.store.listSigningKeys();
      f.clock.advance(1000);
      const failing = new SigningKeys(f.store, f.clock, new FailingAuditTrail(f.clock), options);
      await failing.reload();
      await assert.rejects(failing.rotate({ immediately: true }, ACTOR), /audit log/);
      assert.deepEqual(await f.store.listSigningKeys(), before);
    });
  });
});
