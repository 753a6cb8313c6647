import type { FastifyInstance } from 'fastify';
import { base32, generateTotpSecret, otpauthUri, totpMatches } from '../../../domain/operators/totp.js';
import { type DashboardOptions, secure } from '../dashboard-context.js';
import { html, trusted } from '../html.js';
import { csrfField, field, notice, page, postButton, type Viewer } from '../layout.js';
import { formOf, sendPage, signedInOf, viewerOf } from '../request-state.js';
import { sealSession, sessionCookie } from '../session.js';

/** The operator's own account: turning TOTP on (QR code, then a code to confirm) or off. */
export async function accountPages(app: FastifyInstance, options: DashboardOptions): Promise<void> {
  const { operators, clock } = options;

  const accountPage = async (
    viewer: Viewer,
    extra: { pending?: Buffer; error?: string; done?: string; required?: boolean; offError?: string } = {},
  ) => {
    const on = viewer.operator.totpSecret !== null;
    const enrol = extra.pending
      ? html`<div class="card">
<p>Scan this code with an authenticator app, or type the key <code>${base32(extra.pending)}</code>.</p>
<div class="qr">${trusted(await qrCodeSvg(otpauthUri(extra.pending, viewer.operator.email, 'lean-auth')))}</div>
<form method="post" action="/dashboard/account/totp/confirm">${csrfField(viewer)}
${field({ label: 'Code from your authenticator app', name: 'code', required: true, autocomplete: 'one-time-code', error: extra.error })}
<button type="submit">Turn on two-factor sign-in</button>
</form></div>`
      : html`<form method="post" action="/dashboard/account/totp/start" class="inline">${csrfField(viewer)}<button type="submit">Set up two-factor sign-in</button></form>`;
    return page(
      'Account',
      html`${extra.required ? notice('Production requires admins to sign in with a second factor: set it up to go on.', 'error') : ''}${notice(extra.done)}
<dl class="facts"><dt>Email</dt><dd>${viewer.operator.email}</dd><dt>Role</dt><dd>${viewer.operator.role}</dd><dt>Two-factor sign-in</dt><dd>${on ? 'on' : 'off'}</dd></dl>
${on ? html`${postButton({ ...viewer, canWrite: true }, '/dashboard/account/totp/disable', 'Turn off two-factor sign-in', 'danger')}${extra.offError && html`<p class="error" id="totp-disable-error" role="alert">${extra.offError}</p>`}` : enrol}`,
      viewer,
      'Account',
    );
  };

  app.get<{ Querystring: { totp?: string } }>('/account', async (request, reply) =>
    sendPage(reply, await accountPage(viewerOf(request), { required: request.query.totp === 'required' })),
  );

  app.post('/account/totp/start', async (request, reply) => {
    const state = signedInOf(request);
    if (!state) return reply.redirect('/dashboard/sign-in', 303);
    const pending = generateTotpSecret();
    // The secret waits in the (sealed) session cookie until a code confirms it.
    const session = { ...state.session, pendingTotp: pending.toString('base64url') };
    reply.header('Set-Cookie', sessionCookie(sealSession(session, options.sessionKey()), secure(options)));
    return sendPage(reply, await accountPage(viewerOf(request), { pending }));
  });

  app.post('/account/totp/confirm', async (request, reply) => {
    const state = signedInOf(request);
    if (!state?.session.pendingTotp) return reply.redirect('/dashboard/account', 303);
    const pending = Buffer.from(state.session.pendingTotp, 'base64url');
    if (!totpMatches(pending, formOf(request).get('code') ?? '', clock.now())) {
      return sendPage(
        reply,
        await accountPage(viewerOf(request), {
          pending,
          error: 'That code is not right: try the current one.',
        }),
        400,
      );
    }
    const operator = await operators.setTotp(state.operator, pending, state.operator.email);
    const { pendingTotp: _, ...session } = state.session;
    reply.header('Set-Cookie', sessionCookie(sealSession(session, options.sessionKey()), secure(options)));
    const viewer = { ...viewerOf(request), operator };
    return sendPage(reply, await accountPage(viewer, { done: 'Two-factor sign-in is on.' }));
  });

  app.post('/account/totp/disable', async (request, reply) => {
    const state = signedInOf(request);
    if (!state) return reply.redirect('/dashboard/sign-in', 303);
    if (options.production && state.operator.role === 'admin') {
      const offError = 'Production requires admins to sign in with a second factor: it stays on.';
      return sendPage(reply, await accountPage(viewerOf(request), { offError }), 400);
    }
    const operator = await operators.setTotp(state.operator, null, state.operator.email);
    return sendPage(
      reply,
      await accountPage({ ...viewerOf(request), operator }, { done: 'Two-factor sign-in is off.' }),
    );
  });
}

/**
 * The QR code library (with pngjs, ~60 modules) is loaded when an operator first enrols, not with
 * the server: every start paid for it before (issue 15, start to first token).
 */
async function qrCodeSvg(text: string): Promise<string> {
  const { default: QRCode } = await import('qrcode');
  return QRCode.toString(text, { type: 'svg', margin: 2 });
}
