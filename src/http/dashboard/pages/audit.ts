import type { FastifyInstance } from 'fastify';
import type { DashboardOptions } from '../dashboard-context.js';
import { html } from '../html.js';
import { field, notice, page, time } from '../layout.js';
import { sendPage, viewerOf } from '../request-state.js';

const PAGE_SIZE = 50;
type AuditQuery = {
  action?: string;
  actor?: string;
  target_id?: string;
  since?: string;
  until?: string;
  after?: string;
};

function when(value: string | undefined): number | undefined | 'bad' {
  if (value === undefined || value.trim() === '') return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? 'bad' : ms;
}

/** The audit log: filters by action, actor, target and time; each event's detail (before/after). */
export async function auditPages(app: FastifyInstance, options: DashboardOptions): Promise<void> {
  app.get<{ Querystring: AuditQuery }>('/audit', async (request, reply) => {
    const viewer = viewerOf(request);
    const q = request.query;
    const since = when(q.since);
    const until = when(q.until);
    const errors = {
      since: since === 'bad' ? 'since must be a time such as 2026-01-31T12:00' : undefined,
      until: until === 'bad' ? 'until must be a time such as 2026-01-31T12:00' : undefined,
    };
    const events =
      errors.since || errors.until
        ? []
        : await options.listAudit(
            {
              action: q.action || undefined,
              actor: q.actor || undefined,
              targetId: q.target_id || undefined,
              since: since as number | undefined,
              until: until as number | undefined,
            },
            { limit: PAGE_SIZE + 1, after: q.after || undefined },
          );
    const shown = events.slice(0, PAGE_SIZE);
    const next = events.length > PAGE_SIZE ? shown.at(-1)?.id : undefined;
    const filters = {
      action: q.action ?? '',
      actor: q.actor ?? '',
      target_id: q.target_id ?? '',
      since: q.since ?? '',
      until: q.until ?? '',
    };
    return sendPage(
      reply,
      page(
        'Audit log',
        html`<form method="get" action="/dashboard/audit" class="card filters" role="search">
${field({ label: 'Action', name: 'action', value: filters.action, hint: 'e.g. application.create' })}
${field({ label: 'Actor', name: 'actor', value: filters.actor })}
${field({ label: 'Target id', name: 'target_id', value: filters.target_id })}
${field({ label: 'Since', name: 'since', type: 'datetime-local', value: filters.since, error: errors.since })}
${field({ label: 'Until', name: 'until', type: 'datetime-local', value: filters.until, error: errors.until })}
<button type="submit">Filter</button>
</form>
${notice(shown.length === 0 ? 'No events match.' : undefined)}
<table>
<caption>Audit events, newest first</caption>
<thead><tr><th scope="col">When</th><th scope="col">Actor</th><th scope="col">Action</th><th scope="col">Target</th><th scope="col">Detail</th></tr></thead>
<tbody>${shown.map(
          (e) =>
            html`<tr><td>${time(e.at)}</td><td>${e.actor}</td><td>${e.action}</td><td>${e.targetType} <code>${e.targetId ?? ''}</code></td><td><details><summary>Detail</summary><pre>${JSON.stringify(e.detail, null, 2)}</pre></details></td></tr>`,
        )}</tbody>
</table>
${next && html`<p><a href="/dashboard/audit?${new URLSearchParams({ ...filters, after: next }).toString()}">Older events</a></p>`}`,
        viewer,
        'Audit log',
      ),
    );
  });
}
