import type { FastifyInstance } from 'fastify';
import type { DashboardOptions } from '../dashboard-context.js';
import { html } from '../html.js';
import { csrfField, notice, page, postButton, time, type Viewer } from '../layout.js';
import { formOf, sendPage, viewerOf } from '../request-state.js';

/** Signing keys: the timeline of next, active and retired keys; rotate now or scheduled; withdraw. */
export async function keyPages(app: FastifyInstance, options: DashboardOptions): Promise<void> {
  const { keys } = options;

  const keysPage = (viewer: Viewer, done?: string) =>
    page(
      'Signing keys',
      html`${notice(done)}
<ol class="timeline">${keys.list().map(
        (k) => html`<li class="key-${k.state}">
<p><strong class="status ${k.state === 'retired' ? 'disabled' : 'active'}">${k.state}</strong> <code>${k.kid}</code> ${k.alg}</p>
<p>Created ${time(k.createdAt)}; signs from ${time(k.activatesAt)}; leaves the JWKS ${k.expiresAt === null ? 'when replaced' : time(k.expiresAt)}</p>
${postButton(viewer, `/dashboard/keys/${encodeURIComponent(k.kid)}/withdraw`, `Withdraw ${k.kid}`, 'danger')}
</li>`,
      )}</ol>
${
  viewer.canWrite
    ? html`<form method="post" action="/dashboard/keys/rotate" class="card">${csrfField(viewer)}
<label class="check"><input type="checkbox" name="now"> Sign with the new key at once (tokens verified by a stale JWKS cache may fail for a while)</label>
<button type="submit">Rotate signing key</button>
</form>`
    : ''
}`,
      viewer,
      'Signing keys',
    );

  app.get('/keys', async (request, reply) => sendPage(reply, keysPage(viewerOf(request))));

  app.post('/keys/rotate', async (request, reply) => {
    const viewer = viewerOf(request);
    const immediately = formOf(request).get('now') === 'on';
    const key = await keys.rotate({ immediately }, viewer.operator.email);
    return sendPage(reply, keysPage(viewer, `New key ${key.kid} (${key.state}).`), 201);
  });

  app.post<{ Params: { kid: string } }>('/keys/:kid/withdraw', async (request, reply) => {
    const viewer = viewerOf(request);
    const withdrawn = await keys.withdraw(request.params.kid, viewer.operator.email);
    return sendPage(reply, keysPage(viewer, `Withdrew ${withdrawn.kid}.`));
  });
}
