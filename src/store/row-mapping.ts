import type { Selectable } from 'kysely';
import type { TokenClass } from '../domain/token-class.js';
import type { Database } from './schema.js';
import type { ApplicationRow, CustomerRow, SecretRow, SigningKeyRow, Status } from './store.js';

/** Between the store's records (camelCase, numbers) and the database's rows (snake_case, bigint). */
export type Row<T extends keyof Database> = Selectable<Database[T]>;

export function applicationToDb(a: ApplicationRow): Row<'applications'> {
  return {
    client_id: a.clientId,
    name: a.name,
    status: a.status,
    token_classes: a.tokenClasses.join(' '),
    api_token_ttl: a.apiTokenTtl,
    customer_token_ttl: a.customerTokenTtl,
    resource_server: a.resourceServer ? 1 : 0,
    created_at: a.createdAt,
    updated_at: a.updatedAt,
  };
}

export function applicationFromDb(r: Row<'applications'>): ApplicationRow {
  return {
    clientId: r.client_id,
    name: r.name,
    status: r.status as Status,
    tokenClasses: r.token_classes.split(' ').filter(Boolean) as TokenClass[],
    apiTokenTtl: r.api_token_ttl,
    customerTokenTtl: r.customer_token_ttl,
    resourceServer: Number(r.resource_server) === 1,
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
  };
}

export function secretToDb(s: SecretRow): Row<'client_secrets'> {
  return {
    id: s.id,
    client_id: s.clientId,
    digest: s.digest,
    created_at: s.createdAt,
    expires_at: s.expiresAt,
  };
}

export function secretFromDb(r: Row<'client_secrets'>): SecretRow {
  return {
    id: r.id,
    clientId: r.client_id,
    digest: r.digest,
    createdAt: Number(r.created_at),
    expiresAt: r.expires_at === null ? null : Number(r.expires_at),
  };
}

export function customerFromDb(r: Row<'customers'>): CustomerRow {
  return {
    customerId: r.customer_id,
    clientId: r.client_id,
    appUserId: r.app_user_id,
    status: r.status as Status,
    createdAt: Number(r.created_at),
  };
}

export function signingKeyToDb(k: SigningKeyRow): Row<'signing_keys'> {
  return {
    kid: k.kid,
    alg: k.alg,
    public_jwk: k.publicJwk,
    sealed_private_key: k.sealedPrivateKey,
    created_at: k.createdAt,
    activates_at: k.activatesAt,
    rotated_from: k.rotatedFrom,
    expires_at: k.expiresAt,
  };
}

export function signingKeyFromDb(r: Row<'signing_keys'>): SigningKeyRow {
  return {
    kid: r.kid,
    alg: r.alg,
    publicJwk: r.public_jwk,
    sealedPrivateKey: r.sealed_private_key,
    createdAt: Number(r.created_at),
    activatesAt: Number(r.activates_at),
    rotatedFrom: r.rotated_from,
    expiresAt: r.expires_at === null ? null : Number(r.expires_at),
  };
}
