// One limiter call per request: every policy that applies is checked, and consumed only if all pass.

import type { LimitCode, LimitResult, RateLimiter } from '../ratelimit/interface.js';
import { type LimitHeaders, limitHeaders } from './headers.js';
import { type IdentityLimits, type InvalidPolicy, type LimitSubject, limitsFor, type NamedLimitCheck } from './policies.js';
import type { RateSetting } from './types.js';

export interface LimitVerdict {
  allowed: boolean;
  /** POLICY_INVALID: a stored policy cannot be enforced (`invalid` says which); the request is refused, fail closed. */
  code: LimitCode | 'POLICY_INVALID';
  /** Absent when no policy applies (an unlimited API sends no RateLimit headers). */
  headers: LimitHeaders | undefined;
  invalid?: InvalidPolicy;
}

const UNLIMITED: LimitVerdict = Object.freeze({ allowed: true, code: 'ALLOWED', headers: undefined });

export async function enforceLimits(
  limiter: RateLimiter,
  subject: LimitSubject,
  apiLimit: RateSetting | undefined,
  limits: IdentityLimits | undefined,
  now: number,
  /** Told of the limiter's answer when a quota applies or a limit refused (webhooks/limit-events.ts); it only queues. */
  notice?: (subject: LimitSubject, check: NamedLimitCheck, result: LimitResult) => void,
): Promise<LimitVerdict> {
  const check = limitsFor(subject, apiLimit, limits);
  if (check.invalid) return { allowed: false, code: 'POLICY_INVALID', headers: undefined, invalid: check.invalid };
  if (check.rates.length === 0 && check.quotas.length === 0) return UNLIMITED;
  const result = await limiter.check(check, now);
  if (notice && (check.quotas.length > 0 || !result.allowed)) notice(subject, check, result);
  return { allowed: result.allowed, code: result.code, headers: limitHeaders(check, result, now) };
}
