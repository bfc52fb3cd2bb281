// Key hygiene policies: the global `hygiene` settings and a consumer's `keyPolicy` overriding them
// field by field. A duration of 0 turns a rule off (for a consumer: even when the global one is on).
import { PortcullisError } from '../errors/codes.js';
import { durationMs, parseDuration } from '../lib/duration.js';
import type { KeyPolicy } from '../store/records.js';

/** The rules in milliseconds; null = off. */
export interface HygieneRules {
  maxKeyLifetimeMs: number | null;
  warnBeforeExpiryMs: number | null;
  disableUnusedAfterMs: number | null;
}

/** The config's `hygiene` section as written (durations as strings or seconds). */
export interface HygieneConfig {
  maxKeyLifetime?: string | number | undefined;
  warnBeforeExpiry?: string | number | undefined;
  disableUnusedAfter?: string | number | undefined;
}

const POLICY_FIELDS = ['maxKeyLifetime', 'warnBeforeExpiry', 'disableUnusedAfter'] as const;
const ruleOf = (value: string | number | undefined): number | null => {
  if (value === undefined) return null;
  const ms = parseDuration(value);
  return ms > 0 ? ms : null;
};

export function resolveHygieneRules(config: HygieneConfig): HygieneRules {
  return {
    maxKeyLifetimeMs: ruleOf(config.maxKeyLifetime),
    warnBeforeExpiryMs: ruleOf(config.warnBeforeExpiry),
    disableUnusedAfterMs: ruleOf(config.disableUnusedAfter),
  };
}

/** The rules for a consumer's keys: its keyPolicy's fields where set, the global rules elsewhere. */
export function rulesFor(global: HygieneRules, policy: KeyPolicy | null): HygieneRules {
  if (!policy) return global;
  const own = (field: (typeof POLICY_FIELDS)[number], fallback: number | null) => {
    const value = policy[field];
    if (value === undefined) return fallback;
    const ms = durationMs(value) ?? 0;
    return ms > 0 ? ms : null;
  };
  return {
    maxKeyLifetimeMs: own('maxKeyLifetime', global.maxKeyLifetimeMs),
    warnBeforeExpiryMs: own('warnBeforeExpiry', global.warnBeforeExpiryMs),
    disableUnusedAfterMs: own('disableUnusedAfter', global.disableUnusedAfterMs),
  };
}

/** A keyPolicy as given (admin API, CLI on the store) → as stored; null or {} = none. */
export function checkKeyPolicy(policy: KeyPolicy | null | undefined): KeyPolicy | null {
  if (policy === null || policy === undefined) return null;
  const out: KeyPolicy = {};
  for (const [field, value] of Object.entries(policy)) {
    if (!(POLICY_FIELDS as readonly string[]).includes(field)) throw new PortcullisError('VALIDATION_FAILED', `keyPolicy has no field ${field.slice(0, 40)}`);
    if (durationMs(value) === undefined) {
      throw new PortcullisError('VALIDATION_FAILED', `keyPolicy.${field} must be a duration such as 90d, 12h or 0s (off)`, { field: `keyPolicy.${field}` });
    }
    out[field as (typeof POLICY_FIELDS)[number]] = value as string;
  }
  return Object.keys(out).length === 0 ? null : out;
}

/**
 * The expiry a key gets under a maximum lifetime counted from `from` (its creation): the requested
 * one when it is within it; the longest allowed when none was asked for (undefined); otherwise
 * KEY_LIFETIME_TOO_LONG — a key that never expires (null) included. Refused rather than clamped, so
 * that the caller never holds a key that ends earlier than it asked without knowing.
 */
export function expiryWithinLifetime(rules: HygieneRules, from: number, requested: number | null | undefined): number | null {
  const max = rules.maxKeyLifetimeMs;
  if (max === null) return requested ?? null;
  const latest = from + max;
  if (requested === undefined) return latest;
  if (requested === null || requested > latest) {
    const maxExpiresAt = new Date(latest).toISOString();
    throw new PortcullisError(
      'KEY_LIFETIME_TOO_LONG',
      `keys of this consumer live at most ${Math.round(max / 1000)}s: expiresAt must be at most ${maxExpiresAt}${requested === null ? ' (not null)' : ''}`,
      { maxExpiresAt },
    );
  }
  return requested;
}
