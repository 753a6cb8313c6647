import type { FastifyInstance } from 'fastify';
import type { Application } from '../../../domain/application.js';
import type { DashboardOptions } from '../dashboard-context.js';
import { html } from '../html.js';
import { csrfField, field, notice, page, postButton, time, type Viewer } from '../layout.js';
import { formOf, sendPage, viewerOf } from '../request-state.js';
import {
  newForm,
  type SettingsForm,
  settingsFields,
  settingsFormFrom,
  settingsFormOf,
  settingsOf,
} from './application-forms.js';
import { clientAuthFacts } from './client-auth-fields.js';
import { fieldErrors, seconds } from './form-errors.js';
import { secretShownOnce } from './secret-panel.js';

const PAGE_SIZE = 20;
type Id = { Params: { id: string } };

async function search(options: DashboardOptions, q: string, after: string | undefined) {
  const found: Application[] = [];
  let cursor = after;
  for (;;) {
    const batch = await options.applications.list({ limit: 200, after: cursor });
    const needle = q.toLowerCase();
    for (const a of batch) {
      if (needle === '' || a.name.toLowerCase().includes(needle) || a.clientId.includes(needle))
        found.push(a);
      if (found.length > PAGE_SIZE) return { items: found.slice(0, PAGE_SIZE), more: true };
    }
    if (batch.length < 200) return { items: found, more: false };
    cursor = batch.at(-1)?.clientId;
  }
}

function detailPage(
  viewer: Viewer,
  a: Application,
  errors: Record<string, string> = {},
  done?: string,
  /** What was posted, shown again beside its errors; the application's settings otherwise. */
  posted: SettingsForm = settingsFormOf(a),
): string {
  const base = `/dashboard/applications/${a.clientId}`;
  return page(
    a.name,
    html`${notice(done)}
<dl class="facts">
<dt>client_id</dt><dd><code>${a.clientId}</code></dd>
<dt>Status</dt><dd><span class="status ${a.status}">${a.status}</span></dd>
<dt>Created</dt><dd>${time(a.createdAt)}</dd>
<dt>Updated</dt><dd>${time(a.updatedAt)}</dd>
${clientAuthFacts(a)}
</dl>
<p><a href="/dashboard/customers?app=${a.clientId}">Customers of ${a.name}</a></p>
${
  viewer.canWrite
    ? html`<h2>Settings</h2>
<form method="post" action="${base}" class="card">${csrfField(viewer)}
${settingsFields(posted, errors)}
<button type="submit">Save</button>
</form>
<h2>Secret</h2>
<form method="post" action="${base}/rotate-secret" class="card">${csrfField(viewer)}
${field({ label: 'Grace period (seconds) for the old secret', name: 'grace_seconds', type: 'number', hint: 'Empty: the server default; 0 ends the old secret now.', error: errors.grace_seconds })}
<button type="submit">Rotate secret</button>
</form>
<h2>Status</h2>
<div class="actions">
${a.status === 'active' ? postButton(viewer, `${base}/disable`, 'Disable') : postButton(viewer, `${base}/enable`, 'Enable')}
<a class="button danger" href="${base}/delete">Delete…</a>
</div>`
    : html`<dl class="facts">
<dt>Token classes</dt><dd>${a.tokenClasses.join(', ')}</dd>
<dt>Resource server</dt><dd>${a.resourceServer ? 'yes' : 'no'}</dd>
</dl>`
}`,
    viewer,
    'Applications',
  );
}

/** Applications: search and pages, create (secret shown once), edit, rotate, disable/enable, delete. */
export async function applicationPages(app: FastifyInstance, options: DashboardOptions): Promise<void> {
  const { applications, deletions } = options;
  const tokenEndpoint = `${options.issuer}/oauth2/token`;

  app.get<{ Querystring: { q?: string; after?: string } }>('/applications', async (request, reply) => {
    const viewer = viewerOf(request);
    const q = (request.query.q ?? '').trim();
    const { items, more } = await search(options, q, request.query.after);
    const next = more ? items.at(-1)?.clientId : undefined;
    return sendPage(
      reply,
      page(
        'Applications',
        html`${viewer.canWrite ? html`<form method="get" action="/dashboard/applications/new" class="inline"><button type="submit">New application</button></form>` : ''}
<form method="get" action="/dashboard/applications" class="search" role="search">
<label for="q">Search by name or client_id</label> <input id="q" name="q" type="search" value="${q}"> <button type="submit">Search</button>
</form>
<table>
<caption>Applications${q && html` matching “${q}”`}</caption>
<thead><tr><th scope="col">Name</th><th scope="col">client_id</th><th scope="col">Status</th><th scope="col">Token classes</th><th scope="col">Created</th></tr></thead>
<tbody>${items.map(
          (a) =>
            html`<tr><td><a href="/dashboard/applications/${a.clientId}">${a.name}</a></td><td><code>${a.clientId}</code></td><td><span class="status ${a.status}">${a.status}</span></td><td>${a.tokenClasses.join(', ')}</td><td>${time(a.createdAt)}</td></tr>`,
        )}</tbody>
</table>
${items.length === 0 ? html`<p>No applications${q && ' match'}.</p>` : ''}
${next && html`<p><a href="/dashboard/applications?${new URLSearchParams({ q, after: next }).toString()}">Next page</a></p>`}`,
        viewer,
        'Applications',
      ),
    );
  });

  app.get('/applications/new', async (request, reply) =>
    sendPage(reply, newForm(viewerOf(request), settingsFormOf({}))),
  );

  app.post('/applications', async (request, reply) => {
    const viewer = viewerOf(request);
    const posted = settingsFormFrom(formOf(request));
    try {
      const { application, clientSecret } = await applications.create(
        settingsOf(posted),
        viewer.operator.email,
      );
      return sendPage(
        reply,
        page(
          'Application created',
          html`<p>Application <a href="/dashboard/applications/${application.clientId}">${application.name}</a> is registered.</p>
${secretShownOnce(application, clientSecret, tokenEndpoint, null)}`,
          viewer,
          'Applications',
        ),
        201,
      );
    } catch (error) {
      return sendPage(reply, newForm(viewer, posted, fieldErrors(error, 'name')), 400);
    }
  });

  app.get<Id>('/applications/:id', async (request, reply) =>
    sendPage(reply, detailPage(viewerOf(request), await applications.get(request.params.id))),
  );

  app.post<Id>('/applications/:id', async (request, reply) => {
    const viewer = viewerOf(request);
    const current = await applications.get(request.params.id);
    const posted = settingsFormFrom(formOf(request));
    try {
      const updated = await applications.update(current.clientId, settingsOf(posted), viewer.operator.email);
      return sendPage(reply, detailPage(viewer, updated, {}, 'Saved.'));
    } catch (error) {
      const errors = fieldErrors(error, 'name');
      return sendPage(reply, detailPage(viewer, current, errors, undefined, posted), 400);
    }
  });

  app.post<Id>('/applications/:id/rotate-secret', async (request, reply) => {
    const viewer = viewerOf(request);
    const current = await applications.get(request.params.id);
    try {
      const grace = seconds(formOf(request).get('grace_seconds'));
      const rotated = await applications.rotateSecret(
        current.clientId,
        { graceSeconds: grace ?? undefined },
        viewer.operator.email,
      );
      return sendPage(
        reply,
        page(
          'Secret rotated',
          html`<p>A new secret for <a href="/dashboard/applications/${current.clientId}">${current.name}</a>.</p>
${secretShownOnce(current, rotated.clientSecret, tokenEndpoint, rotated.previousSecretExpiresAt)}`,
          viewer,
          'Applications',
        ),
      );
    } catch (error) {
      return sendPage(reply, detailPage(viewer, current, fieldErrors(error, 'grace_seconds')), 400);
    }
  });

  for (const action of ['disable', 'enable'] as const) {
    app.post<Id>(`/applications/:id/${action}`, async (request, reply) => {
      const viewer = viewerOf(request);
      const updated = await applications[action](request.params.id, viewer.operator.email);
      return sendPage(
        reply,
        detailPage(
          viewer,
          updated,
          {},
          action === 'disable' ? 'Disabled: its tokens are refused.' : 'Enabled.',
        ),
      );
    });
  }

  const deleteForm = (viewer: Viewer, a: Application, error?: string) =>
    page(
      `Delete ${a.name}`,
      html`<p class="notice error">Deleting <strong>${a.name}</strong> (<code>${a.clientId}</code>) removes it and all its customers for good; its tokens stop working.</p>
<form method="post" action="/dashboard/applications/${a.clientId}/delete" class="card">${csrfField(viewer)}
${field({ label: `Type the application’s name (${a.name}) to confirm`, name: 'confirm_name', required: true, error })}
<button type="submit" class="danger">Delete ${a.name}</button>
</form>
<p><a href="/dashboard/applications/${a.clientId}">Keep it</a></p>`,
      viewer,
      'Applications',
    );

  app.get<Id>('/applications/:id/delete', async (request, reply) =>
    sendPage(reply, deleteForm(viewerOf(request), await applications.get(request.params.id))),
  );

  app.post<Id>('/applications/:id/delete', async (request, reply) => {
    const viewer = viewerOf(request);
    const a = await applications.get(request.params.id);
    if ((formOf(request).get('confirm_name') ?? '').trim() !== a.name) {
      return sendPage(reply, deleteForm(viewer, a, 'The name does not match: nothing was deleted.'), 400);
    }
    const deleted = await deletions.deleteApplication(a.clientId, viewer.operator.email);
    return sendPage(
      reply,
      page(
        'Application deleted',
        html`${notice(`Deleted ${a.name} and ${deleted.customersDeleted} customer(s).`)}<p><a href="/dashboard/applications">Applications</a></p>`,
        viewer,
        'Applications',
      ),
    );
  });
}
