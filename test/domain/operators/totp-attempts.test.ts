import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AuditEvent } from '../../../src/domain/audit-event.js';
import { FailedAuthentications } from '../../../src/domain/failed-authentications.js';
import {
  OPERATOR_TOTP_FAILED,
  TOTP_MAX_FAILURES,
  TOTP_WINDOW_MS,
  TotpAttempts,
} from '../../../src/domain/operators/totp-attempts.js';
import { FakeClock } from '../../helpers/fake-clock.js';

const ALICE = { id: 'op-1', email: 'alice@example.com' };
const BOB = { id: 'op-2', email: 'bob@example.com' };
const IP = '192.0.2.9';

function attempts() {
  const clock = new FakeClock();
  const written: AuditEvent[] = [];
  const tally = new FailedAuthentications(
    {
      insertAuditEvents: async (events) => void written.push(...events),
      listAuditEvents: async () => assert.fail('not read'),
      purgeAuditEvents: async () => assert.fail('not purged'),
    },
    clock,
    (error) => assert.fail(String(error)),
    OPERATOR_TOTP_FAILED,
  );
  return { clock, tally, written, limit: new TotpAttempts(clock, tally) };
}

describe('TotpAttempts', () => {
  it('refuses an operator past the limit until the oldest counted failure leaves the window', () => {
    const { clock, limit } = attempts();
    for (let i = 0; i < TOTP_MAX_FAILURES; i++) {
      assert.equal(limit.refusal(ALICE, IP), 0, `attempt ${i + 1} is checked`);
      limit.failed(ALICE, IP);
      clock.advance(10_000);
    }
    const wait = limit.refusal(ALICE, IP);
    assert.equal(wait, (TOTP_WINDOW_MS - TOTP_MAX_FAILURES * 10_000) / 1000);
    assert.equal(limit.refusal(BOB, IP), 0, 'another operator is not refused');
    clock.advance(wait * 1000 - 1);
    assert.ok(limit.refusal(ALICE, IP) > 0, 'not a moment before');
    clock.advance(1);
    assert.equal(limit.refusal(ALICE, IP), 0, 'the first failure left the window: one more try');
    limit.failed(ALICE, IP);
    assert.ok(limit.refusal(ALICE, IP) > 0, 'and refused again after it fails');
  });

  it('starts afresh after a right code', () => {
    const { limit } = attempts();
    for (let i = 0; i < TOTP_MAX_FAILURES - 1; i++) limit.failed(ALICE, IP);
    limit.succeeded(ALICE);
    limit.failed(ALICE, IP);
    assert.equal(limit.refusal(ALICE, IP), 0);
  });

  it('audits failures and refusals as operator.totp_failed, one event per operator and address', async () => {
    const { tally, written, limit } = attempts();
    for (let i = 0; i < TOTP_MAX_FAILURES; i++) limit.failed(ALICE, IP);
    assert.ok(limit.refusal(ALICE, IP) > 0);
    await tally.flush();
    assert.equal(written.length, 1);
    assert.equal(written[0]?.action, 'operator.totp_failed');
    assert.equal(written[0]?.targetType, 'operator');
    assert.equal(written[0]?.targetId, ALICE.email);
    assert.deepEqual([written[0]?.detail?.count, written[0]?.detail?.throttled], [TOTP_MAX_FAILURES + 1, 1]);
  });
});
