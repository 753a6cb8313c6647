import { randomUUID } from 'node:crypto';
import { MAX_SECRET_GRACE_SECONDS } from '../config/limits.js';
import type { Application, ApplicationPatch, ClientSecret } from './application.js';
import {
  type ApplicationSettings,
  changesClientAuthentication,
  clientAuthentication,
  NO_CLIENT_AUTHENTICATION,
  validLifetime,
  validName,
  validTokenClasses,
} from './application-settings.js';
import type { AuditTrail } from './audit-trail.js';
import type { ChangeFeed } from './change-feed.js';
import { digestSecret, generateClientSecret } from './client-secrets.js';
import type { Clock } from './clock.js';
import { DomainError } from './domain-error.js';
import { validPage } from './page.js';
import type { Store } from './store.js';
import { TOKEN_CLASSES } from './token-class.js';
import { isUuid } from './uuid.js';
import { applicationView } from './views.js';

export type { ApplicationSettings } from './application-settings.js';

export interface RotatedSecret {
  readonly application: Application;
  /** Shown once: only its digest is stored. */
  readonly clientSecret: string;
  /** Until when the previous secret still works; null when it stopped at once. */
  readonly previousSecretExpiresAt: number | null;
}

export interface CreatedApplication {
  readonly application: Application;
  /** Shown once: only its digest is stored. */
  readonly clientSecret: string;
}

/**
 * Registering and managing applications (OAuth clients): what the CLI and the admin API call.
 * Every change is written together with its audit event, by `actor`.
 */
export class Applications {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly feed: ChangeFeed,
    private readonly audit: AuditTrail,
    /** How long a rotated-out secret keeps working unless the rotation says otherwise. */
    private readonly defaultSecretGraceSeconds: number,
  ) {}

  async create(settings: ApplicationSettings & { name: string }, actor: string): Promise<CreatedApplication> {
    const now = this.clock.now();
    const clientSecret = generateClientSecret();
    const application: Application = {
      clientId: randomUUID(),
      name: validName(settings.name),
      status: 'active',
      tokenClasses: validTokenClasses(settings.tokenClasses ?? TOKEN_CLASSES),
      apiTokenTtl: validLifetime('api', settings.apiTokenTtl ?? null),
      customerTokenTtl: validLifetime('customer', settings.customerTokenTtl ?? null),
      resourceServer: settings.resourceServer ?? false,
      dpopBoundAccessTokens: settings.dpopBoundAccessTokens ?? false,
      certificateBoundAccessTokens: settings.certificateBoundAccessTokens ?? false,
      ...clientAuthentication(settings, NO_CLIENT_AUTHENTICATION),
      createdAt: now,
      updatedAt: now,
    };
    await this.store.transaction(async (tx) => {
      await tx.insertApplication(application, newSecret(application.clientId, clientSecret, now));
      await this.audit.record(tx, {
        actor,
        action: 'application.create',
        targetType: 'application',
        targetId: application.clientId,
        detail: { after: applicationView(application) },
      });
    });
    this.feed.publish({ entity: 'application', id: application.clientId });
    return { application, clientSecret };
  }

  async get(clientId: string): Promise<Application> {
    const application = isUuid(clientId) ? await this.store.findApplication(clientId) : undefined;
    if (!application) throw notFound(clientId);
    return application;
  }

  async list(page: { limit?: number; after?: string } = {}): Promise<Application[]> {
    return this.store.listApplications(validPage(page));
  }

  count(): Promise<number> {
    return this.store.countApplications();
  }

  async update(clientId: string, settings: ApplicationSettings, actor: string): Promise<Application> {
    const patch = (before: Application): ApplicationPatch => ({
      ...(settings.name !== undefined && { name: validName(settings.name) }),
      ...(settings.tokenClasses !== undefined && { tokenClasses: validTokenClasses(settings.tokenClasses) }),
      ...(settings.apiTokenTtl !== undefined && { apiTokenTtl: validLifetime('api', settings.apiTokenTtl) }),
      ...(settings.customerTokenTtl !== undefined && {
        customerTokenTtl: validLifetime('customer', settings.customerTokenTtl),
      }),
      ...(settings.resourceServer !== undefined && { resourceServer: settings.resourceServer }),
      ...(settings.dpopBoundAccessTokens !== undefined && {
        dpopBoundAccessTokens: settings.dpopBoundAccessTokens,
      }),
      ...(settings.certificateBoundAccessTokens !== undefined && {
        certificateBoundAccessTokens: settings.certificateBoundAccessTokens,
      }),
      ...(changesClientAuthentication(settings) && clientAuthentication(settings, before)),
    });
    return this.patch(clientId, patch, 'application.update', actor);
  }

  disable(clientId: string, actor: string): Promise<Application> {
    return this.patch(clientId, () => ({ status: 'disabled' }), 'application.disable', actor);
  }

  enable(clientId: string, actor: string): Promise<Application> {
    return this.patch(clientId, () => ({ status: 'active' }), 'application.enable', actor);
  }

  /**
   * Issues a new secret, shown once. The previous one keeps working for the grace period
   * (`graceSeconds`, default SECRET_ROTATION_GRACE; 0 ends it at once); an older one still in its
   * grace period stops now, so never more than two secrets work.
   */
  async rotateSecret(
    clientId: string,
    options: { graceSeconds?: number | undefined },
    actor: string,
  ): Promise<RotatedSecret> {
    const grace = options.graceSeconds ?? this.defaultSecretGraceSeconds;
    if (!Number.isInteger(grace) || grace < 0 || grace > MAX_SECRET_GRACE_SECONDS) {
      throw new DomainError(
        'invalid',
        `grace must be a whole number of seconds from 0 to ${MAX_SECRET_GRACE_SECONDS}, got ${grace}`,
      );
    }
    const application = await this.get(clientId);
    const now = this.clock.now();
    const clientSecret = generateClientSecret();
    const previousSecretExpiresAt = grace === 0 ? null : now + grace * 1000;
    await this.store.transaction(async (tx) => {
      const rotated = await tx.rotateSecret(newSecret(clientId, clientSecret, now), {
        now,
        previousExpiresAt: previousSecretExpiresAt ?? now,
      });
      if (!rotated) throw notFound(clientId);
      await this.audit.record(tx, {
        actor,
        action: 'application.rotate_secret',
        targetType: 'application',
        targetId: clientId,
        detail: {
          grace_seconds: grace,
          previous_secret_expires_at:
            previousSecretExpiresAt && new Date(previousSecretExpiresAt).toISOString(),
        },
      });
    });
    this.feed.publish({ entity: 'application', id: clientId });
    return { application, clientSecret, previousSecretExpiresAt };
  }

  private async patch(
    clientId: string,
    /** The change, made from the application as it is inside the transaction. */
    patch: (before: Application) => ApplicationPatch,
    action: string,
    actor: string,
  ): Promise<Application> {
    if (!isUuid(clientId)) throw notFound(clientId);
    const updated = await this.store.transaction(async (tx) => {
      const before = await tx.findApplication(clientId);
      const after = before && (await tx.updateApplication(clientId, patch(before), this.clock.now()));
      if (!before || !after) throw notFound(clientId);
      await this.audit.record(tx, {
        actor,
        action,
        targetType: 'application',
        targetId: clientId,
        detail: { before: applicationView(before), after: applicationView(after) },
      });
      return after;
    });
    this.feed.publish({ entity: 'application', id: clientId });
    return updated;
  }
}

function notFound(clientId: string): DomainError {
  return new DomainError('not_found', `no application has client_id '${clientId.slice(0, 80)}'`);
}

function newSecret(clientId: string, secret: string, now: number): ClientSecret {
  return {
    id: randomUUID(),
    clientId,
    digest: digestSecret(secret).toString('hex'),
    createdAt: now,
    expiresAt: null,
  };
}
