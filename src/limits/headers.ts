// RateLimit-Policy and RateLimit headers (draft-ietf-httpapi-ratelimit-headers), e.g.
//   RateLimit-Policy: "consumer";q=100;w=60
//   RateLimit: "consumer";r=42;t=18
// RateLimit reports the policy closest to its limit; Retry-After comes with every 429.
//
// The reading (draft-ietf-httpapi-ratelimit-headers-10): `w` is the policy's window — the rate's window, or the
// length of the quota's current calendar period (86400 for a day, the current month's length for a month,
// absent for a `total` quota, which never refills). `t` is the number of seconds until more quota is made
// available, never more than `w`: a sliding window can hold a unit for up to two windows, so the exact wait
// is left to Retry-After, which every 429 carries. A `total` quota has no `t`.
import type { LimitResult } from '../ratelimit/interface.js';
import { periodEnd, periodStart } from '../ratelimit/period.js';
import type { NamedLimitCheck } from './policies.js';

const seconds = (ms: number) => Math.max(0, Math.ceil(ms / 1000));

export interface LimitHeaders {
  'ratelimit-policy': string;
  ratelimit: string;
  'retry-after'?: string;
}

export function limitHeaders(check: NamedLimitCheck, result: LimitResult, now: number): LimitHeaders | undefined {
  const policies: string[] = [];
  let closest: { name: string; remaining: number; resetMs: number | null; ratio: number } | undefined;
  const consider = (name: string, remaining: number, limit: number, resetMs: number | null) => {
    const ratio = limit === 0 ? 0 : remaining / limit;
    if (!closest || ratio < closest.ratio) closest = { name, remaining, resetMs, ratio };
  };
  result.rates.forEach((decision, i) => {
    const name = check.rates[i]!.name;
    policies.push(`"${name}";q=${decision.limit};w=${seconds(decision.windowMs)}`);
    consider(name, decision.remaining, decision.limit, Math.min(decision.resetMs, decision.windowMs));
  });
  result.quotas.forEach((decision, i) => {
    const name = check.quotas[i]!.name;
    const end = periodEnd(now, decision.period);
    const window = end === null ? '' : `;w=${seconds(end - periodStart(now, decision.period))}`;
    policies.push(`"${name}";q=${decision.limit}${window}`);
    consider(name, decision.remaining, decision.limit, decision.resetMs);
  });
  if (!closest) return undefined;
  const headers: LimitHeaders = {
    'ratelimit-policy': policies.join(', '),
    ratelimit: `"${closest.name}";r=${closest.remaining}${closest.resetMs === null ? '' : `;t=${seconds(closest.resetMs)}`}`,
  };
  if (!result.allowed && result.retryAfterMs !== null) headers['retry-after'] = String(seconds(result.retryAfterMs));
  return headers;
}
