// Remaining usage credits of a consumer or credential, read without consuming any.
import type { RateLimiter } from '../ratelimit/interface.js';
import { unenforceableQuota } from './settings.js';
import type { QuotaSetting } from './types.js';

export interface QuotaStatus {
  limit: number;
  period: QuotaSetting['period'];
  used: number;
  remaining: number;
  /** When the quota refills (ISO 8601); null for a `total` quota. */
  resetAt: string | null;
}

/** `owner` is `consumer` or `credential`, `id` the consumer id or the key/client id: the same counter the gateway uses. */
export async function quotaStatus(
  limiter: RateLimiter,
  owner: 'consumer' | 'credential',
  id: string,
  quota: QuotaSetting | null,
  now: number,
): Promise<QuotaStatus | null> {
  // No status for a policy the limiter cannot run (stored around the admin API's checks): the record
  // still reads, so it can be found and fixed.
  if (quota === null || quota === undefined || unenforceableQuota(quota)) return null;
  const result = await limiter.peek({ quotas: [{ key: `quota:${owner}:${id}`, limit: quota.limit, period: quota.period, cost: 0 }] }, now);
  const decision = result.quotas[0]!;
  return {
    limit: quota.limit,
    period: quota.period,
    used: decision.used,
    remaining: decision.remaining,
    resetAt: decision.resetMs === null ? null : new Date(now + decision.resetMs).toISOString(),
  };
}
