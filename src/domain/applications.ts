import { randomUUID } from 'node:crypto';
import type { ApplicationPatch, ApplicationRow, Page, Store } from '../store/store.js';
import type { ChangeFeed } from './change-feed.js';
import { digestSecret, generateClientSecret } from './client-secrets.js';
import type { Clock } from './clock.js';
import { DomainError } from './domain-error.js';
import { TOKEN_CLASSES, type TokenClass } from './token-class.js';
import {
  MAX_TOKEN_LIFETIME,
  MIN_API_TOKEN_LIFETIME,
  MIN_CUSTOMER_TOKEN_LIFETIME,
} from './token-lifetimes.js';

export interface ApplicationSettings {
  name?: string;
  tokenClasses?: readonly string[];
  /** Seconds; null returns to the configured default. */
  apiTokenTtl?: number | null;
  customerTokenTtl?: number | null;
}

export interface CreatedApplication {
  readonly application: ApplicationRow;
  /** Shown once: only its digest is stored. */
  readonly clientSecret: string;
}

const MAX_PAGE = 1000;

/** Registering and managing applications (OAuth clients): what the CLI and the admin API call. */
export class Applications {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly feed: ChangeFeed,
  ) {}

  async create(settings: ApplicationSettings & { name: string }): Promise<CreatedApplication> {
    const now = this.clock.now();
    const clientSecret = generateClientSecret();
    const application: ApplicationRow = {
      clientId: randomUUID(),
      name: validName(settings.name),
      status: 'active',
      tokenClasses: validTokenClasses(settings.tokenClasses ?? TOKEN_CLASSES),
      apiTokenTtl: validLifetime('api', settings.apiTokenTtl ?? null),
      customerTokenTtl: validLifetime('customer', settings.customerTokenTtl ?? null),
      createdAt: now,
      updatedAt: now,
    };
    await this.store.insertApplication(application, {
      id: randomUUID(),
      clientId: application.clientId,
      digest: digestSecret(clientSecret).toString('hex'),
      createdAt: now,
      expiresAt: null,
    });
    this.feed.publish({ entity: 'application', id: application.clientId });
    return { application, clientSecret };
  }

  async get(clientId: string): Promise<ApplicationRow> {
    const application = isUuid(clientId) ? await this.store.findApplication(clientId) : undefined;
    if (!application) throw new DomainError('not_found', `no application has client_id '${clientId}'`);
    return application;
  }

  async list(page: { limit?: number; after?: string } = {}): Promise<ApplicationRow[]> {
    return this.store.listApplications(validPage(page));
  }

  count(): Promise<number> {
    return this.store.countApplications();
  }

  async update(clientId: string, settings: ApplicationSettings): Promise<ApplicationRow> {
    const patch: ApplicationPatch = {
      ...(settings.name !== undefined && { name: validName(settings.name) }),
      ...(settings.tokenClasses !== undefined && { tokenClasses: validTokenClasses(settings.tokenClasses) }),
      ...(settings.apiTokenTtl !== undefined && { apiTokenTtl: validLifetime('api', settings.apiTokenTtl) }),
      ...(settings.customerTokenTtl !== undefined && {
        customerTokenTtl: validLifetime('customer', settings.customerTokenTtl),
      }),
    };
    return this.patch(clientId, patch);
  }

  disable(clientId: string): Promise<ApplicationRow> {
    return this.patch(clientId, { status: 'disabled' });
  }

  enable(clientId: string): Promise<ApplicationRow> {
    return this.patch(clientId, { status: 'active' });
  }

  private async patch(clientId: string, patch: ApplicationPatch): Promise<ApplicationRow> {
    await this.get(clientId);
    const updated = await this.store.updateApplication(clientId, patch, this.clock.now());
    if (!updated) throw new DomainError('not_found', `no application has client_id '${clientId}'`);
    this.feed.publish({ entity: 'application', id: clientId });
    return updated;
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Ids lean-auth issues are lower-case UUIDs; anything else cannot name a record. */
export function isUuid(value: string): boolean {
  return UUID.test(value);
}

export function validPage(page: { limit?: number; after?: string }): Page {
  const limit = page.limit ?? 100;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE) {
    throw new DomainError('invalid', `limit must be a whole number from 1 to ${MAX_PAGE}, got ${limit}`);
  }
  return { limit, after: page.after };
}

function validName(name: string): string {
  const trimmed = name.trim();
  if (trimmed.length < 1 || trimmed.length > 200) {
    throw new DomainError('invalid', 'name must be 1 to 200 characters');
  }
  return trimmed;
}

function validTokenClasses(classes: readonly string[]): TokenClass[] {
  const unknown = classes.filter((c) => !(TOKEN_CLASSES as readonly string[]).includes(c));
  if (unknown.length > 0) {
    throw new DomainError(
      'invalid',
      `unknown token class '${unknown[0]}': use ${TOKEN_CLASSES.join(' or ')}`,
    );
  }
  if (classes.length === 0) throw new DomainError('invalid', 'an application needs at least one token class');
  return TOKEN_CLASSES.filter((c) => classes.includes(c));
}

function validLifetime(tokenClass: TokenClass, seconds: number | null): number | null {
  if (seconds === null) return null;
  const min = tokenClass === 'customer' ? MIN_CUSTOMER_TOKEN_LIFETIME : MIN_API_TOKEN_LIFETIME;
  if (!Number.isInteger(seconds) || seconds < min || seconds > MAX_TOKEN_LIFETIME) {
    const why =
      tokenClass === 'customer'
        ? ` (the LinkSDK refuses a customer token with less than ${MIN_CUSTOMER_TOKEN_LIFETIME} seconds of validity left)`
        : '';
    throw new DomainError(
      'invalid',
      `${tokenClass} token lifetime must be a whole number of seconds from ${min} to ${MAX_TOKEN_LIFETIME}, got ${seconds}${why}`,
    );
  }
  return seconds;
}
