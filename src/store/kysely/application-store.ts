import type { JSONWebKeySet } from 'jose';
import type {
  Application,
  ApplicationStore,
  ApplicationWithSecrets,
  ClientSecret,
} from '../../domain/application.js';
import type { TokenEndpointAuthMethod } from '../../domain/client-auth-method.js';
import type { Page } from '../../domain/page.js';
import type { Status } from '../../domain/status.js';
import type { TlsSubject, TlsSubjectField } from '../../domain/tls-client-auth.js';
import type { TokenClass } from '../../domain/token-class.js';
import type { KyselyContext } from './context.js';
import type { Row } from './schema.js';
import { refuseDeletedId } from './tombstones.js';

/** Applications and their secrets, over Kysely. */
export function kyselyApplicationStore({ db, write }: KyselyContext): ApplicationStore {
  async function listApplications(page: Page): Promise<Application[]> {
    let query = db.selectFrom('applications').selectAll().orderBy('client_id').limit(page.limit);
    if (page.after !== undefined) query = query.where('client_id', '>', page.after);
    return (await query.execute()).map(applicationFromDb);
  }

  return {
    listApplications,

    async insertApplication(application, secret) {
      await write({ entity: 'application', id: application.clientId }, async (tx) => {
        await refuseDeletedId(tx, application.clientId);
        await tx.insertInto('applications').values(applicationToDb(application)).execute();
        await tx.insertInto('client_secrets').values(secretToDb(secret)).execute();
      });
    },

    async findApplication(clientId) {
      const row = await db
        .selectFrom('applications')
        .selectAll()
        .where('client_id', '=', clientId)
        .executeTakeFirst();
      return row && applicationFromDb(row);
    },

    async countApplications() {
      const { count } = await db
        .selectFrom('applications')
        .select((eb) => eb.fn.countAll<number | string>().as('count'))
        .executeTakeFirstOrThrow();
      return Number(count);
    },

    async updateApplication(clientId, patch, updatedAt) {
      const row = await write({ entity: 'application', id: clientId }, (tx) =>
        tx
          .updateTable('applications')
          .set({
            ...(patch.name !== undefined && { name: patch.name }),
            ...(patch.status !== undefined && { status: patch.status }),
            ...(patch.tokenClasses !== undefined && { token_classes: patch.tokenClasses.join(' ') }),
            ...(patch.apiTokenTtl !== undefined && { api_token_ttl: patch.apiTokenTtl }),
            ...(patch.customerTokenTtl !== undefined && { customer_token_ttl: patch.customerTokenTtl }),
            ...(patch.resourceServer !== undefined && { resource_server: patch.resourceServer ? 1 : 0 }),
            ...(patch.tokenEndpointAuthMethod !== undefined && {
              token_endpoint_auth_method: patch.tokenEndpointAuthMethod,
            }),
            ...(patch.jwks !== undefined && { jwks: jwksToDb(patch.jwks) }),
            ...(patch.jwksUri !== undefined && { jwks_uri: patch.jwksUri }),
            ...(patch.dpopBoundAccessTokens !== undefined && {
              dpop_bound_access_tokens: patch.dpopBoundAccessTokens ? 1 : 0,
            }),
            ...(patch.tlsSubject !== undefined && tlsSubjectToDb(patch.tlsSubject)),
            ...(patch.certificateBoundAccessTokens !== undefined && {
              certificate_bound_access_tokens: patch.certificateBoundAccessTokens ? 1 : 0,
            }),
            updated_at: updatedAt,
          })
          .where('client_id', '=', clientId)
          .returningAll()
          .executeTakeFirst(),
      );
      return row && applicationFromDb(row);
    },

    async longestTokenTtlOverride() {
      const row = await db
        .selectFrom('applications')
        .select((eb) => [
          eb.fn.max('api_token_ttl').as('api'),
          eb.fn.max('customer_token_ttl').as('customer'),
        ])
        .executeTakeFirst();
      const values = [row?.api, row?.customer].filter((v) => v !== null && v !== undefined).map(Number);
      return values.length > 0 ? Math.max(...values) : null;
    },

    async listLiveSecrets(clientId, now) {
      const rows = await db
        .selectFrom('client_secrets')
        .selectAll()
        .where('client_id', '=', clientId)
        .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
        .orderBy('created_at', 'desc')
        .execute();
      return rows.map(secretFromDb);
    },

    async listApplicationsWithLiveSecrets(now, page): Promise<ApplicationWithSecrets[]> {
      const applications = await listApplications(page);
      const first = applications[0];
      const last = applications.at(-1);
      if (first === undefined || last === undefined) return [];
      // The page is every application from the first client_id to the last: their secrets are a range.
      const rows = await db
        .selectFrom('client_secrets')
        .selectAll()
        .where('client_id', '>=', first.clientId)
        .where('client_id', '<=', last.clientId)
        .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
        .orderBy('created_at', 'desc')
        .execute();
      const secrets = new Map<string, ClientSecret[]>(applications.map((a) => [a.clientId, []]));
      // A secret of an application created since the first query has no entry here, and is left out.
      for (const row of rows) secrets.get(row.client_id)?.push(secretFromDb(row));
      return applications.map((application) => ({
        application,
        secrets: secrets.get(application.clientId) ?? [],
      }));
    },

    rotateSecret(secret, change) {
      return write({ entity: 'application', id: secret.clientId }, async (tx) => {
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
    },
  };
}

function applicationToDb(a: Application): Row<'applications'> {
  return {
    client_id: a.clientId,
    name: a.name,
    status: a.status,
    token_classes: a.tokenClasses.join(' '),
    api_token_ttl: a.apiTokenTtl,
    customer_token_ttl: a.customerTokenTtl,
    resource_server: a.resourceServer ? 1 : 0,
    token_endpoint_auth_method: a.tokenEndpointAuthMethod,
    jwks: jwksToDb(a.jwks),
    jwks_uri: a.jwksUri,
    dpop_bound_access_tokens: a.dpopBoundAccessTokens ? 1 : 0,
    ...tlsSubjectToDb(a.tlsSubject),
    certificate_bound_access_tokens: a.certificateBoundAccessTokens ? 1 : 0,
    created_at: a.createdAt,
    updated_at: a.updatedAt,
  };
}

function applicationFromDb(r: Row<'applications'>): Application {
  return {
    clientId: r.client_id,
    name: r.name,
    status: r.status as Status,
    tokenClasses: r.token_classes.split(' ').filter(Boolean) as TokenClass[],
    apiTokenTtl: r.api_token_ttl,
    customerTokenTtl: r.customer_token_ttl,
    resourceServer: Number(r.resource_server) === 1,
    tokenEndpointAuthMethod: r.token_endpoint_auth_method as TokenEndpointAuthMethod | null,
    jwks: r.jwks === null ? null : (JSON.parse(r.jwks) as JSONWebKeySet),
    jwksUri: r.jwks_uri,
    dpopBoundAccessTokens: Number(r.dpop_bound_access_tokens) === 1,
    tlsSubject:
      r.tls_subject_field === null
        ? null
        : { field: r.tls_subject_field as TlsSubjectField, value: r.tls_subject_value ?? '' },
    certificateBoundAccessTokens: Number(r.certificate_bound_access_tokens) === 1,
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
  };
}

const tlsSubjectToDb = (subject: TlsSubject | null) => ({
  tls_subject_field: subject?.field ?? null,
  tls_subject_value: subject?.value ?? null,
});

const jwksToDb = (jwks: JSONWebKeySet | null) => (jwks === null ? null : JSON.stringify(jwks));

function secretToDb(s: ClientSecret): Row<'client_secrets'> {
  return {
    id: s.id,
    client_id: s.clientId,
    digest: s.digest,
    created_at: s.createdAt,
    expires_at: s.expiresAt,
  };
}

function secretFromDb(r: Row<'client_secrets'>): ClientSecret {
  return {
    id: r.id,
    clientId: r.client_id,
    digest: r.digest,
    createdAt: Number(r.created_at),
    expiresAt: r.expires_at === null ? null : Number(r.expires_at),
  };
}
