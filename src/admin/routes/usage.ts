// /admin/v1/usage: request counts per bucket and status class, for a consumer, key/client or API.
import type { App } from '../../app.js';
import { usage } from '../actions.js';
import { errorResponses, ref, UsageQueryWithDefaults, UsageReport } from '../schemas.js';
import type { AdminServer } from './admin-server.js';

export function usageRoutes(server: AdminServer, app: App): void {
  server.get(
    '/admin/v1/usage',
    {
      schema: {
        operationId: 'getUsage',
        tags: ['usage'],
        summary: 'Request counts per time bucket and status class (flushed counts of every node)',
        querystring: UsageQueryWithDefaults,
        response: { 200: ref(UsageReport), ...errorResponses },
      },
    },
    async (request) => usage(app, request.query),
  );
}
