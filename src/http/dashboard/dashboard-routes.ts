import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DomainError } from '../../domain/domain-error.js';
import { assetRoutes } from './assets.js';
import { type DashboardOptions, secure } from './dashboard-context.js';
import { html } from './html.js';
import { page } from './layout.js';
import { accountPages } from './pages/account.js';
import { applicationPages } from './pages/applications.js';
import { auditPages } from './pages/audit.js';
import { customerPages } from './pages/customers.js';
import { keyPages } from './pages/keys.js';
import { overviewPages } from './pages/overview.js';
import { signInPages } from './pages/sign-in.js';
import { tryItPages } from './pages/try-it.js';
import { formOf, sendPage, setSignedIn, signedInOf } from './request-state.js';
import {
  csrfMatches,
  openSession,
  readCookie,
  SESSION_COOKIE,
  sealSession,
  sessionCookie,
  shouldSlide,
} from './session.js';

/** No inline script or style, nothing from another origin, no framing. */
const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');
const FORM_LIMIT = 64 * 1024;
/** Reached without a session. */
const PUBLIC_PATHS = new Set(['/dashboard/sign-in']);
/** What a viewer may post: their own session and second factor, and Try it (which changes nothing). */
const SELF_SERVICE = [
  '/dashboard/sign-out',
  '/dashboard/sign-in/totp',
  '/dashboard/account/',
  '/dashboard/try-it',
];

/**
 * The Application Dashboard: server-rendered pages over the same domain operations as the admin
 * API, in an encapsulated context with its own sessions, CSRF checks, CSP and error pages.
 */
export async function dashboardRoutes(app: FastifyInstance, options: DashboardOptions): Promise<void> {
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string', bodyLimit: FORM_LIMIT },
    (_request, body, done) => done(null, new URLSearchParams(body as string)),
  );
  app.setErrorHandler((error: FastifyError | Error, request, reply) => errorPage(error, request, reply));
  app.setNotFoundHandler((_request, reply) =>
    sendPage(
      reply,
      page('Not found', html`<p>No such page. <a href="/dashboard/overview">Overview</a></p>`),
      404,
    ),
  );

  app.addHook('onRequest', async (request, reply) => {
    reply
      .header('Content-Security-Policy', CSP)
      .header('Cache-Control', 'no-store')
      .header('X-Frame-Options', 'DENY')
      .header('Referrer-Policy', 'same-origin');
    if (request.method === 'POST' && !sameOrigin(request)) {
      return refuse(reply, 'This form was sent from another site: refused.');
    }
    const path = request.url.split('?', 1)[0] ?? '';
    if (PUBLIC_PATHS.has(path) || path.startsWith('/dashboard/assets/')) return;
    const now = options.clock.now();
    const opened = openSession(readCookie(request.headers.cookie, SESSION_COOKIE), options.sessionKey(), now);
    if ('ended' in opened) return toSignIn(reply, opened.ended === 'expired');
    const { session } = opened;
    const operator = await options.operators.get(session.operatorId);
    if (operator?.status !== 'active' || operator.sessionGeneration !== session.generation) {
      return toSignIn(reply, true);
    }
    if (session.awaitingTotp && path !== '/dashboard/sign-in/totp')
      return reply.redirect('/dashboard/sign-in/totp', 303);
    if (shouldSlide(session, now)) {
      reply.header(
        'Set-Cookie',
        sessionCookie(sealSession({ ...session, seenAt: now }, options.sessionKey()), secure(options)),
      );
    }
    setSignedIn(request, { session, operator });
    const mustEnrol = options.production && operator.role === 'admin' && operator.totpSecret === null;
    if (
      mustEnrol &&
      !session.awaitingTotp &&
      !path.startsWith('/dashboard/account') &&
      path !== '/dashboard/sign-out'
    ) {
      return reply.redirect('/dashboard/account?totp=required', 303);
    }
  });

  app.addHook('preHandler', async (request, reply) => {
    const state = signedInOf(request);
    if (request.method !== 'POST' || !state) return;
    if (!csrfMatches(state.session, formOf(request).get('_csrf'))) {
      return refuse(reply, 'The form’s security token is missing or stale: reload the page and try again.');
    }
    const path = request.url.split('?', 1)[0] ?? '';
    if (state.operator.role !== 'admin' && !SELF_SERVICE.some((p) => path.startsWith(p))) {
      return refuse(reply, 'Your role (viewer) may read but not change anything.');
    }
  });

  app.get('/', async (_request, reply) => reply.redirect('/dashboard/overview', 303));
  // Not `options` itself: Fastify put this plugin's `prefix` there, and the pages would add it again.
  const { prefix: _, ...pageOptions } = options as DashboardOptions & { prefix?: string };
  await app.register(assetRoutes);
  for (const pages of [
    signInPages,
    overviewPages,
    applicationPages,
    customerPages,
    keyPages,
    auditPages,
    tryItPages,
    accountPages,
  ]) {
    await app.register(pages, pageOptions);
  }
}

/**
 * A POST must come from a page of this origin: Origin names it (every browser sends it on a POST);
 * without Origin, Sec-Fetch-Site must not say cross-site. The CSRF token is checked after this.
 */
function sameOrigin(request: FastifyRequest): boolean {
  const origin = request.headers.origin;
  if (origin === undefined) return request.headers['sec-fetch-site'] !== 'cross-site';
  return origin === `${request.protocol}://${request.host}`;
}

function refuse(reply: FastifyReply, message: string): FastifyReply {
  return sendPage(
    reply,
    page(
      'Refused',
      html`<p class="notice error" role="alert">${message}</p><p><a href="/dashboard/overview">Overview</a></p>`,
    ),
    403,
  );
}

function toSignIn(reply: FastifyReply, expired: boolean): FastifyReply {
  reply.header('Set-Cookie', sessionCookie('', false, 0));
  return reply.redirect(expired ? '/dashboard/sign-in?expired=1' : '/dashboard/sign-in', 303);
}

const STATUS: Record<DomainError['code'], number> = {
  invalid: 400,
  not_found: 404,
  conflict: 409,
  unavailable: 503,
};

/** What failed, on a page with a way back: the domain's message as it is, anything else without detail. */
function errorPage(error: FastifyError | Error, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (error instanceof DomainError) {
    return sendPage(
      reply,
      page(
        'That did not work',
        html`<p class="notice error" role="alert">${error.message}</p><p><a href="/dashboard/overview">Overview</a></p>`,
      ),
      STATUS[error.code],
    );
  }
  const status =
    'statusCode' in error && typeof error.statusCode === 'number' && error.statusCode < 500
      ? error.statusCode
      : 500;
  if (status === 500) request.log.error({ err: error }, 'dashboard request failed');
  const message = status === 500 ? 'Something failed on the server; it is logged. Try again.' : error.message;
  return sendPage(
    reply,
    page(
      'That did not work',
      html`<p class="notice error" role="alert">${message}</p><p><a href="/dashboard/overview">Overview</a></p>`,
    ),
    status,
  );
}
