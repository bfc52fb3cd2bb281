// A consumer's usage: requests per hour or day by status class, for one of its keys or clients or
// an API, with the rate limits, quotas and credits left of the consumer and of that key or client.
import { Type } from '@sinclair/typebox';
import { errorResponses, ref } from '../../admin/schemas.js';
import type { App } from '../../app.js';
import { PortcullisError } from '../../errors/codes.js';
import { quotaStatus } from '../../limits/quota-status.js';
import type { QuotaPolicy, RateLimitPolicy } from '../../store/types.js';
import { usageReport } from '../../usage/report.js';
import { clientOfConsumer, keyOfConsumer, type Reach } from '../reach.js';
import { PortalUsageQuery, PortalUsageReport } from '../schemas.js';
import type { PortalServer } from './portal-server.js';

interface Limited {
  id: string;
  rateLimit: RateLimitPolicy | null;
  quota: QuotaPolicy | null;
}

export function usageRoutes(server: PortalServer, app: App, reach: Reach): void {
  async function limitsOf(owner: 'consumer' | 'credential', { id, rateLimit, quota }: Limited) {
    return { id, rateLimit, quota, quotaStatus: await quotaStatus(app.limiters.requests, owner, id, quota, app.clock.now()) };
  }

  server.get(
    `${reach.prefix}/usage`,
    {
      schema: {
        operationId: reach.operationId('getUsage'),
        tags: reach.tags,
        summary: 'Requests per time bucket and status class, with rate limits, quotas and credits left',
        params: Type.Object(reach.params),
        querystring: PortalUsageQuery,
        response: { 200: ref(PortalUsageReport), ...errorResponses },
      },
    },
    async (request) => {
      const q = request.query;
      if (q.keyId && q.clientId) throw new PortcullisError('VALIDATION_FAILED', 'give keyId or clientId, not both');
      const consumer = await app.consumers.get(reach.consumerIdOf(request));
      // A key or client of another consumer is answered as an unknown one.
      const credential = q.keyId ? await keyOfConsumer(app, consumer.id, q.keyId) : q.clientId ? await clientOfConsumer(app, consumer.id, q.clientId) : null;
      const report = await usageReport(
        { store: app.store, clock: app.clock, flush: () => app.usage.flush() },
        { consumerId: consumer.id, credentialId: credential?.id, api: q.api, from: q.from, to: q.to, granularity: q.granularity ?? 'hour' },
      );
      return {
        ...report,
        limits: { consumer: await limitsOf('consumer', consumer), credential: credential ? await limitsOf('credential', credential) : null },
      };
    },
  );
}
