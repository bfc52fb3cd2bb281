// Which rate limits and quotas apply to one request: the API's (counted by consumer, credential,
// IP or route), the consumer's and the credential's. Pure: the gateway calls it once per request.
import type { LimitCheck, QuotaPolicy, RatePolicy } from '../ratelimit/interface.js';
import { parseDuration } from '../lib/duration.js';
import type { QuotaSetting, RateSetting } from './types.js';

/** The limit settings that travel with an authenticated identity. */
export interface IdentityLimits {
  consumer: { rateLimit: RateSetting | null; quota: QuotaSetting | null };
  credential: { rateLimit: RateSetting | null; quota: QuotaSetting | null };
}

export interface LimitSubject {
  api: string;
  /** `GET /orders/{id}` or the API's base path when it has no operations. */
  route: string;
  ip: string;
  consumerId: string;
  credentialId: string;
}

/** A named policy: `name` is what the RateLimit headers call it. */
export interface NamedRate extends RatePolicy {
  name: string;
}
export interface NamedQuota extends QuotaPolicy {
  name: string;
}
export interface NamedLimitCheck extends LimitCheck {
  rates: NamedRate[];
  quotas: NamedQuota[];
}

/**
 * `keyScope` keeps counters apart (`api:orders` counts per API, `all` across APIs); `label` names the
 * policy in the headers (`api-consumer`, `consumer`).
 */
function rate(setting: RateSetting, subject: LimitSubject, fallback: NonNullable<RateSetting['by']>, keyScope: string, label: string): NamedRate {
  const by = setting.by ?? fallback;
  const id = { consumer: subject.consumerId, credential: subject.credentialId, ip: subject.ip, route: subject.route }[by];
  return { key: `${keyScope}:${by}:${id}`, name: label ? `${label}-${by}` : by, limit: setting.limit, windowMs: parseDuration(setting.window) };
}

/** Whether limitsFor would find any policy: lets the gateway skip the limiter for unlimited callers. */
export function anyLimit(apiLimit: RateSetting | undefined, limits: IdentityLimits | undefined): boolean {
  if (apiLimit) return true;
  return limits !== undefined && !!(limits.consumer.rateLimit || limits.consumer.quota || limits.credential.rateLimit || limits.credential.quota);
}

export function limitsFor(subject: LimitSubject, apiLimit: RateSetting | undefined, limits: IdentityLimits | undefined): NamedLimitCheck {
  const rates: NamedRate[] = [];
  const quotas: NamedQuota[] = [];
  // An API's own limit counts per API; a consumer's or credential's counts across every API.
  if (apiLimit) rates.push(rate(apiLimit, subject, 'consumer', `api:${subject.api}`, 'api'));
  if (limits?.consumer.rateLimit) rates.push(rate(limits.consumer.rateLimit, subject, 'consumer', 'all', ''));
  if (limits?.credential.rateLimit) rates.push(rate(limits.credential.rateLimit, subject, 'credential', 'all', ''));
  if (limits?.consumer.quota) {
    quotas.push({ key: `quota:consumer:${subject.consumerId}`, name: 'consumer-quota', ...limits.consumer.quota });
  }
  if (limits?.credential.quota) {
    quotas.push({ key: `quota:credential:${subject.credentialId}`, name: 'credential-quota', ...limits.credential.quota });
  }
  return { rates, quotas };
}
