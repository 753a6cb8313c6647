import type { Kysely, Selectable } from 'kysely';
import type { Operator, OperatorPatch, OperatorRole } from '../../domain/operators/operator.js';
import type { OperatorStore } from '../../domain/operators/operator-store.js';
import { StoreConflictError } from '../../domain/store.js';
import type { Database } from './schema.js';

type OperatorDbRow = Selectable<Database['operators']>;

/** Operators in the `operators` table, over any Kysely dialect (no change notices: nothing caches them). */
export class KyselyOperatorStore implements OperatorStore {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly isUniqueViolation: (error: unknown) => boolean,
  ) {}

  async insertOperator(operator: Operator): Promise<void> {
    try {
      await this.db.insertInto('operators').values(toDb(operator)).execute();
    } catch (error) {
      if (this.isUniqueViolation(error)) {
        throw new StoreConflictError(`an operator with email '${operator.email}' exists`, { cause: error });
      }
      throw error;
    }
  }

  async findOperator(id: string): Promise<Operator | undefined> {
    const row = await this.db.selectFrom('operators').selectAll().where('id', '=', id).executeTakeFirst();
    return row && fromDb(row);
  }

  async findOperatorByEmail(email: string): Promise<Operator | undefined> {
    const row = await this.db
      .selectFrom('operators')
      .selectAll()
      .where('email', '=', email)
      .executeTakeFirst();
    return row && fromDb(row);
  }

  async listOperators(): Promise<Operator[]> {
    return (await this.db.selectFrom('operators').selectAll().orderBy('email').execute()).map(fromDb);
  }

  async updateOperator(id: string, patch: OperatorPatch, updatedAt: number): Promise<Operator | undefined> {
    const row = await this.db
      .updateTable('operators')
      .set({
        ...(patch.role !== undefined && { role: patch.role }),
        ...(patch.status !== undefined && { status: patch.status }),
        ...(patch.passwordHash !== undefined && { password_hash: patch.passwordHash }),
        ...(patch.totpSecret !== undefined && { totp_secret: patch.totpSecret }),
        ...(patch.sessionGeneration !== undefined && { session_generation: patch.sessionGeneration }),
        updated_at: updatedAt,
      })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirst();
    return row && fromDb(row);
  }
}

function toDb(o: Operator): OperatorDbRow {
  return {
    id: o.id,
    email: o.email,
    role: o.role,
    status: o.status,
    password_hash: o.passwordHash,
    totp_secret: o.totpSecret,
    session_generation: o.sessionGeneration,
    created_at: o.createdAt,
    updated_at: o.updatedAt,
  };
}

function fromDb(r: OperatorDbRow): Operator {
  return {
    id: r.id,
    email: r.email,
    role: r.role as OperatorRole,
    status: r.status === 'active' ? 'active' : 'disabled',
    passwordHash: r.password_hash,
    totpSecret: r.totp_secret,
    sessionGeneration: Number(r.session_generation),
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
  };
}
