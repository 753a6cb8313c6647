import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { Application, ClientSecret } from '../../../src/domain/application.js';
import type { AuditEvent } from '../../../src/domain/audit-event.js';
import type { Customer } from '../../../src/domain/customer.js';
import type { SigningKey } from '../../../src/domain/signing-key.js';
import { type Store, StoreConflictError } from '../../../src/domain/store.js';

/** Records and helpers the store contract suites share. */

/** The tables as migration 0001 left them, before the lifecycle migration (0002). */
export interface Schema0001 {
  applications: {
    client_id: string;
    name: string;
    status: string;
    token_classes: string;
    api_token_ttl: number | null;
    customer_token_ttl: number | null;
    created_at: number;
    updated_at: number;
  };
  client_secrets: {
    id: string;
    client_id: string;
    digest: string;
    created_at: number;
    expires_at: number | null;
  };
  customers: {
    customer_id: string;
    client_id: string;
    app_user_id: string;
    status: string;
    created_at: number;
  };
  signing_keys: {
    kid: string;
    alg: string;
    status: string;
    public_jwk: string;
    sealed_private_key: string;
    created_at: number;
    retired_at: number | null;
    expires_at: number | null;
  };
}

export const T0 = Date.UTC(2026, 0, 1);

export function application(overrides: Partial<Application> = {}): Application {
  return {
    clientId: randomUUID(),
    name: 'contract app',
    status: 'active',
    tokenClasses: ['api', 'customer'],
    apiTokenTtl: null,
    customerTokenTtl: null,
    resourceServer: false,
    tokenEndpointAuthMethod: null,
    jwks: null,
    jwksUri: null,
    tlsSubject: null,
    dpopBoundAccessTokens: false,
    certificateBoundAccessTokens: false,
    createdAt: T0,
    updatedAt: T0,
    ...overrides,
  };
}

export function secretFor(clientId: string, overrides: Partial<ClientSecret> = {}): ClientSecret {
  return {
    id: randomUUID(),
    clientId,
    digest: 'ab'.repeat(32),
    createdAt: T0,
    expiresAt: null,
    ...overrides,
  };
}

export function customer(clientId: string, overrides: Partial<Customer> = {}): Customer {
  return {
    customerId: randomUUID(),
    clientId,
    appUserId: `user-${randomUUID()}`,
    status: 'active',
    createdAt: T0,
    ...overrides,
  };
}

export function signingKey(createdAt: number, overrides: Partial<SigningKey> = {}): SigningKey {
  const kid = `kid-${randomUUID()}`;
  return {
    kid,
    alg: 'RS256',
    publicJwk: JSON.stringify({ kty: 'RSA', kid, n: 'n', e: 'AQAB' }),
    sealedPrivateKey: `v1.sealed-${kid}`,
    createdAt,
    activatesAt: createdAt,
    rotatedFrom: '',
    expiresAt: null,
    ...overrides,
  };
}

export function auditEvent(at: number, overrides: Partial<AuditEvent> = {}): AuditEvent {
  return {
    id: randomUUID(),
    at,
    actor: 'cli:alice',
    action: 'application.update',
    targetType: 'application',
    targetId: randomUUID(),
    detail: { before: { name: 'old' }, after: { name: 'new' } },
    ...overrides,
  };
}

/** Newest first, and among events of one millisecond the greater id first: the listing order. */
export function newestFirst(events: readonly AuditEvent[]): AuditEvent[] {
  return [...events].sort((a, b) => b.at - a.at || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
}

/** Every stored secret of the application, expired or not (listLiveSecrets at the epoch). */
export function storedSecrets(store: Store, clientId: string): Promise<ClientSecret[]> {
  return store.listLiveSecrets(clientId, 0);
}

export async function addApplication(
  store: Store,
  overrides: Partial<Application> = {},
): Promise<Application> {
  const app = application(overrides);
  await store.insertApplication(app, secretFor(app.clientId));
  return app;
}

export async function rejectsWithConflict(promise: Promise<unknown>): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof StoreConflictError, `expected StoreConflictError, got ${String(error)}`);
    return true;
  });
}
