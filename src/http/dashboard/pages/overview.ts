import type { FastifyInstance } from 'fastify';
import type { DashboardOptions } from '../dashboard-context.js';
import { html } from '../html.js';
import { page, time } from '../layout.js';
import { sendPage, viewerOf } from '../request-state.js';

/** The overview: live activity chart, the signing key's status, links. */
export async function overviewPages(app: FastifyInstance, options: DashboardOptions): Promise<void> {
  app.get('/overview', async (request, reply) => {
    const viewer = viewerOf(request);
    const keys = options.keys.list();
    const active = keys.find((k) => k.state === 'active');
    const next = keys.find((k) => k.state === 'next');
    const series = options.activity();
    const total = (values: readonly number[]) => values.reduce((a, b) => a + b, 0);
    return sendPage(
      reply,
      page(
        'Overview',
        html`<section aria-labelledby="activity-title" class="card">
<h2 id="activity-title">The last hour</h2>
<p>Tokens issued: <strong>${total(series.api)}</strong> api, <strong>${total(series.customer)}</strong> customer; failed client authentications: <strong>${total(series.failed)}</strong>.</p>
<figure>
<div class="chart" data-chart="/dashboard/overview/activity.json" role="img" aria-label="Tokens issued per minute by class and failed authentications, last 60 minutes; updated every 5 seconds"></div>
<figcaption><span class="key api">api tokens</span> <span class="key customer">customer tokens</span> <span class="key failed">failed authentications</span> per minute</figcaption>
</figure>
</section>
<section aria-labelledby="keys-title" class="card">
<h2 id="keys-title">Signing key</h2>
${
  active
    ? html`<p>Active: <code>${active.kid}</code> (${active.alg}) since ${time(active.activatesAt)}.</p>`
    : html`<p class="notice error">No active signing key.</p>`
}
${next && html`<p>Next: <code>${next.kid}</code> signs from ${time(next.activatesAt)}.</p>`}
<p><a href="/dashboard/keys">Signing keys</a></p>
</section>
<section class="card" aria-labelledby="links-title">
<h2 id="links-title">Links</h2>
<ul>
<li><a href="/dashboard/applications">Applications</a></li>
<li><a href="/dashboard/audit">Audit log</a></li>
<li><a href="/dashboard/try-it">Try it</a></li>
<li><a href="${options.issuer}/.well-known/jwks.json">JWKS</a> and <a href="${options.issuer}/.well-known/oauth-authorization-server">metadata</a></li>
</ul>
</section>`,
        viewer,
        'Overview',
      ),
    );
  });

  app.get('/overview/activity.json', async () => options.activity());
}
