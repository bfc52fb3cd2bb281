// The Grafana dashboard in docs/grafana is checked against a running Portcullis: every metric a panel
// or variable queries is one that /metrics exports (after requests of each kind gave the labelled
// series values), and the JSON has the shape Grafana imports. A query naming a metric that does not
// exist, or a panel id used twice, fails (shown on modified copies).
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { validateConfig } from '../../src/config/load.js';
import { generateMasterKey } from '../../src/oauth/master-key.js';
import { type RunningPortcullis, startPortcullis } from '../../src/server/start.js';
import { startUpstream, type Upstream } from '../gateway/helpers.js';
import { noteSecret, testLogger } from '../helpers/logs.js';

const DASHBOARD = 'docs/grafana/portcullis-dashboard.json';
// biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's import variable, not a template
const DATASOURCE_INPUT = '${DS_PROMETHEUS}';

interface Target {
  expr?: string;
}
interface Panel {
  id?: number;
  type?: string;
  title?: string;
  targets?: Target[];
  panels?: Panel[];
}
interface Dashboard {
  schemaVersion?: number;
  title?: string;
  uid?: string;
  __inputs?: Array<{ name: string; type: string; pluginId: string }>;
  panels?: Panel[];
  templating?: { list?: Array<{ name: string; query?: { query?: string } | string; definition?: string }> };
}

/** Metric names a scrape can hold, from the `# TYPE` lines: a histogram's series end in _bucket, _sum and _count. */
function exportedMetricNames(exposition: string): Set<string> {
  const names = new Set<string>();
  for (const [, name, type] of exposition.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    names.add(name!);
    if (type === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) names.add(name + suffix);
    if (type === 'summary') for (const suffix of ['_sum', '_count']) names.add(name + suffix);
  }
  return names;
}

/**
 * The metric names a PromQL expression reads: Portcullis' own and the Node process metrics' (which
 * Portcullis exports under its prefix, so a bare `process_…` is a mistake to catch). String literals
 * (label values) are dropped first; PromQL functions and label names never match these prefixes.
 */
function metricNamesIn(expr: string): string[] {
  const code = expr.replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, '""');
  return [...code.matchAll(/(?<![A-Za-z0-9_:])(?:portcullis|process|nodejs)_[a-z0-9_]+/g)].map((m) => m[0]);
}

function allPanels(dashboard: Dashboard): Panel[] {
  return (dashboard.panels ?? []).flatMap((panel) => [panel, ...(panel.panels ?? [])]);
}

/** Every query of the dashboard: panel targets and query variables. */
function queriesOf(dashboard: Dashboard): Array<{ where: string; expr: string }> {
  const queries = allPanels(dashboard).flatMap((panel) =>
    (panel.targets ?? []).map((t) => ({ where: `panel ${panel.id} "${panel.title}"`, expr: t.expr ?? '' })),
  );
  for (const variable of dashboard.templating?.list ?? []) {
    const query = typeof variable.query === 'string' ? variable.query : variable.query?.query;
    if (query) queries.push({ where: `variable ${variable.name}`, expr: query });
  }
  return queries;
}

/** `where: name` for each query that names a metric not in `exported`. */
function unknownMetrics(dashboard: Dashboard, exported: Set<string>): string[] {
  return queriesOf(dashboard).flatMap(({ where, expr }) =>
    metricNamesIn(expr)
      .filter((name) => !exported.has(name))
      .map((name) => `${where}: ${name}`),
  );
}

/** What Grafana's import would refuse or mangle: no schemaVersion, panels without queries, ids used twice. */
function shapeProblems(dashboard: Dashboard): string[] {
  const problems: string[] = [];
  if (!Number.isInteger(dashboard.schemaVersion) || dashboard.schemaVersion! < 30) problems.push('schemaVersion missing or older than 30');
  if (!dashboard.title || !dashboard.uid) problems.push('title or uid missing');
  if (!dashboard.__inputs?.some((input) => input.name === 'DS_PROMETHEUS' && input.type === 'datasource' && input.pluginId === 'prometheus'))
    problems.push('no DS_PROMETHEUS datasource input');
  const panels = allPanels(dashboard);
  if (panels.length === 0) problems.push('no panels');
  const seen = new Set<number>();
  for (const panel of panels) {
    if (!Number.isInteger(panel.id)) problems.push(`panel "${panel.title}" has no id`);
    else if (seen.has(panel.id!)) problems.push(`panel id ${panel.id} is used twice`);
    else seen.add(panel.id!);
    if (panel.type === 'row') continue;
    if (!panel.targets?.length || panel.targets.some((t) => !t.expr?.trim())) problems.push(`panel ${panel.id} "${panel.title}" has a target without a query`);
    if ((panel as { datasource?: { uid?: string } }).datasource?.uid !== DATASOURCE_INPUT)
      problems.push(`panel ${panel.id} does not use the DS_PROMETHEUS input`);
  }
  return problems;
}

describe('the Grafana dashboard (docs/grafana)', () => {
  const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as Dashboard;
  let dir: string;
  let upstream: Upstream;
  let running: RunningPortcullis;
  let exposition: string;
  /** Ids of the callers the requests came from: none may be a label value. */
  let callerIds: string[];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'portcullis-dashboard-'));
    upstream = await startUpstream();
    const config = validateConfig(
      {
        store: `sqlite:${join(dir, 'p.db')}`,
        listen: { host: '127.0.0.1', port: 0 },
        admin: { port: 0 },
        log: { level: 'silent' },
        oauth: { masterKey: generateMasterKey() },
        apis: [
          { name: 'orders', basePath: '/orders', upstream: upstream.url, auth: ['api-key', 'jwt'] },
          // Nothing listens on port 1: an upstream error.
          { name: 'down', basePath: '/down', upstream: 'http://127.0.0.1:1', auth: ['api-key'] },
        ],
      },
      'test',
    );
    running = await startPortcullis({ loaded: { config, path: null, demo: false }, logger: testLogger(), print: () => {} });
    const admin = async (method: string, path: string, body?: unknown): Promise<any> => {
      const response = await fetch(`${running.adminUrl}${path}`, {
        method,
        headers: { authorization: `Bearer ${running.firstAdminKey}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      assert.ok(response.ok, `${method} ${path}: ${response.status}`);
      return response.json();
    };
    const gateway = (path: string, key?: string) => fetch(`${running.gatewayUrl}${path}`, key ? { headers: { authorization: `Bearer ${key}` } } : {});
    const consumer = await admin('POST', '/admin/v1/consumers', { name: 'acme' });
    const limited = await admin('POST', `/admin/v1/consumers/${consumer.id}/keys`, { rateLimit: { limit: 2, window: '1m' } });
    const noCredits = await admin('POST', `/admin/v1/consumers/${consumer.id}/keys`, { quota: { limit: 0, period: 'day' } });
    const plain = await admin('POST', `/admin/v1/consumers/${consumer.id}/keys`, {});
    const client = await admin('POST', `/admin/v1/consumers/${consumer.id}/clients`, { name: 'batch' });
    callerIds = [consumer.id, limited.id, noCredits.id, plain.id, client.clientId, '/orders/1'];
    for (const secret of [limited.key, noCredits.key, plain.key, client.clientSecret]) noteSecret(secret);

    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await gateway('/orders/1', limited.key)).status);
    statuses.push((await gateway('/orders/1', noCredits.key)).status);
    statuses.push((await gateway('/orders/1')).status);
    statuses.push((await gateway('/orders/1', 'pc_not_a_key')).status);
    statuses.push((await gateway('/down/1', plain.key)).status);
    const token = (secret: string) =>
      fetch(`${running.gatewayUrl}/oauth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: `grant_type=client_credentials&client_id=${client.clientId}&client_secret=${encodeURIComponent(secret)}`,
      });
    statuses.push((await token(client.clientSecret)).status, (await token('wrong')).status);
    assert.deepEqual(statuses, [200, 200, 429, 429, 401, 401, 502, 200, 401]);

    // The gateway records a request at the end of the event-loop turn in which it ended.
    await new Promise((resolve) => setImmediate(resolve));
    const scrape = await fetch(`${running.adminUrl}/metrics`, { headers: { authorization: `Bearer ${running.firstAdminKey}` } });
    assert.equal(scrape.status, 200);
    exposition = await scrape.text();
  });

  after(async () => {
    await running?.close();
    await upstream?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('has the shape Grafana imports: schemaVersion, a Prometheus datasource input, panels with queries and unique ids', () => {
    assert.deepEqual(shapeProblems(dashboard), []);
  });

  it('queries only metrics this Portcullis exports', () => {
    const exported = exportedMetricNames(exposition);
    const named = new Set(queriesOf(dashboard).flatMap(({ expr }) => metricNamesIn(expr)));
    assert.ok(named.size >= 15, `the dashboard names ${named.size} metrics`);
    assert.deepEqual(unknownMetrics(dashboard, exported), []);
  });

  it('fails on a copy whose query names a metric that does not exist, or whose panel ids repeat', () => {
    const exported = exportedMetricNames(exposition);
    const copy = structuredClone(dashboard);
    const panel = allPanels(copy).find((p) => p.targets?.length)!;
    panel.targets![0]!.expr = 'sum(rate(portcullis_gateway_requests_totl[5m])) / sum(rate(process_cpu_seconds_total[5m]))';
    assert.deepEqual(unknownMetrics(copy, exported), [
      `panel ${panel.id} "${panel.title}": portcullis_gateway_requests_totl`,
      `panel ${panel.id} "${panel.title}": process_cpu_seconds_total`,
    ]);
    const twice = structuredClone(dashboard);
    const [first, second] = allPanels(twice).filter((p) => p.type !== 'row');
    second!.id = first!.id!;
    assert.ok(shapeProblems(twice).includes(`panel id ${first!.id} is used twice`));
  });

  it('reads metric names out of PromQL, not functions, label names or label values', () => {
    assert.deepEqual(
      metricNamesIn('histogram_quantile(0.99, sum by (le, api) (rate(portcullis_gateway_request_duration_seconds_bucket{api=~"portcullis_x"}[5m])))'),
      ['portcullis_gateway_request_duration_seconds_bucket'],
    );
    assert.deepEqual(metricNamesIn('portcullis_process_resident_memory_bytes + nodejs_heap_size_used_bytes'), [
      'portcullis_process_resident_memory_bytes',
      'nodejs_heap_size_used_bytes',
    ]);
  });

  it('counts refusals by code, limiter decisions and token answers with bounded labels', () => {
    for (const series of [
      'portcullis_gateway_refusals_total{api="orders",code="RATE_LIMITED"} 1',
      'portcullis_gateway_refusals_total{api="orders",code="QUOTA_EXCEEDED"} 1',
      'portcullis_gateway_refusals_total{api="orders",code="CREDENTIAL_MISSING"} 1',
      'portcullis_gateway_refusals_total{api="orders",code="CREDENTIAL_INVALID"} 1',
      'portcullis_gateway_refusals_total{api="down",code="UPSTREAM_UNAVAILABLE"} 1',
      'portcullis_ratelimit_decisions_total{decision="allowed"} 2',
      'portcullis_ratelimit_decisions_total{decision="rate_limited"} 1',
      'portcullis_ratelimit_decisions_total{decision="quota_exceeded"} 1',
      'portcullis_oauth_token_requests_total{result="issued"} 1',
      'portcullis_oauth_token_requests_total{result="invalid_client"} 1',
      'portcullis_oauth_token_request_duration_seconds_count 2',
    ])
      assert.ok(
        exposition.includes(`\n${series}\n`),
        `${series} in:\n${exposition
          .split('\n')
          .filter((l) => l.startsWith(series.split(/[{ ]/)[0]!))
          .join('\n')}`,
      );
    for (const id of callerIds) assert.ok(id && !exposition.includes(id), `${id} is in /metrics`);
  });
});
