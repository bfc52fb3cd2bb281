// /admin/v1/audit-events
import type { App } from '../../app.js';
import { decodeCursor, encodeCursor } from '../../lib/cursor.js';
import { AuditEventPage, AuditQueryWithDefaults, ref } from '../schemas.js';
import { auditEventView, parseTime } from '../views.js';
import type { AdminServer } from './admin-server.js';
import { errorResponses } from './responses.js';

export function auditRoutes(server: AdminServer, app: App): void {
  server.get(
    '/admin/v1/audit-events',
    {
      schema: {
        operationId: 'listAuditEvents',
        tags: ['audit'],
        summary: 'List audit events, newest first',
        querystring: AuditQueryWithDefaults,
        response: { 200: ref(AuditEventPage), ...errorResponses },
      },
    },
    async (request) => {
      const q = request.query;
      const page = await app.store.listAuditEvents({
        actor: q.actor,
        action: q.action,
        targetType: q.targetType,
        targetId: q.targetId,
        from: parseTime(q.from) ?? undefined,
        to: parseTime(q.to) ?? undefined,
        after: decodeCursor(q.cursor),
        limit: q.limit,
      });
      return { items: page.items.map(auditEventView), nextCursor: encodeCursor(page.nextCursor) };
    },
  );
}
