import cluster from 'node:cluster';
import { hkdfSync } from 'node:crypto';
import type { Config } from '../config/config.js';
import { Applications } from '../domain/applications.js';
import { AuditRetention } from '../domain/audit-retention.js';
import { AuditTrail } from '../domain/audit-trail.js';
import {
  ADMIN_THROTTLE_LIMITS,
  AuthThrottle,
  type SharedThrottleCounters,
  THROTTLE_LIMITS,
} from '../domain/auth-throttle.js';
import { AuthenticationFailures } from '../domain/authentication-failures.js';
import { ChangeFeed } from '../domain/change-feed.js';
import { ClientDirectory } from '../domain/client-directory.js';
import { type Clock, systemClock } from '../domain/clock.js';
import { CustomerDirectory } from '../domain/customer-directory.js';
import { Customers } from '../domain/customers.js';
import { Deletions } from '../domain/deletions.js';
import { ADMIN_AUTHENTICATION_FAILED, FailedAuthentications } from '../domain/failed-authentications.js';
import { OPERATOR_AUTHENTICATION_FAILED, Operators } from '../domain/operators/operators.js';
import { OPERATOR_TOTP_FAILED, TotpAttempts } from '../domain/operators/totp-attempts.js';
import type { ReplayCache } from '../domain/replay-cache.js';
import { JWKS_MAX_AGE_SECONDS, SigningKeys } from '../domain/signing-keys.js';
import type { Store } from '../domain/store.js';
import { TokenRevocations } from '../domain/token-revocations.js';
import { openStore } from '../store/open-store.js';
import { keyEncryptionKeyOf } from './key-encryption-key.js';
import { openReplayCache } from './replay-cache.js';

export interface ServiceLogger {
  warn(message: string): void;
  error(object: object, message: string): void;
}

/** How often each instance checks whether the scheduled key rotation is due. */
const KEY_SCHEDULE_CHECK_MS = 60_000;
/** Pre-publication margin on top of the JWKS cache lifetime. */
const PRE_PUBLICATION_MARGIN_MS = 60_000;

/** The domain over one store: what the server and every CLI command share. */
export interface Services {
  readonly config: Config;
  readonly store: Store;
  readonly clock: Clock;
  readonly audit: AuditTrail;
  readonly applications: Applications;
  readonly customers: Customers;
  /** Deleting applications and customers for good. */
  readonly deletions: Deletions;
  readonly keys: SigningKeys;
  readonly clientDirectory: ClientDirectory;
  readonly customerDirectory: CustomerDirectory;
  readonly revocations: TokenRevocations;
  /** The audit log's counts of failed client authentications, and of failed admin ones. */
  readonly failedAuthentications: FailedAuthentications;
  readonly failedAdminAuthentications: FailedAuthentications;
  /** False while the store's change notices are not arriving: cached data may be going stale. */
  cachesInStep(): boolean;
  /**
   * Where a failed client authentication, or admin one, is told: the throttle (shared through
   * Redis with REDIS_URL, or the cluster's primary with WORKERS) and the audit log's counts.
   */
  readonly clientFailures: AuthenticationFailures;
  readonly adminFailures: AuthenticationFailures;
  readonly auditRetention: AuditRetention;
  /** The dashboard's operators, and where their failed sign-ins are told (throttle, audit log). */
  readonly operators: Operators;
  readonly operatorFailures: AuthenticationFailures;
  readonly totpAttempts: TotpAttempts;
  readonly failedTotpCodes: FailedAuthentications;
  /** Seals dashboard session cookies: derived from the key encryption key, so every instance has it. */
  sessionKey(): Buffer;
  /** Keys the stateless DPoP nonces: derived from the key encryption key, so every instance has it. */
  dpopNonceKey(): Buffer;
  /** The jti of accepted client assertions (private_key_jwt), shared through Redis with REDIS_URL. */
  readonly assertionReplays: ReplayCache;
  /**
   * What a long-running server does beside answering requests (a one-shot CLI command does none
   * of it): follow other processes' changes, hold every application in the client directory
   * (`clientDirectory.loaded()` says when it does), write the failed-authentication counts, purge
   * expired revocations and audit events past their retention, and rotate the signing key when
   * KEY_ROTATION_INTERVAL says so.
   */
  runInBackground(): void;
  close(): Promise<void>;
}

/** Opens the store, migrates it, and wires the domain services and caches over it. */
export async function openServices(
  config: Config,
  logger: ServiceLogger,
  clock: Clock = systemClock,
): Promise<Services> {
  const store = await openStore(config.database);
  const keyEncryptionKey = await keyEncryptionKeyOf(config, store).catch(async (error: unknown) => {
    await store.close();
    throw error;
  });
  const feed = new ChangeFeed({ clock, staleTtlMs: config.cacheStaleTtlSeconds * 1000 });
  const audit = new AuditTrail(clock);
  const applications = new Applications(store, clock, feed, audit, config.secretRotationGraceSeconds);
  const keys = new SigningKeys(store, clock, audit, {
    alg: config.signingAlg,
    keyEncryptionKey,
    longestTokenLifetime: async () =>
      Math.max(config.apiTokenTtl, config.customerTokenTtl, (await store.longestTokenTtlOverride()) ?? 0),
    prePublicationMs: JWKS_MAX_AGE_SECONDS * 1000 + PRE_PUBLICATION_MARGIN_MS,
    rotationIntervalMs: config.keyRotationIntervalMs,
  });
  const reportError = (what: string) => (error: unknown) => logger.error({ err: error }, what);
  const revocations = new TokenRevocations(store, clock, reportError('purging expired revocations failed'));
  const auditError = reportError('writing failed authentications to the audit log failed');
  const failedAuthentications = new FailedAuthentications(store, clock, auditError);
  const failedAdminAuthentications = new FailedAuthentications(
    store,
    clock,
    auditError,
    ADMIN_AUTHENTICATION_FAILED,
  );
  const failedSignIns = new FailedAuthentications(store, clock, auditError, OPERATOR_AUTHENTICATION_FAILED);
  const failedTotpCodes = new FailedAuthentications(store, clock, auditError, OPERATOR_TOTP_FAILED);
  const stops: (() => void)[] = [];
  const shared = await sharedThrottleCounters(config);
  const assertionReplays = await openReplayCache(config, clock);
  const onError = reportError('shared throttling counters failed');
  const clientThrottle = new AuthThrottle(clock, {
    namespace: 'client',
    limits: THROTTLE_LIMITS,
    shared,
    onError,
  });
  const adminThrottle = new AuthThrottle(clock, {
    namespace: 'admin',
    limits: ADMIN_THROTTLE_LIMITS,
    shared,
    onError,
  });
  const operatorThrottle = new AuthThrottle(clock, {
    namespace: 'operator',
    limits: ADMIN_THROTTLE_LIMITS,
    shared,
    onError,
  });
  const auditRetention = new AuditRetention(
    store,
    clock,
    config.auditRetentionDays,
    reportError('purging audit events past their retention failed'),
  );

  const clientDirectory = new ClientDirectory(store, clock, feed, {
    defaultLifetimes: { api: config.apiTokenTtl, customer: config.customerTokenTtl },
    onLoadError: reportError('loading the client directory failed (retrying)'),
  });

  return {
    config,
    store,
    clock,
    audit,
    applications,
    customers: new Customers(store, applications, clock, feed, audit),
    deletions: new Deletions(store, clock, feed, audit),
    keys,
    clientDirectory,
    customerDirectory: new CustomerDirectory(store, feed),
    revocations,
    failedAuthentications,
    failedAdminAuthentications,
    cachesInStep: () => feed.noticesLostSince === null,
    clientFailures: new AuthenticationFailures(clientThrottle, failedAuthentications),
    adminFailures: new AuthenticationFailures(adminThrottle, failedAdminAuthentications),
    auditRetention,
    operators: new Operators(store, clock, audit, keyEncryptionKey),
    operatorFailures: new AuthenticationFailures(operatorThrottle, failedSignIns),
    totpAttempts: new TotpAttempts(clock, failedTotpCodes),
    failedTotpCodes,
    sessionKey: () =>
      Buffer.from(hkdfSync('sha256', keyEncryptionKey(), Buffer.alloc(0), 'lean-auth dashboard session', 32)),
    dpopNonceKey: () =>
      Buffer.from(hkdfSync('sha256', keyEncryptionKey(), Buffer.alloc(0), 'lean-auth dpop nonce', 32)),
    assertionReplays,

    runInBackground() {
      if (stops.length > 0) return;
      const reloadKeys = () => void keys.reload().catch(reportError('reloading signing keys failed'));
      stops.push(
        store.watch((change) => {
          feed.publish(change);
          if (change.entity === 'anything' || change.entity === 'signing_key') reloadKeys();
        }),
      );
      // After the watch began, so that no change falls between the directory's load and the watch.
      clientDirectory.follow();
      stops.push(() => clientDirectory.stop());
      failedAuthentications.start();
      failedAdminAuthentications.start();
      failedSignIns.start();
      failedTotpCodes.start();
      revocations.startPurging();
      auditRetention.start();
      const schedule = setInterval(
        () => void keys.rotateIfDue().catch(reportError('scheduled key rotation failed')),
        KEY_SCHEDULE_CHECK_MS,
      );
      schedule.unref();
      stops.push(
        () => clearInterval(schedule),
        () => revocations.stopPurging(),
        () => auditRetention.stop(),
      );
    },

    async close() {
      for (const stop of stops.splice(0)) stop();
      for (const failures of [
        failedAuthentications,
        failedAdminAuthentications,
        failedSignIns,
        failedTotpCodes,
      ]) {
        await failures.stop().catch(reportError('writing failed authentications failed'));
      }
      await shared?.close();
      await assertionReplays.close();
      await store.close();
    },
  };
}

/**
 * The counters the instances of a deployment share: Redis with REDIS_URL (ioredis is loaded only
 * then: megabytes of RSS otherwise), the cluster's primary in a worker of WORKERS=n, else none.
 */
async function sharedThrottleCounters(
  config: Config,
): Promise<(SharedThrottleCounters & { close(): Promise<void> }) | undefined> {
  if (config.redisUrl !== undefined) {
    return (await import('./redis-throttle-counters.js')).redisThrottleCounters(
      config.redisUrl,
      config.redisPrefix,
    );
  }
  return cluster.isWorker
    ? (await import('./cluster-throttle-counters.js')).clusterThrottleCounters()
    : undefined;
}
