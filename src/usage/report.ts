// A usage report: the flushed per-minute counts of every node, summed per time bucket and status
// class, for a consumer, a key or client, or an API (the admin API's and the portal's `GET usage`).
import { PortcullisError } from '../errors/codes.js';
import type { Clock } from '../lib/clock.js';
import type { Store } from '../store/types.js';
import type { StatusClass } from '../store/usage-types.js';

const GRANULARITY_MS = { minute: 60_000, hour: 3_600_000, day: 86_400_000 } as const;
const MAX_BUCKETS = 10_000;

export type Granularity = keyof typeof GRANULARITY_MS;

export interface UsageReportQuery {
  consumerId?: string | undefined;
  /** A key id or a client id. */
  credentialId?: string | undefined;
  api?: string | undefined;
  /** ISO times; `to` defaults to now, `from` to 24 hours before `to`. */
  from?: string | undefined;
  to?: string | undefined;
  granularity: Granularity;
}

type Counts = Partial<Record<StatusClass, number>>;

export async function usageReport(deps: { store: Store; clock: Clock; flush: () => Promise<unknown> }, q: UsageReportQuery) {
  const width = GRANULARITY_MS[q.granularity];
  const to = q.to ? Date.parse(q.to) : deps.clock.now();
  const from = q.from ? Date.parse(q.from) : to - 86_400_000;
  if (!Number.isFinite(from) || !Number.isFinite(to) || from >= to) {
    throw new PortcullisError('INVALID_TIME', '`from` must be a valid time before `to`');
  }
  if ((to - from) / width > MAX_BUCKETS) {
    throw new PortcullisError('VALIDATION_FAILED', `the range holds more than ${MAX_BUCKETS} ${q.granularity} buckets; use a coarser granularity`);
  }
  // This node's counts of the current minute are written first, so one node reads its own writes.
  await deps.flush();
  const points = await deps.store.queryUsage({
    consumerId: q.consumerId,
    credentialId: q.credentialId,
    api: q.api,
    from: from - (from % width),
    to,
    granularityMs: width,
  });
  const buckets = new Map<number, { start: string; total: number; counts: Counts }>();
  const counts: Counts = {};
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
}
