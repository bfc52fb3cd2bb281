// Validates a LimitCheck and fills defaults once, so adapters work on trusted integers. Bad input is a
// programming or config fault and throws; refusals are never decided here.
import type { LimitCheck, QuotaPeriod } from './interface.js';

export interface NormalizedRate {
  key: string;
  /** Where the counter lives; the window is part of it so 10/s and 1000/h on one key never share a counter. */
  storageKey: string;
  limit: number;
  windowMs: number;
  cost: number;
}

export interface NormalizedQuota {
  key: string;
  storageKey: string;
  limit: number;
  period: QuotaPeriod;
  cost: number;
}

export interface NormalizedCheck {
  rates: NormalizedRate[];
  quotas: NormalizedQuota[];
}

/** Where a rate's counter lives: the window is part of it so 10/s and 1000/h on one key never share a counter. */
export function rateStorageKey(windowMs: number, key: string): string {
  return `r:${windowMs}:${key}`;
}

export function quotaStorageKey(period: QuotaPeriod, key: string): string {
  return `q:${period}:${key}`;
}

/** Keys come from request data (IPs, route names); a bound keeps one request from pinning megabytes. */
export const MAX_KEY_LENGTH = 512;
const PERIODS: ReadonlySet<string> = new Set<QuotaPeriod>(['day', 'month', 'total']);

function checkKey(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_KEY_LENGTH) {
    throw new TypeError(`${field} must be a non-empty string of at most ${MAX_KEY_LENGTH} characters`);
  }
  return value;
}

function checkInteger(value: unknown, field: string, min: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    throw new RangeError(`${field} must be an integer ≥ ${min}`);
  }
  return value;
}

export function normalizeCheck(input: LimitCheck): NormalizedCheck {
  if (typeof input !== 'object' || input === null) throw new TypeError('check input must be an object');
  const rates = (input.rates ?? []).map((policy, index) => {
    const field = `rates[${index}]`;
    const key = checkKey(policy.key, `${field}.key`);
    const limit = checkInteger(policy.limit, `${field}.limit`, 1);
    const windowMs = checkInteger(policy.windowMs, `${field}.windowMs`, 1);
    const cost = checkInteger(policy.cost ?? 1, `${field}.cost`, 0);
    // The window arithmetic compares limit × window products; they must stay exact in a double.
    if (limit * windowMs > Number.MAX_SAFE_INTEGER) throw new RangeError(`${field}: limit × windowMs is too large`);
    return { key, storageKey: rateStorageKey(windowMs, key), limit, windowMs, cost };
  });
  const quotas = (input.quotas ?? []).map((policy, index) => {
    const field = `quotas[${index}]`;
    const key = checkKey(policy.key, `${field}.key`);
    const limit = checkInteger(policy.limit, `${field}.limit`, 0);
    if (!PERIODS.has(policy.period)) throw new RangeError(`${field}.period must be one of day, month, total`);
    const cost = checkInteger(policy.cost ?? 1, `${field}.cost`, 0);
    return { key, storageKey: quotaStorageKey(policy.period, key), limit, period: policy.period, cost };
  });
  return { rates, quotas };
}

/** Time for a check: the caller's `now`, else the clock's; whole epoch milliseconds keep every count exact. */
export function checkTime(now: number): number {
  if (!Number.isSafeInteger(now) || now < 0) throw new RangeError('now must be a whole number of epoch milliseconds');
  return now;
}
