// /admin/v1/audit-events
import type { App } from '../../app.js';
import { listAuditEvents } from '../actions.js';
import { AuditEventPage, AuditQueryWithDefaults, errorResponses, ref } from '../schemas.js';
import type { AdminServer } from './admin-server.js';

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
    async (request) => listAuditEvents(app, request.query),
  );
}
