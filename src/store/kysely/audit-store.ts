import type { AuditStore } from '../../domain/audit-event.js';
import type { KyselyContext } from './context.js';

/** The audit log, over Kysely. */
export function kyselyAuditStore({ db }: KyselyContext): AuditStore {
  return {
    async insertAuditEvents(events) {
      if (events.length === 0) return;
      await db
        .insertInto('audit_events')
        .values(
          events.map((e) => ({
            id: e.id,
            at: e.at,
            actor: e.actor,
            action: e.action,
            target_type: e.targetType,
            target_id: e.targetId,
            detail: JSON.stringify(e.detail),
          })),
        )
        .execute();
    },

    async purgeAuditEvents(before, limit) {
      // A DELETE with LIMIT is not SQL both backends take; a keyed subquery is, and uses the index on at.
      const oldest = db
        .selectFrom('audit_events')
        .select('id')
        .where('at', '<', before)
        .orderBy('at')
        .limit(limit);
      const result = await db.deleteFrom('audit_events').where('id', 'in', oldest).executeTakeFirst();
      return Number(result.numDeletedRows);
    },

    async listAuditEvents(filter, page) {
      let query = db
        .selectFrom('audit_events')
        .selectAll()
        .orderBy('at', 'desc')
        .orderBy('id', 'desc')
        .limit(page.limit);
      if (filter.action !== undefined) query = query.where('action', '=', filter.action);
      if (filter.actor !== undefined) query = query.where('actor', '=', filter.actor);
      if (filter.targetId !== undefined) query = query.where('target_id', '=', filter.targetId);
      if (filter.since !== undefined) query = query.where('at', '>=', filter.since);
      if (filter.until !== undefined) query = query.where('at', '<', filter.until);
      if (page.after !== undefined) {
        const last = await db
          .selectFrom('audit_events')
          .select(['at', 'id'])
          .where('id', '=', page.after)
          .executeTakeFirst();
        if (!last) return [];
        query = query.where((eb) =>
          eb.or([eb('at', '<', last.at), eb.and([eb('at', '=', last.at), eb('id', '<', last.id)])]),
        );
      }
      return (await query.execute()).map((r) => ({
        id: r.id,
        at: Number(r.at),
        actor: r.actor,
        action: r.action,
        targetType: r.target_type,
        targetId: r.target_id,
        detail: JSON.parse(r.detail) as Record<string, unknown>,
      }));
    },
  };
}
