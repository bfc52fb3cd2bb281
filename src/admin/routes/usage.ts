// /admin/v1/usage: request counts per bucket and status class, for a consumer, key/client or API.
import type { App } from '../../app.js';
import { PortcullisError } from '../../errors/codes.js';
import { usageReport } from '../../usage/report.js';
import { ref, UsageQueryWithDefaults, UsageReport } from '../schemas.js';
import type { AdminServer } from './admin-server.js';
import { errorResponses } from './responses.js';

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
    async (request) => {
      const q = request.query;
      if (q.key && q.client) throw new PortcullisError('VALIDATION_FAILED', 'give key or client, not both');
      return usageReport(
        { store: app.store, clock: app.clock, flush: () => app.usage.flush() },
        { consumerId: q.consumer, credentialId: q.key ?? q.client, api: q.api, from: q.from, to: q.to, granularity: q.granularity },
      );
    },
  );
}
