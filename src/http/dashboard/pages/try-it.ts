import type { FastifyInstance } from 'fastify';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import type { DashboardOptions } from '../dashboard-context.js';
import { type Html, html } from '../html.js';
import { csrfField, field, notice, page, type Viewer } from '../layout.js';
import { formOf, sendPage, viewerOf } from '../request-state.js';

/** Try it: request a token with given credentials and scope; see the header and claims, verified. */
export async function tryItPages(app: FastifyInstance, options: DashboardOptions): Promise<void> {
  const form = (viewer: Viewer, values: URLSearchParams, result?: Html) =>
    page(
      'Try it',
      html`<form method="post" action="/dashboard/try-it" class="card">${csrfField(viewer)}
${field({ label: 'client_id', name: 'client_id', value: values.get('client_id'), required: true })}
${field({ label: 'client_secret', name: 'client_secret', type: 'password', required: true, autocomplete: 'off' })}
${field({ label: 'Scope', name: 'scope', value: values.get('scope') ?? 'api', required: true, hint: 'api, or customer.<customer_id>' })}
<button type="submit">Request a token</button>
</form>
${result}`,
      viewer,
      'Try it',
    );

  app.get('/try-it', async (request, reply) =>
    sendPage(reply, form(viewerOf(request), new URLSearchParams())),
  );

  // Not a write (the server's own token endpoint, in process): a viewer may try credentials too.
  app.post('/try-it', async (request, reply) => {
    const viewer = viewerOf(request);
    const values = formOf(request);
    const tokenForm = new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: values.get('client_id') ?? '',
      client_secret: values.get('client_secret') ?? '',
      scope: values.get('scope') ?? '',
    });
    const answer = await options.requestToken(tokenForm, request.ip);
    const body = answer.body as Record<string, unknown>;
    if (answer.status !== 200 || typeof body.access_token !== 'string') {
      const result = html`${notice(`The token endpoint answered ${answer.status}: ${String(body.error)}: ${String(body.error_description ?? '')}`, 'error')}`;
      return sendPage(reply, form(viewer, values, result), 400);
    }
    const token = body.access_token;
    const header = decodeProtectedHeader(token);
    const verified = await jwtVerify(token, createLocalJWKSet(options.keys.jwks() as never), {
      issuer: options.issuer,
    }).then(
      (v) => ({ ok: true as const, claims: v.payload }),
      (error: Error) => ({ ok: false as const, message: error.message }),
    );
    const result = html`<section class="card" aria-labelledby="token-title">
<h2 id="token-title">Token</h2>
${verified.ok ? notice('Signature verified against the JWKS.') : notice(`Not verified: ${verified.message}`, 'error')}
<h3>Header</h3><pre>${JSON.stringify(header, null, 2)}</pre>
<h3>Claims</h3><pre>${verified.ok ? JSON.stringify(verified.claims, null, 2) : ''}</pre>
<h3>Response</h3><pre>${JSON.stringify({ ...body, access_token: `${token.slice(0, 24)}…` }, null, 2)}</pre>
</section>`;
    return sendPage(reply, form(viewer, values, result));
  });
}
