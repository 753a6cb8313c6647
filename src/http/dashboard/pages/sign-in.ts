import type { FastifyInstance, FastifyReply } from 'fastify';
import { totpMatches } from '../../../domain/operators/totp.js';
import { type DashboardOptions, secure } from '../dashboard-context.js';
import { html } from '../html.js';
import { field, notice, page } from '../layout.js';
import { formOf, sendPage, signedInOf } from '../request-state.js';
import { newSession, type Session, sealSession, sessionCookie } from '../session.js';

function signInForm(email: string, error?: string, info?: string) {
  return page(
    'Sign in',
    html`${notice(info)}${notice(error, 'error')}
<form method="post" action="/dashboard/sign-in" class="card narrow">
${field({ label: 'Email', name: 'email', type: 'email', value: email, required: true, autocomplete: 'username' })}
${field({ label: 'Password', name: 'password', type: 'password', required: true, autocomplete: 'current-password' })}
<button type="submit">Sign in</button>
</form>`,
  );
}

function totpForm(session: Session, error?: string) {
  return page(
    'Two-factor code',
    html`${notice(error, 'error')}
<form method="post" action="/dashboard/sign-in/totp" class="card narrow">
<input type="hidden" name="_csrf" value="${session.csrf}">
${field({ label: 'Code from your authenticator app', name: 'code', required: true, autocomplete: 'one-time-code' })}
<button type="submit">Verify</button>
</form>`,
  );
}

/** Sign-in (password, then the TOTP code when the operator has one) and sign-out. */
export async function signInPages(app: FastifyInstance, options: DashboardOptions): Promise<void> {
  const { operators, clock, totpAttempts } = options;
  const setSession = (reply: FastifyReply, session: Session) =>
    reply.header('Set-Cookie', sessionCookie(sealSession(session, options.sessionKey()), secure(options)));

  /** A wrong password, counted by the throttle and the audit log's tally; 429 once over its limits. */
  const failed = (reply: FastifyReply, email: string, ip: string) => {
    const wait = options.signInFailures.record(email.toLowerCase().slice(0, 64), ip);
    if (wait > 0) {
      reply.header('Retry-After', String(wait));
      return sendPage(reply, signInForm(email, `Too many failed sign-ins: try again in ${wait} s.`), 429);
    }
    return sendPage(reply, signInForm(email, 'Wrong email, password or code.'), 401);
  };

  app.get<{ Querystring: { expired?: string } }>('/sign-in', async (request, reply) =>
    sendPage(
      reply,
      signInForm('', undefined, request.query.expired ? 'Your session ended: sign in again.' : undefined),
    ),
  );

  app.post('/sign-in', async (request, reply) => {
    const form = formOf(request);
    const email = form.get('email') ?? '';
    // The password is checked first: a right one is never refused by the throttle.
    const operator = await operators.authenticate(email, form.get('password') ?? '');
    if (!operator) return failed(reply, email, request.ip);
    const awaitingTotp = operator.totpSecret !== null;
    setSession(reply, newSession(operator.id, operator.sessionGeneration, clock.now(), awaitingTotp));
    if (!awaitingTotp) await operators.signedIn(operator, request.ip);
    return reply.redirect(awaitingTotp ? '/dashboard/sign-in/totp' : '/dashboard/overview', 303);
  });

  app.get('/sign-in/totp', async (request, reply) => {
    const state = signedInOf(request);
    if (!state?.session.awaitingTotp) return reply.redirect('/dashboard/overview', 303);
    return sendPage(reply, totpForm(state.session));
  });

  app.post('/sign-in/totp', async (request, reply) => {
    const state = signedInOf(request);
    if (!state?.session.awaitingTotp) return reply.redirect('/dashboard/overview', 303);
    // Checked before the code: past the limit a right code is refused too, or guessing would go on.
    const wait = totpAttempts.refusal(state.operator, request.ip);
    if (wait > 0) {
      reply.header('Retry-After', String(wait));
      return sendPage(reply, totpForm(state.session, `Too many wrong codes: try again in ${wait} s.`), 429);
    }
    const secret = operators.totpSecret(state.operator);
    if (!secret || !totpMatches(secret, formOf(request).get('code') ?? '', clock.now())) {
      totpAttempts.failed(state.operator, request.ip);
      return sendPage(reply, totpForm(state.session, 'Wrong code.'), 401);
    }
    totpAttempts.succeeded(state.operator);
    const { awaitingTotp: _, ...rest } = state.session;
    setSession(reply, { ...rest, seenAt: clock.now() });
    await operators.signedIn(state.operator, request.ip);
    return reply.redirect('/dashboard/overview', 303);
  });

  app.post('/sign-out', async (request, reply) => {
    const state = signedInOf(request);
    if (state) await operators.endSessions(state.operator);
    reply.header('Set-Cookie', sessionCookie('', secure(options), 0));
    return reply.redirect('/dashboard/sign-in', 303);
  });
}
