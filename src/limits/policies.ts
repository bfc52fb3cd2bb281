// Which rate limits and quotas apply to one request: the API's (counted by consumer, credential,
// IP or route), the consumer's and the credential's. Pure: the gateway calls it once per request.
// Stored settings are checked here, as the limiter needs them: one it could not enforce makes the
// whole check `invalid` (the gateway refuses the request) rather than a fault on every request.
import type { LimitCheck, QuotaPolicy, RatePolicy } from '../ratelimit/interface.js';
import { enforceableRateWindow, type SettingProblem, unenforceableQuota } from './settings.js';
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
/** A policy the limiter cannot enforce, and whose it is. */
export interface InvalidPolicy extends SettingProblem {
  owner: 'api' | 'consumer' | 'credential';
  policy: 'rateLimit' | 'quota';
}

export interface NamedLimitCheck extends LimitCheck {
  rates: NamedRate[];
  quotas: NamedQuota[];
  /** Set when a policy cannot be enforced: the request must be refused, not checked. */
  invalid?: InvalidPolicy;
}

/**
 * `keyScope` keeps counters apart (`api:orders` counts per API, `all` across APIs); `label` names the
 * policy in the headers (`api-consumer`, `consumer`).
 */
function rate(
  setting: RateSetting,
  windowMs: number,
  subject: LimitSubject,
  fallback: NonNullable<RateSetting['by']>,
  keyScope: string,
  label: string,
): NamedRate {
  const by = setting.by ?? fallback;
  const id = { consumer: subject.consumerId, credential: subject.credentialId, ip: subject.ip, route: subject.route }[by];
  return { key: `${keyScope}:${by}:${id}`, name: label ? `${label}-${by}` : by, limit: setting.limit, windowMs };
}

// Any stored value but null (or absent) is a policy to apply: `0` or `""` in a rate_limit column is
// a broken policy to refuse on, not "no limit".
const present = (setting: unknown): boolean => setting !== null && setting !== undefined;

/** Whether limitsFor would find any policy: lets the gateway skip the limiter for unlimited callers. */
export function anyLimit(apiLimit: RateSetting | undefined, limits: IdentityLimits | undefined): boolean {
  if (apiLimit) return true;
  return (
    limits !== undefined &&
    (present(limits.consumer.rateLimit) || present(limits.consumer.quota) || present(limits.credential.rateLimit) || present(limits.credential.quota))
  );
}

function refused(owner: InvalidPolicy['owner'], policy: InvalidPolicy['policy'], problem: SettingProblem): NamedLimitCheck {
  return { rates: [], quotas: [], invalid: { owner, policy, ...problem } };
}

export function limitsFor(subject: LimitSubject, apiLimit: RateSetting | undefined, limits: IdentityLimits | undefined): NamedLimitCheck {
  const rates: NamedRate[] = [];
  const quotas: NamedQuota[] = [];
  // An API's own limit counts per API; a consumer's or credential's counts across every API.
  if (apiLimit) {
    const windowMs = enforceableRateWindow(apiLimit);
    if (typeof windowMs !== 'number') return refused('api', 'rateLimit', windowMs);
    rates.push(rate(apiLimit, windowMs, subject, 'consumer', `api:${subject.api}`, 'api'));
  }
  if (!limits) return { rates, quotas };
  const { consumer, credential } = limits;
  if (present(consumer.rateLimit)) {
    const windowMs = enforceableRateWindow(consumer.rateLimit);
    if (typeof windowMs !== 'number') return refused('consumer', 'rateLimit', windowMs);
    rates.push(rate(consumer.rateLimit!, windowMs, subject, 'consumer', 'all', ''));
  }
  if (present(credential.rateLimit)) {
    const windowMs = enforceableRateWindow(credential.rateLimit);
    if (typeof windowMs !== 'number') return refused('credential', 'rateLimit', windowMs);
    rates.push(rate(credential.rateLimit!, windowMs, subject, 'credential', 'all', ''));
  }
  if (present(consumer.quota)) {
    const problem = unenforceableQuota(consumer.quota);
    if (problem) return refused('consumer', 'quota', problem);
    quotas.push({ key: `quota:consumer:${subject.consumerId}`, name: 'consumer-quota', limit: consumer.quota!.limit, period: consumer.quota!.period });
  }
  if (present(credential.quota)) {
    const problem = unenforceableQuota(credential.quota);
    if (problem) return refused('credential', 'quota', problem);
    quotas.push({
      key: `quota:credential:${subject.credentialId}`,
      name: 'credential-quota',
      limit: credential.quota!.limit,
      period: credential.quota!.period,
    });
  }
  return { rates, quotas };
}
