import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { AdminError } from './admin-error.js';

const CHALLENGE = { 'WWW-Authenticate': 'Bearer realm="lean-auth-admin"' };
/** Whom the throttle and the audit log name for failed admin authentications. */
const ADMIN_SUBJECT = 'admin-api';

/** Where a wrong admin token is told: returns the seconds the caller must wait (0: answer 401). */
export interface AdminFailures {
  record(subject: string, sourceIp: string): number;
}

/**
 * A check of `Authorization: Bearer <ADMIN_TOKEN>`, compared in constant time (digests of equal
 * length), before anything else: the right token is never refused by the failure throttle. A
 * wrong one is counted (throttle, audit log) and answered 401, or 429 once its address (or the
 * admin API as a whole) has failed too often this minute.
 */
export function adminAuthentication(
  adminToken: string,
  failures: AdminFailures,
): (request: FastifyRequest) => Promise<void> {
  const expected = createHash('sha256').update(adminToken).digest();
  return async (request) => {
    const header = request.headers.authorization;
    if (header === undefined) {
      throw new AdminError(
        'unauthorized',
        'the admin API needs Authorization: Bearer <ADMIN_TOKEN>',
        CHALLENGE,
      );
    }
    const match = /^Bearer +(\S+)\s*$/i.exec(header);
    if (!match?.[1])
      throw new AdminError(
        'unauthorized',
        'the Authorization header must be Bearer <ADMIN_TOKEN>',
        CHALLENGE,
      );
    const presented = createHash('sha256').update(match[1]).digest();
    if (timingSafeEqual(presented, expected)) return;
    const wait = failures.record(ADMIN_SUBJECT, request.ip);
    if (wait > 0) {
      throw new AdminError('too_many_requests', `too many failed admin authentications: retry in ${wait} s`, {
        'Retry-After': String(wait),
      });
    }
    throw new AdminError('unauthorized', 'the admin token is wrong', CHALLENGE);
  };
}
