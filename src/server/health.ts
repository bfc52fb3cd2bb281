// Readiness: is the store answering, and does this node reach Redis? A ping that does not answer in
// time is a "no" — /readyz must answer within a second even when the store hangs (a silent network
// partition), so that a load balancer can take the node out instead of waiting with it.
// Redis down is "degraded", still 200: rate limiting fails soft to per-node limits and changes still
// reach the node through the store sync, so the node serves correctly; a 503 would take every node
// out at once whenever the shared Redis fails, turning a soft failure into an outage.
import type { RedisStatus, RedisStatusView } from '../cluster/redis-status.js';
import type { Store } from '../store/types.js';

/** /readyz answers within this, whatever `storeTimeout` is. */
export const READINESS_TIMEOUT_MS = 800;

export async function storeIsReady(store: Store, timeoutMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), Math.min(timeoutMs, READINESS_TIMEOUT_MS));
  });
  try {
    // The ping itself is bounded by storeTimeout and cleans up after itself; only the answer is early.
    return await Promise.race([
      store.ping().then(
        () => true,
        () => false,
      ),
      late,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

export interface Readiness {
  statusCode: 200 | 503;
  body: {
    status: 'ready' | 'degraded' | 'store unreachable' | 'draining';
    /** Only with `redis` configured. No host or URL: /readyz needs no admin key. */
    redis?: Omit<RedisStatusView, 'target'>;
  };
}

export async function readiness({
  store,
  storeTimeoutMs,
  redis,
  draining = false,
}: {
  store: Store;
  storeTimeoutMs: number;
  redis: RedisStatus | undefined;
  /** The node is shutting down: 503, so that a load balancer sends nothing more. */
  draining?: boolean;
}): Promise<Readiness> {
  if (draining) return { statusCode: 503, body: { status: 'draining' } };
  const storeReady = await storeIsReady(store, storeTimeoutMs);
  let redisPart: Pick<Readiness['body'], 'redis'> = {};
  if (redis) {
    const { target: _target, ...view } = redis.view();
    redisPart = { redis: view };
  }
  if (!storeReady) return { statusCode: 503, body: { status: 'store unreachable', ...redisPart } };
  const degraded = redisPart.redis !== undefined && redisPart.redis.state !== 'ready';
  return { statusCode: 200, body: { status: degraded ? 'degraded' : 'ready', ...redisPart } };
}
