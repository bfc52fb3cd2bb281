// Requests over time by status class, filtered by key, client and API, with the quota and rate-limit
// status of each key. `scope` '' = the member's consumer; `admin/consumers/<id>/` or `admin/` for operators.

import { useState } from 'preact/hooks';
import { get, pageOf } from '../api.js';
import { formatNumber, formatQuota, formatRateLimit, type QuotaStatus } from '../format.js';
import { type UsageBucket, UsageChart } from '../ui/chart.js';
import { EmptyState, LoadError, Loading, PageHeader, Select, useResource } from '../ui/parts.js';
import { TableHead } from '../ui/table.js';
import type { Client } from './clients.js';
import type { ApiKey } from './keys.js';
import { type ApiInfo, loadApis } from './reference.js';

interface Limits {
  rateLimit: unknown;
  quota: unknown;
  quotaStatus?: QuotaStatus | null;
}

interface UsageReport {
  granularity: string;
  total: number;
  counts: Record<string, number>;
  buckets: UsageBucket[];
  /** The portal adds the consumer's limits (and the filtered key's or client's) to the admin API's report. */
  limits?: { consumer?: Limits | null };
}

const RANGES: [string, string][] = [
  ['24h', 'Last 24 hours'],
  ['7d', 'Last 7 days'],
  ['30d', 'Last 30 days'],
];
const RANGE_MS: Record<string, number> = { '24h': 86_400_000, '7d': 7 * 86_400_000, '30d': 30 * 86_400_000 };

interface Filters {
  range: string;
  granularity: string;
  keyId: string;
  clientId: string;
  api: string;
}

function Stat({ label, value, tone }: { label: string; value: string; tone?: string }) {
  return (
    <div class={`stat${tone ? ` stat-${tone}` : ''}`}>
      <span class="stat-label">{label}</span>
      <span class="stat-value">{value}</span>
    </div>
  );
}

const STEP_MS: Record<string, number> = { hour: 3_600_000, day: 86_400_000 };

/** Every bucket of the period, empty ones included (the report may list only buckets with requests). */
function allBuckets(report: UsageReport, granularity: string, from: Date, to: Date): UsageBucket[] {
  const step = STEP_MS[granularity] ?? STEP_MS.hour!;
  const byStart = new Map(report.buckets.map((b) => [Math.floor(Date.parse(b.start) / step) * step, b]));
  const buckets: UsageBucket[] = [];
  for (let t = Math.floor(from.getTime() / step) * step; t < to.getTime(); t += step) {
    buckets.push(byStart.get(t) ?? { start: new Date(t).toISOString(), total: 0, counts: {} });
  }
  return buckets;
}

function QuotaMeter({ status, label }: { status: QuotaStatus | null | undefined; label: string }) {
  if (!status) return <span class="muted">Unlimited</span>;
  return (
    <div class="meter-wrap">
      <meter min={0} max={status.limit} value={status.used} aria-label={label} />
      <span>{formatNumber(status.remaining)}</span>
    </div>
  );
}

const percent = (part: number, total: number) => (total ? `${((part / total) * 100).toFixed(part === total || part === 0 ? 0 : 1)} %` : '—');

export function UsagePage({
  scope = '',
  title = 'Usage',
  perCredential = true,
  embedded = false,
}: {
  scope?: string;
  title?: string;
  perCredential?: boolean;
  embedded?: boolean;
}) {
  const [filters, setFilters] = useState<Filters>({ range: '24h', granularity: 'hour', keyId: '', clientId: '', api: '' });
  const keys = useResource(async () => (perCredential ? pageOf<ApiKey>(await get(`${scope}keys`, { limit: 200 })).items : []), [scope]);
  const clients = useResource(async () => (perCredential ? pageOf<Client>(await get(`${scope}clients`, { limit: 200 })).items : []), [scope]);
  const apis = useResource<ApiInfo[]>(loadApis, []);
  const report = useResource(async () => {
    const to = new Date();
    const from = new Date(to.getTime() - (RANGE_MS[filters.range] ?? RANGE_MS['24h']!));
    const answer = await get<UsageReport>(`${scope}usage`, {
      from: from.toISOString(),
      to: to.toISOString(),
      granularity: filters.granularity,
      keyId: filters.keyId,
      clientId: filters.clientId,
      api: filters.api,
    });
    return { ...answer, buckets: allBuckets(answer, filters.granularity, from, to) };
  }, [scope, filters.range, filters.granularity, filters.keyId, filters.clientId, filters.api]);
  const set = (name: keyof Filters) => (e: { currentTarget: HTMLSelectElement }) => setFilters({ ...filters, [name]: e.currentTarget.value });
  const r = report.data;
  const errors = (r?.counts['4xx'] ?? 0) + (r?.counts['5xx'] ?? 0);
  const limited = (keys.data ?? []).filter((k) => !k.revokedAt);
  const consumerLimits = r?.limits?.consumer;

  return (
    <>
      <PageHeader embedded={embedded} title={title} lead="Requests that reached the gateway, by the status it answered with." />
      <form class="filters card" aria-label="Usage filters" onSubmit={(e) => e.preventDefault()}>
        <Select label="Period" name="range" options={RANGES} initial={filters.range} onChange={set('range')} />
        <Select
          label="Per"
          name="granularity"
          options={[
            ['hour', 'Hour'],
            ['day', 'Day'],
          ]}
          initial={filters.granularity}
          onChange={set('granularity')}
        />
        {perCredential && (
          <>
            <Select
              label="API key"
              name="keyId"
              options={[['', 'All keys'], ...(keys.data ?? []).map((k): [string, string] => [k.id, `${k.name || 'Unnamed'} · ${k.masked}`])]}
              onChange={set('keyId')}
            />
            <Select
              label="OAuth client"
              name="clientId"
              options={[['', 'All clients'], ...(clients.data ?? []).map((c): [string, string] => [c.clientId, c.name || c.clientId])]}
              onChange={set('clientId')}
            />
          </>
        )}
        <Select
          label="API"
          name="api"
          options={[['', 'All APIs'], ...(apis.data ?? []).map((a): [string, string] => [a.name, a.name])]}
          onChange={set('api')}
        />
      </form>
      {report.error ? (
        <LoadError message={report.error} retry={report.reload} />
      ) : !r ? (
        <Loading />
      ) : (
        <>
          <div class="stats">
            <Stat label="Requests" value={formatNumber(r.total)} />
            <Stat label="Successful (2xx)" value={percent(r.counts['2xx'] ?? 0, r.total)} tone="success" />
            <Stat label="Client errors (4xx)" value={formatNumber(r.counts['4xx'] ?? 0)} tone={r.counts['4xx'] ? 'warning' : 'quiet'} />
            <Stat label="Server errors (5xx)" value={formatNumber(r.counts['5xx'] ?? 0)} tone={r.counts['5xx'] ? 'danger' : 'quiet'} />
          </div>
          <section class="card" aria-labelledby="chart-title">
            <h2 id="chart-title" class="card-title">
              Requests per {filters.granularity}
              {errors > 0 && <span class="card-title-note"> · {percent(errors, r.total)} errors</span>}
            </h2>
            {r.total === 0 ? (
              <EmptyState title="No requests in this period">Calls made with your keys and tokens show up here within a minute.</EmptyState>
            ) : (
              <UsageChart buckets={r.buckets} granularity={filters.granularity} />
            )}
          </section>
        </>
      )}
      {perCredential && limited.length > 0 && (
        <section class="card table-card" aria-labelledby="limits-title">
          <h2 id="limits-title" class="card-title">
            Rate limits and quotas
          </h2>
          <table class="table responsive">
            <TableHead columns={['Key', 'Rate limit', 'Quota', 'Remaining']} />
            <tbody>
              {consumerLimits && (
                <tr>
                  <td data-label="Key">
                    <div class="cell-main">Your organisation</div>
                    <span class="cell-sub">All keys and clients together</span>
                  </td>
                  <td data-label="Rate limit">{formatRateLimit(consumerLimits.rateLimit)}</td>
                  <td data-label="Quota">{formatQuota(consumerLimits.quota, consumerLimits.quotaStatus)}</td>
                  <td data-label="Remaining">
                    <QuotaMeter status={consumerLimits.quotaStatus} label="Quota used by your organisation" />
                  </td>
                </tr>
              )}
              {limited.map((k) => (
                <tr key={k.id}>
                  <td data-label="Key">
                    <div class="cell-main">{k.name || 'Unnamed key'}</div>
                    <code class="cell-sub">{k.masked}</code>
                  </td>
                  <td data-label="Rate limit">{formatRateLimit(k.rateLimit)}</td>
                  <td data-label="Quota">{formatQuota(k.quota, k.quotaStatus)}</td>
                  <td data-label="Remaining">
                    <QuotaMeter status={k.quotaStatus} label={`Quota used by ${k.name || k.masked}`} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      )}
    </>
  );
}
