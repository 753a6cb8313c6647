import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { AdminError } from './admin-error.js';

const CHALLENGE = { 'WWW-Authenticate': 'Bearer realm="lean-auth-admin"' };

/** A check of `Authorization: Bearer <ADMIN_TOKEN>`, compared in constant time (digests of equal length). */
export function adminAuthentication(adminToken: string): (request: FastifyRequest) => Promise<void> {
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
    if (!timingSafeEqual(presented, expected))
      throw new AdminError('unauthorized', 'the admin token is wrong', CHALLENGE);
  };
}
