import { type Kysely, Migrator } from 'kysely';
import {
  deleteApplicationRows,
  deleteCustomerRow,
  isTombstoned,
  refuseDeletedId,
} from './deletion-queries.js';

import { migrationProvider } from './migrations/index.js';
import { KyselyOperatorStore } from './operator-store.js';
import {
  applicationFromDb,
  applicationToDb,
  customerFromDb,
  secretFromDb,
  secretToDb,
  signingKeyFromDb,
} from './row-mapping.js';
import type { Database } from './schema.js';
import { addKeyRow, withdrawKeyRow } from './signing-key-queries.js';
import {
  type ApplicationPatch,
  type ApplicationRow,
  type ApplicationWithSecrets,
  type AuditEvent,
  type AuditFilter,
  type CustomerRow,
  type Page,
  type RevokedToken,
  type SecretRow,
  type SigningKeyRow,
  type Status,
  type Store,
  type StoreChange,
  StoreConflictError,
} from './store.js';

/** What differs between the databases Kysely speaks to. */
export interface DialectSpecifics {
  isUniqueViolation(error: unknown): boolean;
  /** Tells other processes about a change, inside the transaction that makes it. */
  announce(db: Kysely<Database>, change: StoreChange): Promise<void>;
  watchExternalChanges(listener: (change: StoreChange) => void): () => void;
  /** Runs the migrations so that two processes starting at once cannot both apply one. */
  withMigrationLock(migrate: () => Promise<void>): Promise<void>;
  /** The schema holding the tables, where the migration bookkeeping must be too (PostgreSQL). */
  readonly schema?: string | undefined;
  close(): Promise<void>;
}

/** The Store over any Kysely dialect: the queries are written once. */
export class KyselyStore implements Store {
  readonly operators: KyselyOperatorStore;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: DialectSpecifics,
  ) {
    this.operators = new KyselyOperatorStore(db, (error) => dialect.isUniqueViolation(error));
  }

  migrate(): Promise<void> {
    return this.dialect.withMigrationLock(async () => {
      const migrator = new Migrator({
        db: this.db,
        provider: migrationProvider,
        // Without it Kysely looks for its bookkeeping tables in every schema and may find another's
        // (then fails: relation "kysely_migration_lock" does not exist).
        ...(this.dialect.schema !== undefined && { migrationTableSchema: this.dialect.schema }),
      });
      const { error, results } = await migrator.migrateToLatest();
      if (error) {
        const failed = results?.find((r) => r.status === 'Error')?.migrationName;
        const what = failed === undefined ? 'migrating the database' : `database migration ${failed}`;
        throw new Error(`${what} failed: ${String(error)}`, { cause: error });
      }
    });
  }

  async sandboxSecret(name: string, generate: () => string): Promise<{ value: string; created: boolean }> {
    const inserted = await this.db
      .insertInto('sandbox_secrets')
      .values({ name, value: generate() })
      .onConflict((conflict) => conflict.column('name').doNothing())
      .executeTakeFirst();
    const { value } = await this.db
      .selectFrom('sandbox_secrets')
      .select('value')
      .where('name', '=', name)
      .executeTakeFirstOrThrow();
    return { value, created: Number(inserted.numInsertedOrUpdatedRows ?? 0) > 0 };
  }

  async ping(): Promise<void> {
    await this.db.selectFrom('applications').select('client_id').limit(1).execute();
  }

  close(): Promise<void> {
    return this.dialect.close();
  }

  watchExternalChanges(listener: (change: StoreChange) => void): () => void {
    return this.dialect.watchExternalChanges(listener);
  }

  /** Runs `work` in one transaction that also announces `change` to other processes. */
  private write<T>(change: StoreChange, work: (db: Kysely<Database>) => Promise<T>): Promise<T> {
    return this.inTransaction(async (tx) => {
      const result = await work(tx);
      await this.dialect.announce(tx, change);
      return result;
    });
  }

  /** Kysely cannot nest transactions: inside one, go on in it. */
  private inTransaction<T>(work: (db: Kysely<Database>) => Promise<T>): Promise<T> {
    return this.db.isTransaction ? work(this.db) : this.db.transaction().execute(work);
  }

  transaction<T>(work: (store: Store) => Promise<T>): Promise<T> {
    return this.inTransaction((tx) => work(tx === this.db ? this : new KyselyStore(tx, this.dialect)));
  }

  async insertApplication(application: ApplicationRow, secret: SecretRow): Promise<void> {
    await this.write({ entity: 'application', id: application.clientId }, async (tx) => {
      await refuseDeletedId(tx, application.clientId);
      await tx.insertInto('applications').values(applicationToDb(application)).execute();
      await tx.insertInto('client_secrets').values(secretToDb(secret)).execute();
    });
  }

  async findApplication(clientId: string): Promise<ApplicationRow | undefined> {
    const row = await this.db
      .selectFrom('applications')
      .selectAll()
      .where('client_id', '=', clientId)
      .executeTakeFirst();
    return row && applicationFromDb(row);
  }

  async listApplications(page: Page): Promise<ApplicationRow[]> {
    let query = this.db.selectFrom('applications').selectAll().orderBy('client_id').limit(page.limit);
    if (page.after !== undefined) query = query.where('client_id', '>', page.after);
    return (await query.execute()).map(applicationFromDb);
  }

  async countApplications(): Promise<number> {
    const { count } = await this.db
      .selectFrom('applications')
      .select((eb) => eb.fn.countAll<number | string>().as('count'))
      .executeTakeFirstOrThrow();
    return Number(count);
  }

  async updateApplication(
    clientId: string,
    patch: ApplicationPatch,
    updatedAt: number,
  ): Promise<ApplicationRow | undefined> {
    const row = await this.write({ entity: 'application', id: clientId }, (tx) =>
      tx
        .updateTable('applications')
        .set({
          ...(patch.name !== undefined && { name: patch.name }),
          ...(patch.status !== undefined && { status: patch.status }),
          ...(patch.tokenClasses !== undefined && { token_classes: patch.tokenClasses.join(' ') }),
          ...(patch.apiTokenTtl !== undefined && { api_token_ttl: patch.apiTokenTtl }),
          ...(patch.customerTokenTtl !== undefined && { customer_token_ttl: patch.customerTokenTtl }),
          ...(patch.resourceServer !== undefined && { resource_server: patch.resourceServer ? 1 : 0 }),
          updated_at: updatedAt,
        })
        .where('client_id', '=', clientId)
        .returningAll()
        .executeTakeFirst(),
    );
    return row && applicationFromDb(row);
  }

  async longestTokenTtlOverride(): Promise<number | null> {
    const row = await this.db
      .selectFrom('applications')
      .select((eb) => [eb.fn.max('api_token_ttl').as('api'), eb.fn.max('customer_token_ttl').as('customer')])
      .executeTakeFirst();
    const values = [row?.api, row?.customer].filter((v) => v !== null && v !== undefined).map(Number);
    return values.length > 0 ? Math.max(...values) : null;
  }

  async listLiveSecrets(clientId: string, now: number): Promise<SecretRow[]> {
    const rows = await this.db
      .selectFrom('client_secrets')
      .selectAll()
      .where('client_id', '=', clientId)
      .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
      .orderBy('created_at', 'desc')
      .execute();
    return rows.map(secretFromDb);
  }

  async listApplicationsWithLiveSecrets(now: number, page: Page): Promise<ApplicationWithSecrets[]> {
    const applications = await this.listApplications(page);
    const first = applications[0];
    const last = applications.at(-1);
    if (first === undefined || last === undefined) return [];
    // The page is every application from the first client_id to the last: their secrets are a range.
    const rows = await this.db
      .selectFrom('client_secrets')
      .selectAll()
      .where('client_id', '>=', first.clientId)
      .where('client_id', '<=', last.clientId)
      .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
      .orderBy('created_at', 'desc')
      .execute();
    const secrets = new Map<string, SecretRow[]>(applications.map((a) => [a.clientId, []]));
    // A secret of an application created since the first query has no entry here, and is left out.
    for (const row of rows) secrets.get(row.client_id)?.push(secretFromDb(row));
    return applications.map((application) => ({
      application,
      secrets: secrets.get(application.clientId) ?? [],
    }));
  }

  async insertCustomer(customer: CustomerRow): Promise<void> {
    try {
      await this.write({ entity: 'customer', id: customer.customerId }, async (tx) => {
        await refuseDeletedId(tx, customer.customerId);
        await tx
          .insertInto('customers')
          .values({
            customer_id: customer.customerId,
            client_id: customer.clientId,
            app_user_id: customer.appUserId,
            status: customer.status,
            created_at: customer.createdAt,
          })
          .execute();
      });
    } catch (error) {
      if (error instanceof StoreConflictError) throw error;
      if (this.dialect.isUniqueViolation(error)) {
        throw new StoreConflictError(`app_user_id '${customer.appUserId}' already has a customer`, {
          cause: error,
        });
      }
      throw error;
    }
  }

  async findCustomer(customerId: string): Promise<CustomerRow | undefined> {
    const row = await this.db
      .selectFrom('customers')
      .selectAll()
      .where('customer_id', '=', customerId)
      .executeTakeFirst();
    return row && customerFromDb(row);
  }

  async listCustomers(clientId: string, page: Page): Promise<CustomerRow[]> {
    let query = this.db
      .selectFrom('customers')
      .selectAll()
      .where('client_id', '=', clientId)
      .orderBy('customer_id')
      .limit(page.limit);
    if (page.after !== undefined) query = query.where('customer_id', '>', page.after);
    return (await query.execute()).map(customerFromDb);
  }

  async setCustomerStatus(customerId: string, status: Status): Promise<CustomerRow | undefined> {
    const row = await this.write({ entity: 'customer', id: customerId }, (tx) =>
      tx
        .updateTable('customers')
        .set({ status })
        .where('customer_id', '=', customerId)
        .returningAll()
        .executeTakeFirst(),
    );
    return row && customerFromDb(row);
  }

  deleteApplication(clientId: string, deletedAt: number): Promise<{ customers: number } | undefined> {
    return this.write({ entity: 'application', id: clientId }, (tx) =>
      deleteApplicationRows(tx, clientId, deletedAt),
    );
  }

  deleteCustomer(customerId: string, deletedAt: number): Promise<CustomerRow | undefined> {
    return this.write({ entity: 'customer', id: customerId }, (tx) =>
      deleteCustomerRow(tx, customerId, deletedAt),
    );
  }

  wasDeleted(id: string): Promise<boolean> {
    return isTombstoned(this.db, id);
  }

  async listSigningKeys(): Promise<SigningKeyRow[]> {
    const rows = await this.db
      .selectFrom('signing_keys')
      .selectAll()
      .orderBy('created_at', 'desc')
      .orderBy('activates_at', 'desc')
      .execute();
    return rows.map(signingKeyFromDb);
  }

  async addSigningKey(
    key: SigningKeyRow,
    change: { now: number; previousExpiresAt: number | null },
  ): Promise<void> {
    try {
      await this.write({ entity: 'signing_key' }, (tx) => addKeyRow(tx, key, change));
    } catch (error) {
      if (this.dialect.isUniqueViolation(error)) {
        throw new StoreConflictError('another process rotated the signing key first', { cause: error });
      }
      throw error;
    }
  }

  withdrawSigningKey(kid: string, now: number): Promise<boolean> {
    return this.write({ entity: 'signing_key' }, (tx) => withdrawKeyRow(tx, kid, now));
  }

  async rotateSecret(
    secret: SecretRow,
    change: { now: number; previousExpiresAt: number },
  ): Promise<boolean> {
    return this.write({ entity: 'application', id: secret.clientId }, async (tx) => {
      const application = await tx
        .selectFrom('applications')
        .select('client_id')
        .where('client_id', '=', secret.clientId)
        .executeTakeFirst();
      if (!application) return false;
      // Whatever was still in its grace period goes now: with the new one, two at most are live.
      await tx
        .deleteFrom('client_secrets')
        .where('client_id', '=', secret.clientId)
        .where('expires_at', 'is not', null)
        .execute();
      if (change.previousExpiresAt <= change.now) {
        await tx.deleteFrom('client_secrets').where('client_id', '=', secret.clientId).execute();
      } else {
        await tx
          .updateTable('client_secrets')
          .set({ expires_at: change.previousExpiresAt })
          .where('client_id', '=', secret.clientId)
          .execute();
      }
      await tx.insertInto('client_secrets').values(secretToDb(secret)).execute();
      return true;
    });
  }

  async revokeToken(token: RevokedToken): Promise<void> {
    await this.db
      .insertInto('revoked_tokens')
      .values({
        jti: token.jti,
        client_id: token.clientId,
        revoked_at: token.revokedAt,
        expires_at: token.expiresAt,
      })
      .onConflict((oc) => oc.column('jti').doNothing())
      .execute();
  }

  async isTokenRevoked(jti: string): Promise<boolean> {
    const row = await this.db
      .selectFrom('revoked_tokens')
      .select('jti')
      .where('jti', '=', jti)
      .executeTakeFirst();
    return row !== undefined;
  }

  async purgeRevokedTokens(now: number): Promise<number> {
    const result = await this.db
      .deleteFrom('revoked_tokens')
      .where('expires_at', '<=', now)
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  async insertAuditEvents(events: readonly AuditEvent[]): Promise<void> {
    if (events.length === 0) return;
    await this.db
      .insertInto('audit_events')
      .values(
        events.map((e) => ({
          id: e.id,
          at: e.at,
          actor: e.actor,
          action: e.action,
          target_type: e.targetType,
          target_id: e.targetId,
          detail: JSON.stringify(e.detail),
        })),
      )
      .execute();
  }

  async purgeAuditEvents(before: number, limit: number): Promise<number> {
    // A DELETE with LIMIT is not SQL both backends take; a keyed subquery is, and uses the index on at.
    const oldest = this.db
      .selectFrom('audit_events')
      .select('id')
      .where('at', '<', before)
      .orderBy('at')
      .limit(limit);
    const result = await this.db.deleteFrom('audit_events').where('id', 'in', oldest).executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  async listAuditEvents(filter: AuditFilter, page: Page): Promise<AuditEvent[]> {
    let query = this.db
      .selectFrom('audit_events')
      .selectAll()
      .orderBy('at', 'desc')
      .orderBy('id', 'desc')
      .limit(page.limit);
    if (filter.action !== undefined) query = query.where('action', '=', filter.action);
    if (filter.actor !== undefined) query = query.where('actor', '=', filter.actor);
    if (filter.targetId !== undefined) query = query.where('target_id', '=', filter.targetId);
    if (filter.since !== undefined) query = query.where('at', '>=', filter.since);
    if (filter.until !== undefined) query = query.where('at', '<', filter.until);
    if (page.after !== undefined) {
      const last = await this.db
        .selectFrom('audit_events')
        .select(['at', 'id'])
        .where('id', '=', page.after)
        .executeTakeFirst();
      if (!last) return [];
      query = query.where((eb) =>
        eb.or([eb('at', '<', last.at), eb.and([eb('at', '=', last.at), eb('id', '<', last.id)])]),
      );
    }
    return (await query.execute()).map((r) => ({
      id: r.id,
      at: Number(r.at),
      actor: r.actor,
      action: r.action,
      targetType: r.target_type,
      targetId: r.target_id,
      detail: JSON.parse(r.detail) as Record<string, unknown>,
    }));
  }
}
