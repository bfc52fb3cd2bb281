// What a rate limit or quota may be. Two bars: what may be written (admin API, config) — windows of
// 1 s to 365 d, whole limits — and what the limiter can enforce at all, checked on every request so
// a policy that got into the store some other way refuses its caller instead of failing each request.
import { durationMs } from '../lib/duration.js';
import type { QuotaSetting } from './types.js';

export const RATE_WINDOW_MIN_MS = 1000;
export const RATE_WINDOW_MAX_MS = 365 * 86_400_000;
export const RATE_LIMIT_MAX = 1_000_000_000;
export const QUOTA_LIMIT_MAX = 1_000_000_000_000;

const RATE_BY: ReadonlySet<unknown> = new Set(['consumer', 'credential', 'ip', 'route']);
const QUOTA_PERIODS: ReadonlySet<unknown> = new Set(['day', 'month', 'total']);

/** A field of a setting and why it is refused, e.g. `{ field: 'window', message: 'must be …' }`. */
export interface SettingProblem {
  field: 'limit' | 'window' | 'by' | 'period' | '';
  message: string;
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Milliseconds of a window the limiter can run (a whole number ≥ 1), or undefined. */
function enforceableWindowMs(window: unknown): number | undefined {
  const ms = durationMs(window);
  return ms !== undefined && Number.isSafeInteger(ms) && ms >= 1 ? ms : undefined;
}

// The per-request answers: constants, so checking a good policy allocates nothing.
const RATE_NOT_OBJECT: SettingProblem = Object.freeze({ field: '', message: 'must be an object { limit, window, by? }' });
const RATE_BAD_LIMIT: SettingProblem = Object.freeze({ field: 'limit', message: 'must be a whole number ≥ 1' });
const RATE_BAD_WINDOW: SettingProblem = Object.freeze({ field: 'window', message: 'must be a duration of at least 1ms' });
const RATE_TOO_LARGE: SettingProblem = Object.freeze({ field: 'limit', message: 'limit × window is too large' });
const RATE_BAD_BY: SettingProblem = Object.freeze({ field: 'by', message: 'must be consumer, credential, ip or route' });

/**
 * The window in milliseconds of a rate setting the limiter can enforce, or why it cannot: the
 * per-request check. Looser than `rateSettingProblem`, so a policy written under older bounds keeps
 * working.
 */
export function enforceableRateWindow(setting: unknown): number | SettingProblem {
  if (!isObject(setting)) return RATE_NOT_OBJECT;
  const { limit } = setting;
  if (typeof limit !== 'number' || !Number.isSafeInteger(limit) || limit < 1) return RATE_BAD_LIMIT;
  const windowMs = enforceableWindowMs(setting.window);
  if (windowMs === undefined) return RATE_BAD_WINDOW;
  // The limiter's sliding-window arithmetic multiplies the two; the product must stay exact.
  if (limit * windowMs > Number.MAX_SAFE_INTEGER) return RATE_TOO_LARGE;
  if (setting.by !== undefined && !RATE_BY.has(setting.by)) return RATE_BAD_BY;
  return windowMs;
}

const QUOTA_NOT_OBJECT: SettingProblem = Object.freeze({ field: '', message: 'must be an object { limit, period }' });
const QUOTA_BAD_LIMIT: SettingProblem = Object.freeze({ field: 'limit', message: 'must be a whole number ≥ 0' });
const QUOTA_BAD_PERIOD: SettingProblem = Object.freeze({ field: 'period', message: 'must be day, month or total' });

/** Why the limiter could not enforce `setting` as a quota, or undefined when it can. */
export function unenforceableQuota(setting: unknown): SettingProblem | undefined {
  if (!isObject(setting)) return QUOTA_NOT_OBJECT;
  const { limit } = setting;
  if (typeof limit !== 'number' || !Number.isSafeInteger(limit) || limit < 0) return QUOTA_BAD_LIMIT;
  if (!QUOTA_PERIODS.has(setting.period)) return QUOTA_BAD_PERIOD;
  return undefined;
}

/** Why `setting` may not be written as a rate limit, or undefined: the bounds of the admin API and the config. */
export function rateSettingProblem(setting: unknown): SettingProblem | undefined {
  if (!isObject(setting)) return { field: '', message: 'must be an object { limit, window, by? }' };
  const { limit } = setting;
  if (typeof limit !== 'number' || !Number.isSafeInteger(limit) || limit < 1 || limit > RATE_LIMIT_MAX) {
    return { field: 'limit', message: `must be a whole number from 1 to ${RATE_LIMIT_MAX}` };
  }
  const windowMs = enforceableWindowMs(setting.window);
  if (windowMs === undefined || windowMs < RATE_WINDOW_MIN_MS || windowMs > RATE_WINDOW_MAX_MS) {
    return { field: 'window', message: 'must be a duration from 1s to 365d (e.g. 10s, 1m, 1h, 1d)' };
  }
  if (limit * windowMs > Number.MAX_SAFE_INTEGER) {
    return {
      field: 'limit',
      message: `must be at most ${Math.floor(Number.MAX_SAFE_INTEGER / windowMs)} for a ${setting.window} window (limit × window in ms must stay under 2^53); use a shorter window or a quota`,
    };
  }
  if (setting.by !== undefined && !RATE_BY.has(setting.by)) return { field: 'by', message: 'must be consumer, credential, ip or route' };
  return undefined;
}

/** Why `setting` may not be written as a quota, or undefined. A limit of 0 is allowed: no credits. */
export function quotaSettingProblem(setting: unknown): SettingProblem | undefined {
  const problem = unenforceableQuota(setting);
  if (problem) return problem;
  if ((setting as QuotaSetting).limit > QUOTA_LIMIT_MAX) return { field: 'limit', message: `must be a whole number from 0 to ${QUOTA_LIMIT_MAX}` };
  return undefined;
}
