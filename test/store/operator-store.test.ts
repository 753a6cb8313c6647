import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import type { Operator } from '../../src/domain/operators/operator.js';
import { storeContract } from './contract/backends.js';
import { rejectsWithConflict, T0 } from './contract/fixtures.js';

function operator(overrides: Partial<Operator> = {}): Operator {
  return {
    id: randomUUID(),
    email: `op-${randomUUID()}@example.com`,
    role: 'admin',
    status: 'active',
    passwordHash: 'scrypt$16384$8$1$c2FsdA$aGFzaA',
    totpSecret: null,
    sessionGeneration: 0,
    createdAt: T0,
    updatedAt: T0,
    ...overrides,
  };
}

/** OperatorStore (the dashboard's accounts). Run over every backend (contract/backends.ts). */
storeContract('operators', ({ withStore }) => {
  describe('operators', () => {
    it('round-trips an operator by id and by email; unknown ones are undefined', () =>
      withStore(async (store) => {
        const o = operator({
          role: 'viewer',
          status: 'disabled',
          totpSecret: 'sealed:abc',
          sessionGeneration: 3,
        });
        await store.operators.insertOperator(o);
        assert.deepEqual(await store.operators.findOperator(o.id), o);
        assert.deepEqual(await store.operators.findOperatorByEmail(o.email), o);
        assert.equal(await store.operators.findOperator(randomUUID()), undefined);
        assert.equal(await store.operators.findOperatorByEmail('nobody@example.com'), undefined);
      }));

    it('refuses a second operator with the same email (StoreConflictError) and keeps the first', () =>
      withStore(async (store) => {
        const first = operator({ email: 'same@example.com' });
        await store.operators.insertOperator(first);
        await rejectsWithConflict(store.operators.insertOperator(operator({ email: 'same@example.com' })));
        assert.deepEqual(await store.operators.listOperators(), [first]);
      }));

    it('lists every operator ordered by email, and none in an empty store', () =>
      withStore(async (store) => {
        assert.deepEqual(await store.operators.listOperators(), []);
        const ops = ['c@example.com', 'a@example.com', 'b@example.com'].map((email) => operator({ email }));
        for (const o of ops) await store.operators.insertOperator(o);
        assert.deepEqual(
          (await store.operators.listOperators()).map((o) => o.email),
          ['a@example.com', 'b@example.com', 'c@example.com'],
        );
      }));

    it('updateOperator applies only the patched fields and updated_at, and returns the new record', () =>
      withStore(async (store) => {
        const o = operator();
        const neighbour = operator();
        await store.operators.insertOperator(o);
        await store.operators.insertOperator(neighbour);

        const roled = await store.operators.updateOperator(o.id, { role: 'viewer' }, T0 + 1);
        assert.deepEqual(roled, { ...o, role: 'viewer', updatedAt: T0 + 1 });
        const all = await store.operators.updateOperator(
          o.id,
          { status: 'disabled', passwordHash: 'scrypt$new', totpSecret: 'sealed:x', sessionGeneration: 1 },
          T0 + 2,
        );
        const expected: Operator = {
          ...o,
          role: 'viewer',
          status: 'disabled',
          passwordHash: 'scrypt$new',
          totpSecret: 'sealed:x',
          sessionGeneration: 1,
          updatedAt: T0 + 2,
        };
        assert.deepEqual(all, expected);
        assert.deepEqual(await store.operators.findOperator(o.id), expected);
        assert.deepEqual(await store.operators.findOperator(neighbour.id), neighbour);
      }));

    it('turns TOTP off with totpSecret null, and bumps session_generation', () =>
      withStore(async (store) => {
        const o = operator({ totpSecret: 'sealed:on', sessionGeneration: 41 });
        await store.operators.insertOperator(o);
        const off = await store.operators.updateOperator(o.id, { totpSecret: null }, T0 + 1);
        assert.equal(off?.totpSecret, null);
        const bumped = await store.operators.updateOperator(
          o.id,
          { sessionGeneration: o.sessionGeneration + 1 },
          T0 + 2,
        );
        assert.equal(bumped?.sessionGeneration, 42);
        assert.equal((await store.operators.findOperator(o.id))?.sessionGeneration, 42);
      }));

    it('updateOperator answers undefined for an unknown id and writes nothing', () =>
      withStore(async (store) => {
        const o = operator();
        await store.operators.insertOperator(o);
        assert.equal(
          await store.operators.updateOperator(randomUUID(), { role: 'viewer' }, T0 + 1),
          undefined,
        );
        assert.deepEqual(await store.operators.listOperators(), [o]);
      }));

    it('operators written in a transaction that throws are not kept', () =>
      withStore(async (store) => {
        const o = operator();
        await assert.rejects(
          store.transaction(async (tx) => {
            await tx.operators.insertOperator(o);
            throw new Error('abort');
          }),
          /abort/,
        );
        assert.equal(await store.operators.findOperator(o.id), undefined);
      }));
  });
});
