import { randomBytes, timingSafeEqual } from 'node:crypto';
import { KeyEncryptionError, seal, unseal } from '../../domain/key-encryption.js';

export const SESSION_COOKIE = 'lean_auth_session';
/** A session unused this long has ended. */
const IDLE_TIMEOUT_MS = 30 * 60_000;
/** And every session ends this long after sign-in. */
const ABSOLUTE_TIMEOUT_MS = 12 * 3_600_000;
/** `seen` is written again only when older than this, not on every request. */
const SLIDE_AFTER_MS = 60_000;
const CONTEXT = 'lean-auth dashboard session';

/**
 * A dashboard session, kept in its cookie sealed with AES-256-GCM under a key derived from the
 * key encryption key: every instance and worker reads it, and no one can read or change it.
 */
export interface Session {
  /** The operator's id, and their session generation at sign-in (sign-out raises it). */
  readonly operatorId: string;
  readonly generation: number;
  readonly issuedAt: number;
  readonly seenAt: number;
  /** The synchronizer token every form carries. */
  readonly csrf: string;
  /** Password checked, TOTP code still to come. */
  readonly awaitingTotp?: boolean;
  /** A TOTP secret being set up (base64url), until the operator confirms it with a code. */
  readonly pendingTotp?: string;
}

export function newSession(
  operatorId: string,
  generation: number,
  now: number,
  awaitingTotp: boolean,
): Session {
  return {
    operatorId,
    generation,
    issuedAt: now,
    seenAt: now,
    csrf: randomBytes(24).toString('base64url'),
    ...(awaitingTotp && { awaitingTotp }),
  };
}

export function sealSession(session: Session, key: Buffer): string {
  return seal(Buffer.from(JSON.stringify(session)), key, CONTEXT);
}

/** The session in a cookie, or why there is none (an expired one sends the operator to sign in again). */
export function openSession(
  cookie: string | undefined,
  key: Buffer,
  now: number,
): { session: Session } | { ended: 'none' | 'expired' } {
  if (cookie === undefined || cookie === '') return { ended: 'none' };
  let session: Session;
  try {
    session = JSON.parse(unseal(cookie, key, CONTEXT).toString('utf8')) as Session;
  } catch (error) {
    if (error instanceof KeyEncryptionError || error instanceof SyntaxError) return { ended: 'none' };
    throw error;
  }
  if (now - session.seenAt > IDLE_TIMEOUT_MS || now - session.issuedAt > ABSOLUTE_TIMEOUT_MS) {
    return { ended: 'expired' };
  }
  return { session };
}

/** Whether the cookie should be written again to move the idle timeout on. */
export function shouldSlide(session: Session, now: number): boolean {
  return now - session.seenAt > SLIDE_AFTER_MS;
}

export function csrfMatches(session: Session, presented: string | null): boolean {
  if (presented === null) return false;
  const a = Buffer.from(session.csrf);
  const b = Buffer.from(presented);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The Set-Cookie value: HttpOnly, SameSite=Strict, only for the dashboard's paths; Secure over https. */
export function sessionCookie(value: string, secure: boolean, maxAgeSeconds?: number): string {
  return [
    `${SESSION_COOKIE}=${value}`,
    'Path=/dashboard',
    'HttpOnly',
    'SameSite=Strict',
    ...(secure ? ['Secure'] : []),
    ...(maxAgeSeconds !== undefined ? [`Max-Age=${maxAgeSeconds}`] : []),
  ].join('; ');
}

export function readCookie(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const [key, ...rest] = part.trim().split('=');
    if (key === name) return rest.join('=');
  }
  return undefined;
}
