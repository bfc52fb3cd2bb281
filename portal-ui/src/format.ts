// How times, counts and limit policies read on the page.

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const dateOnly = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' });
const relative = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });
const number = new Intl.NumberFormat();

export const formatNumber = (n: number) => number.format(n);

export function formatDate(iso: string | null | undefined, withTime = true): string {
  if (!iso) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? '—' : (withTime ? dateTime : dateOnly).format(d);
}

export function formatAgo(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return 'never';
  const seconds = Math.round((Date.parse(iso) - now) / 1000);
  const units: [Intl.RelativeTimeFormatUnit, number][] = [
    ['day', 86_400],
    ['hour', 3600],
    ['minute', 60],
  ];
  for (const [unit, size] of units) if (Math.abs(seconds) >= size) return relative.format(Math.round(seconds / size), unit);
  return relative.format(seconds, 'second');
}

export interface RateLimit {
  limit: number;
  window: string;
}
export interface Quota {
  limit: number;
  period: string;
}
export interface QuotaStatus {
  limit: number;
  period: string;
  used: number;
  remaining: number;
  resetAt: string | null;
}

export function formatRateLimit(rate: unknown): string {
  const r = rate as RateLimit | null;
  return r && typeof r.limit === 'number' ? `${formatNumber(r.limit)} / ${r.window}` : 'Default';
}

export function formatQuota(quota: unknown, status?: QuotaStatus | null): string {
  if (status) return `${formatNumber(status.used)} of ${formatNumber(status.limit)} this ${status.period === 'total' ? 'lifetime' : status.period}`;
  const q = quota as Quota | null;
  return q && typeof q.limit === 'number' ? `${formatNumber(q.limit)} per ${q.period}` : 'None';
}

/** The part of a masked key before the random characters, e.g. `pcl_` of `pcl_Ab12…9xYz`. */
export function keyPrefix(masked: string | undefined): string {
  if (!masked) return 'pcl_';
  const i = masked.indexOf('_');
  return i > 0 ? masked.slice(0, i + 1) : 'pcl_';
}
