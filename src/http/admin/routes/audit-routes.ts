import type { FastifyInstance } from 'fastify';
import { nextAfter } from '../../../domain/views.js';
import type { AdminOptions } from '../admin-context.js';
import { AdminError } from '../admin-error.js';
import { auditEventSchema, auditQuerySchema, pageSchema } from '../schemas.js';

interface AuditQuery {
  limit: number;
  after?: string;
  action?: string;
  actor?: string;
  target_id?: string;
  since?: string;
  until?: string;
}

function time(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = Date.parse(value);
  if (Number.isNaN(ms))
    throw new AdminError('invalid_request', `${name} must be an ISO 8601 time, got '${value.slice(0, 40)}'`);
  return ms;
}

/** The audit log, newest first, filtered by action, actor, target and time. */
export async function auditRoutes(app: FastifyInstance, { listAudit }: AdminOptions): Promise<void> {
  app.get<{ Querystring: AuditQuery }>(
    '/audit',
    {
      schema: {
        tags: ['Admin'],
        summary: 'The audit log, newest first',
        querystring: auditQuerySchema,
        response: { 200: pageSchema(auditEventSchema) },
      },
    },
    async (request) => {
      const q = request.query;
      const items = await listAudit(
        {
          action: q.action,
          actor: q.actor,
          targetId: q.target_id,
          since: time('since', q.since),
          until: time('until', q.until),
        },
        { limit: q.limit, after: q.after },
      );
      return {
        items: items.map((e) => ({
          id: e.id,
          at: new Date(e.at).toISOString(),
          actor: e.actor,
          action: e.action,
          target_type: e.targetType,
          target_id: e.targetId,
          detail: e.detail,
        })),
        next_after: nextAfter(items, q.limit, (e) => e.id),
      };
    },
  );
}
