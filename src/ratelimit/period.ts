// Quota periods are fixed calendar spans in UTC, so "3 per month" refills at 00:00 UTC on the 1st for every node.
import type { QuotaPeriod } from './interface.js';

const DAY_MS = 86_400_000;

// The month containing the last `now` asked about: nearly every call falls in it, and Date objects are slow.
let month = { start: 0, end: 0 };

function monthOf(now: number): { start: number; end: number } {
  if (now >= month.start && now < month.end) return month;
  const date = new Date(now);
  // Date.UTC carries month 12 into January of the next year.
  month = { start: Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1), end: Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 1) };
  return month;
}

/** Start (epoch ms) of the period containing `now`; 0 for `total`. */
export function periodStart(now: number, period: QuotaPeriod): number {
  switch (period) {
    case 'day':
      return Math.floor(now / DAY_MS) * DAY_MS;
    case 'month':
      return monthOf(now).start;
    case 'total':
      return 0;
  }
}

/** End (exclusive, epoch ms) of the period containing `now`, which is the next refill; null for `total`. */
export function periodEnd(now: number, period: 'day' | 'month'): number;
export function periodEnd(now: number, period: QuotaPeriod): number | null;
export function periodEnd(now: number, period: QuotaPeriod): number | null {
  switch (period) {
    case 'day':
      return periodStart(now, 'day') + DAY_MS;
    case 'month':
      return monthOf(now).end;
    case 'total':
      return null;
  }
}
