// /admin/v1/usage: request counts per bucket and status class, for a consumer, key/client or API.
import type { App } from '../../app.js';
import { PortcullisError } from '../../errors/codes.js';
import type { StatusClass } from '../../store/usage-types.js';
import { ref, UsageQueryWithDefaults, UsageReport } from '../schemas.js';
import type { AdminServer } from './admin-server.js';
import { errorResponses } from './responses.js';

const GRANULARITY_MS = { minute: 60_000, hour: 3_600_000, day: 86_400_000 } as const;
const MAX_BUCKETS = 10_000;

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
      const width = GRANULARITY_MS[q.granularity];
      const to = q.to ? Date.parse(q.to) : app.clock.now();
      const from = q.from ? Date.parse(q.from) : to - 86_400_000;
      if (!Number.isFinite(from) || !Number.isFinite(to) || from >= to) {
        throw new PortcullisError('INVALID_TIME', '`from` must be a valid time before `to`');
      }
      if ((to - from) / width > MAX_BUCKETS) {
        throw new PortcullisError('VALIDATION_FAILED', `the range holds more than ${MAX_BUCKETS} ${q.granularity} buckets; use a coarser granularity`);
      }
      // This node's counts of the current minute are written first, so one node reads its own writes.
      await app.usage.flush();
      const points = await app.store.queryUsage({
        consumerId: q.consumer,
        credentialId: q.key ?? q.client,
        api: q.api,
        from: from - (from % width),
        to,
        granularityMs: width,
      });
      const buckets = new Map<number, { start: string; total: number; counts: Partial<Record<StatusClass, number>> }>();
      const counts: Partial<Record<StatusClass, number>> = {};
      let total = 0;
      for (const point of points) {
        let bucket = buckets.get(point.start);
        if (!bucket) {
          bucket = { start: new Date(point.start).toISOString(), total: 0, counts: {} };
          buckets.set(point.start, bucket);
        }
        bucket.counts[point.statusClass] = (bucket.counts[point.statusClass] ?? 0) + point.count;
        bucket.total += point.count;
        counts[point.statusClass] = (counts[point.statusClass] ?? 0) + point.count;
        total += point.count;
      }
      return {
        granularity: q.granularity,
        from: new Date(from).toISOString(),
        to: new Date(to).toISOString(),
        total,
        counts,
        buckets: [...buckets.values()],
      };
    },
  );
}
