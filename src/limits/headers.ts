// RateLimit-Policy and RateLimit headers (draft-ietf-httpapi-ratelimit-headers), e.g.
//   RateLimit-Policy: "consumer";q=100;w=60
//   RateLimit: "consumer";r=42;t=18
// RateLimit reports the policy closest to its limit; Retry-After comes with every 429.
import type { LimitResult } from '../ratelimit/interface.js';
import type { NamedLimitCheck } from './policies.js';

const seconds = (ms: number) => Math.max(0, Math.ceil(ms / 1000));

export interface LimitHeaders {
  'ratelimit-policy': string;
  ratelimit: string;
  'retry-after'?: string;
}

export function limitHeaders(check: NamedLimitCheck, result: LimitResult): LimitHeaders | undefined {
  const policies: string[] = [];
  let closest: { name: string; remaining: number; resetMs: number; ratio: number } | undefined;
  const consider = (name: string, remaining: number, limit: number, resetMs: number) => {
    const ratio = limit === 0 ? 0 : remaining / limit;
    if (!closest || ratio < closest.ratio) closest = { name, remaining, resetMs, ratio };
  };
  result.rates.forEach((decision, i) => {
    const name = check.rates[i]!.name;
    policies.push(`"${name}";q=${decision.limit};w=${seconds(decision.windowMs)}`);
    consider(name, decision.remaining, decision.limit, decision.resetMs);
  });
  result.quotas.forEach((decision, i) => {
    const name = check.quotas[i]!.name;
    policies.push(`"${name}";q=${decision.limit}${decision.resetMs === null ? '' : `;w=${seconds(decision.resetMs)}`}`);
    consider(name, decision.remaining, decision.limit, decision.resetMs ?? 0);
  });
  if (!closest) return undefined;
  const headers: LimitHeaders = {
    'ratelimit-policy': policies.join(', '),
    ratelimit: `"${closest.name}";r=${closest.remaining};t=${seconds(closest.resetMs)}`,
  };
  if (!result.allowed && result.retryAfterMs !== null) headers['retry-after'] = String(seconds(result.retryAfterMs));
  return headers;
}
