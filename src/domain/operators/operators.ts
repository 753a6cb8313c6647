import { randomUUID } from 'node:crypto';
import type { AuditTrail } from '../audit-trail.js';
import type { Clock } from '../clock.js';
import { DomainError } from '../domain-error.js';
import { seal, unseal } from '../key-encryption.js';
import { type Store, StoreConflictError } from '../store.js';

export type { Operator } from './operator.js';

import { OPERATOR_ROLES, type Operator, type OperatorPatch, type OperatorRole } from './operator.js';
import { DECOY_HASH, generatePassword, hashPassword, passwordMatches, validPassword } from './passwords.js';

export interface CreatedOperator {
  readonly operator: Operator;
  /** Shown once when the server generated it; only its scrypt hash is stored. */
  readonly password: string;
}

/** The audit events of failed dashboard sign-ins (counted as failed client authentications are). */
export const OPERATOR_AUTHENTICATION_FAILED = {
  action: 'operator.authentication_failed',
  targetType: 'operator',
} as const;

const EMAIL = /^[^\s@]+@[^\s@]+$/;

/** The operator as the audit log and `--json` show it: never a hash or a TOTP secret. */
export function operatorView(o: Operator) {
  return {
    email: o.email,
    role: o.role,
    status: o.status,
    totp: o.totpSecret !== null,
    created_at: new Date(o.createdAt).toISOString(),
  };
}

/**
 * The people who sign in to the dashboard: what the CLI (`lean-auth operators`) and the dashboard
 * call. Every change is written together with its audit event, by `actor`.
 */
export class Operators {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly audit: AuditTrail,
    /** Seals TOTP secrets at rest, as signing keys are. */
    private readonly keyEncryptionKey: () => Buffer,
  ) {}

  async create(
    request: { email: string; role: string; password?: string | undefined },
    actor: string,
  ): Promise<CreatedOperator> {
    const email = validEmail(request.email);
    const role = validRole(request.role);
    const password = request.password === undefined ? generatePassword() : validPassword(request.password);
    const now = this.clock.now();
    const operator: Operator = {
      id: randomUUID(),
      email,
      role,
      status: 'active',
      passwordHash: await hashPassword(password),
      totpSecret: null,
      sessionGeneration: 0,
      createdAt: now,
      updatedAt: now,
    };
    try {
      await this.store.transaction(async (tx) => {
        await tx.operators.insertOperator(operator);
        await this.record(tx, actor, 'operator.create', operator, { after: operatorView(operator) });
      });
    } catch (error) {
      if (error instanceof StoreConflictError) {
        throw new DomainError('conflict', `an operator with email '${email}' exists`);
      }
      throw error;
    }
    return { operator, password };
  }

  list(): Promise<Operator[]> {
    return this.store.operators.listOperators();
  }

  async count(): Promise<number> {
    return (await this.store.operators.listOperators()).length;
  }

  async get(id: string): Promise<Operator | undefined> {
    return this.store.operators.findOperator(id);
  }

  async byEmail(email: string): Promise<Operator> {
    const operator = await this.store.operators.findOperatorByEmail(email.trim().toLowerCase());
    if (!operator) throw new DomainError('not_found', `no operator has email '${email.slice(0, 200)}'`);
    return operator;
  }

  /**
   * The active operator with this email and password, or undefined. An unknown email costs the
   * same scrypt as a known one, so timing does not tell which emails exist.
   */
  async authenticate(email: string, password: string): Promise<Operator | undefined> {
    const operator = await this.store.operators.findOperatorByEmail(email.trim().toLowerCase());
    const matches = await passwordMatches(password, operator?.passwordHash ?? DECOY_HASH);
    return matches && operator?.status === 'active' ? operator : undefined;
  }

  disable(email: string, actor: string): Promise<Operator> {
    return this.change(email, 'operator.disable', actor, (o) => ({
      status: 'disabled',
      sessionGeneration: o.sessionGeneration + 1,
    }));
  }

  enable(email: string, actor: string): Promise<Operator> {
    return this.change(email, 'operator.enable', actor, () => ({ status: 'active' }));
  }

  /** A new password (generated unless given), and every session of the operator ends. */
  async resetPassword(
    email: string,
    password: string | undefined,
    actor: string,
  ): Promise<{ operator: Operator; password: string }> {
    const chosen = password === undefined ? generatePassword() : validPassword(password);
    const passwordHash = await hashPassword(chosen);
    const operator = await this.change(email, 'operator.reset_password', actor, (o) => ({
      passwordHash,
      sessionGeneration: o.sessionGeneration + 1,
    }));
    return { operator, password: chosen };
  }

  /** Sign-out: every session of the operator ends (sessions live in cookies; see docs/dashboard.md). */
  endSessions(operator: Operator): Promise<Operator> {
    return this.change(operator.email, 'operator.sign_out', operator.email, (o) => ({
      sessionGeneration: o.sessionGeneration + 1,
    }));
  }

  /** Turns TOTP on with `secret` (confirmed by a code), or off with null. */
  setTotp(operator: Operator, secret: Buffer | null, actor: string): Promise<Operator> {
    const action = secret ? 'operator.totp_enable' : 'operator.totp_disable';
    return this.change(operator.email, action, actor, () => ({
      totpSecret: secret && seal(secret, this.keyEncryptionKey(), `operator-totp:${operator.id}`),
    }));
  }

  totpSecret(operator: Operator): Buffer | undefined {
    if (operator.totpSecret === null) return undefined;
    return unseal(operator.totpSecret, this.keyEncryptionKey(), `operator-totp:${operator.id}`);
  }

  /** Audits a sign-in (its failures are counted by the throttle's tally, as for clients). */
  signedIn(operator: Operator, sourceIp: string): Promise<void> {
    return this.record(this.store, operator.email, 'operator.sign_in', operator, { source_ip: sourceIp });
  }

  private async change(
    email: string,
    action: string,
    actor: string,
    patch: (operator: Operator) => OperatorPatch,
  ): Promise<Operator> {
    return this.store.transaction(async (tx) => {
      const before = await tx.operators.findOperatorByEmail(email.trim().toLowerCase());
      if (!before) throw new DomainError('not_found', `no operator has email '${email.slice(0, 200)}'`);
      const after = await tx.operators.updateOperator(before.id, patch(before), this.clock.now());
      if (!after) throw new DomainError('not_found', `no operator has email '${email.slice(0, 200)}'`);
      await this.record(tx, actor, action, after, {
        before: operatorView(before),
        after: operatorView(after),
      });
      return after;
    });
  }

  private record(
    store: Store,
    actor: string,
    action: string,
    operator: Operator,
    detail: Record<string, unknown>,
  ): Promise<void> {
    return this.audit.record(store, { actor, action, targetType: 'operator', targetId: operator.id, detail });
  }
}

function validEmail(email: string): string {
  const normalized = email.trim().toLowerCase();
  if (normalized.length > 254 || !EMAIL.test(normalized)) {
    throw new DomainError(
      'invalid',
      `email must be an address like name@example.com, got '${email.slice(0, 80)}'`,
    );
  }
  return normalized;
}

function validRole(role: string): OperatorRole {
  if (!(OPERATOR_ROLES as readonly string[]).includes(role)) {
    throw new DomainError(
      'invalid',
      `role must be ${OPERATOR_ROLES.join(' or ')}, got '${role.slice(0, 40)}'`,
    );
  }
  return role as OperatorRole;
}
