import type { FastifyInstance } from 'fastify';
import type { Application } from '../../../domain/application.js';
import type { Customer } from '../../../domain/customer.js';
import type { DashboardOptions } from '../dashboard-context.js';
import { type Html, html } from '../html.js';
import { csrfField, field, notice, page, postButton, time, type Viewer } from '../layout.js';
import { formOf, sendPage, viewerOf } from '../request-state.js';
import { fieldErrors } from './form-errors.js';

const PAGE_SIZE = 50;
type Id = { Params: { id: string } };
type ListQuery = { Querystring: { app?: string; q?: string; after?: string } };

/** Customers of one application: create by app_user_id, search, disable/enable, delete. */
export async function customerPages(app: FastifyInstance, options: DashboardOptions): Promise<void> {
  const { applications, customers, deletions } = options;
  const tokenEndpoint = `${options.issuer}/oauth2/token`;

  const sample = (a: Application, customerId: string) =>
    html`<pre><code>curl -s ${tokenEndpoint} -d grant_type=client_credentials -d scope=customer.${customerId} -d client_id=${a.clientId} -d client_secret=&lt;client_secret&gt;</code></pre>`;

  async function listPage(
    viewer: Viewer,
    a: Application,
    query: { q?: string | undefined; after?: string | undefined },
    extra: { errors?: Record<string, string>; appUserId?: string; created?: Customer; done?: string } = {},
  ): Promise<string> {
    const q = (query.q ?? '').trim();
    const rows = await customers.list(a.clientId, { limit: q ? 1000 : PAGE_SIZE + 1, after: query.after });
    const matching = rows.filter((c) => q === '' || c.appUserId.includes(q) || c.customerId.includes(q));
    const shown = matching.slice(0, PAGE_SIZE);
    const next = !q && rows.length > PAGE_SIZE ? shown.at(-1)?.customerId : undefined;
    const errors = extra.errors ?? {};
    return page(
      `Customers of ${a.name}`,
      html`${notice(extra.done)}
${extra.created && html`<div class="card" role="region" aria-label="New customer"><p>Added customer <code>${extra.created.customerId}</code> (app_user_id ${extra.created.appUserId}). A customer token for it:</p>${sample(a, extra.created.customerId)}</div>`}
${
  viewer.canWrite
    ? html`<form method="post" action="/dashboard/customers" class="card">${csrfField(viewer)}
<input type="hidden" name="app" value="${a.clientId}">
${field({ label: 'App user id', name: 'app_user_id', value: extra.appUserId, required: true, hint: 'Your application’s own id for this end user.', error: errors.app_user_id })}
<button type="submit">Add customer</button>
</form>`
    : ''
}
<form method="get" action="/dashboard/customers" class="search" role="search">
<input type="hidden" name="app" value="${a.clientId}">
<label for="q">Search by app_user_id or customer_id</label> <input id="q" name="q" type="search" value="${q}"> <button type="submit">Search</button>
</form>
<table>
<caption>Customers of ${a.name}</caption>
<thead><tr><th scope="col">app_user_id</th><th scope="col">customer_id</th><th scope="col">Status</th><th scope="col">Created</th>${viewer.canWrite ? html`<th scope="col">Actions</th>` : ''}</tr></thead>
<tbody>${shown.map((c) => row(viewer, c))}</tbody>
</table>
${shown.length === 0 ? html`<p>No customers${q && ' match'}.</p>` : ''}
${next && html`<p><a href="/dashboard/customers?${new URLSearchParams({ app: a.clientId, after: next }).toString()}">Next page</a></p>`}
<h2>A customer-token request</h2>
${sample(a, '<customer_id>')}`,
      viewer,
      'Customers',
    );
  }

  const row = (viewer: Viewer, c: Customer): Html =>
    html`<tr><td>${c.appUserId}</td><td><code>${c.customerId}</code></td><td><span class="status ${c.status}">${c.status}</span></td><td>${time(c.createdAt)}</td>${
      viewer.canWrite
        ? html`<td class="actions">${
            c.status === 'active'
              ? postButton(viewer, `/dashboard/customers/${c.customerId}/disable`, `Disable ${c.appUserId}`)
              : postButton(viewer, `/dashboard/customers/${c.customerId}/enable`, `Enable ${c.appUserId}`)
          } <a class="button danger" href="/dashboard/customers/${c.customerId}/delete">Delete ${c.appUserId}…</a></td>`
        : ''
    }</tr>`;

  app.get<ListQuery>('/customers', async (request, reply) => {
    const viewer = viewerOf(request);
    if (request.query.app) {
      const a = await applications.get(request.query.app);
      return sendPage(reply, await listPage(viewer, a, request.query));
    }
    const all = await applications.list({ limit: 1000 });
    return sendPage(
      reply,
      page(
        'Customers',
        html`<form method="get" action="/dashboard/customers" class="card narrow">
<label for="app">Application</label>
<select id="app" name="app">${all.map((a) => html`<option value="${a.clientId}">${a.name} (${a.clientId})</option>`)}</select>
<button type="submit">Show customers</button>
</form>`,
        viewer,
        'Customers',
      ),
    );
  });

  app.post('/customers', async (request, reply) => {
    const viewer = viewerOf(request);
    const form = formOf(request);
    const a = await applications.get(form.get('app') ?? '');
    const appUserId = form.get('app_user_id') ?? '';
    try {
      const created = await customers.create(a.clientId, appUserId, viewer.operator.email);
      return sendPage(reply, await listPage(viewer, a, {}, { created }), 201);
    } catch (error) {
      return sendPage(
        reply,
        await listPage(viewer, a, {}, { errors: fieldErrors(error, 'app_user_id'), appUserId }),
        400,
      );
    }
  });

  for (const action of ['disable', 'enable'] as const) {
    app.post<Id>(`/customers/:id/${action}`, async (request, reply) => {
      const viewer = viewerOf(request);
      const c = await customers[action](request.params.id, viewer.operator.email);
      const a = await applications.get(c.clientId);
      return sendPage(
        reply,
        await listPage(
          viewer,
          a,
          {},
          { done: `${action === 'disable' ? 'Disabled' : 'Enabled'} ${c.appUserId}.` },
        ),
      );
    });
  }

  const deleteForm = (viewer: Viewer, c: Customer, error?: string) =>
    page(
      `Delete customer ${c.appUserId}`,
      html`<p class="notice error">Deleting customer <strong>${c.appUserId}</strong> (<code>${c.customerId}</code>) removes it for good.</p>
<form method="post" action="/dashboard/customers/${c.customerId}/delete" class="card">${csrfField(viewer)}
${field({ label: `Type the app_user_id (${c.appUserId}) to confirm`, name: 'confirm', required: true, error })}
<button type="submit" class="danger">Delete customer ${c.appUserId}</button>
</form>`,
      viewer,
      'Customers',
    );

  app.get<Id>('/customers/:id/delete', async (request, reply) =>
    sendPage(reply, deleteForm(viewerOf(request), await customers.get(request.params.id))),
  );

  app.post<Id>('/customers/:id/delete', async (request, reply) => {
    const viewer = viewerOf(request);
    const c = await customers.get(request.params.id);
    if ((formOf(request).get('confirm') ?? '') !== c.appUserId) {
      return sendPage(reply, deleteForm(viewer, c, 'That is not its app_user_id: nothing was deleted.'), 400);
    }
    await deletions.deleteCustomer(c.customerId, viewer.operator.email);
    const a = await applications.get(c.clientId);
    return sendPage(reply, await listPage(viewer, a, {}, { done: `Deleted customer ${c.appUserId}.` }));
  });
}
