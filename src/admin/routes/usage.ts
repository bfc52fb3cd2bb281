// /admin/v1/usage: request counts per bucket and status class, for a consumer, key/client or API.
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { App } from '../../app.js';
import { PortcullisError } from '../../errors/codes.js';
import type { StatusClass } from '../../store/usage-types.js';
import { errorResponses } from './responses.js';

const GRANULARITY_MS = { minute: 60_000, hour: 3_600_000, day: 86_400_000 } as const;
const MAX_BUCKETS = 10_000;

const UsageQuery = Type.Object(
  {
    consumer: Type.Optional(Type.String({ pattern: '^con_[0-9A-Za-z]{1,64}$' })),
    key: Type.Optional(Type.String({ pattern: '^key_[0-9A-Za-z]{1,64}$', description: 'An API key id' })),
    client: Type.Optional(Type.String({ pattern: '^cli_[0-9A-Za-z]{1,64}$', description: 'An OAuth client id' })),
    api: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    from: Type.Optional(Type.String({ format: 'date-time', description: 'Default: 24 hours before `to`' })),
    to: Type.Optional(Type.String({ format: 'date-time', description: 'Default: now' })),
    granularity: Type.Union([Type.Literal('minute'), Type.Literal('hour'), Type.Literal('day')], { default: 'hour' }),
  },
  { additionalProperties: false },
);
type UsageQueryType = Static<typeof UsageQuery>;

const Counts = Type.Record(Type.String(), Type.Integer(), { description: 'Requests by status class (2xx, 4xx, …)' });
const UsageResponse = Type.Object({
  granularity: Type.String(),
  from: Type.String({ format: 'date-time' }),
  to: Type.String({ format: 'date-time' }),
  total: Type.Integer(),
  counts: Counts,
  buckets: Type.Array(Type.Object({ start: Type.String({ format: 'date-time' }), total: Type.Integer(), counts: Counts })),
});

export function usageRoutes(server: FastifyInstance, app: App): void {
  server.get<{ Querystring: UsageQueryType }>(
    '/admin/v1/usage',
    {
      schema: {
        tags: ['usage'],
        summary: 'Request counts per time bucket and status class (flushed counts of every node)',
        querystring: UsageQuery,
        response: { 200: UsageResponse, ...errorResponses },
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
        if (!bucket) buckets.set(point.start, (bucket = { start: new Date(point.start).toISOString(), total: 0, counts: {} }));
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
