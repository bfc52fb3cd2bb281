// Prometheus metrics of one Portcullis process, in its own registry (served at /metrics on the admin
// listener). Labels are bounded: API names from config, status codes, method names — never a credential.
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { ErrorCode } from '../errors/codes.js';
import type { OAuthErrorCode } from '../oauth/errors.js';
import { signaturesMadeOnLoop } from '../oauth/signing-keys/sign.js';

export interface MetricsOptions {
  /** Process metrics (CPU, memory, event loop); off in tests that build many registries. */
  processMetrics?: boolean;
}

type CounterChild = Counter.Internal;

const LIMIT_DECISIONS = ['allowed', 'rate_limited', 'quota_exceeded', 'policy_invalid'] as const;
export type LimitDecision = (typeof LIMIT_DECISIONS)[number];
type HistogramChild = Histogram.Internal<'api'>;

export function createMetrics({ processMetrics = false }: MetricsOptions = {}) {
  const registry = new Registry();
  if (processMetrics) collectDefaultMetrics({ register: registry, prefix: 'portcullis_' });

  const requests = new Counter({
    name: 'portcullis_gateway_requests_total',
    help: 'Requests handled by the gateway, by API, response status and auth method',
    labelNames: ['api', 'status', 'auth_method'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'portcullis_gateway_request_duration_seconds',
    help: 'Time from request to the end of the response (or the denial), by API',
    labelNames: ['api'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  const upstreamErrors = new Counter({
    name: 'portcullis_gateway_upstream_errors_total',
    help: 'Upstream failures, by API and kind (unavailable, timeout, aborted)',
    labelNames: ['api', 'kind'] as const,
    registers: [registry],
  });
  const refusals = new Counter({
    name: 'portcullis_gateway_refusals_total',
    help: 'Gateway requests answered with a problem of the gateway itself (not the upstream), by API and problem code',
    labelNames: ['api', 'code'] as const,
    registers: [registry],
  });
  const limitDecisions = new Counter({
    name: 'portcullis_ratelimit_decisions_total',
    help: 'Rate-limit and quota checks of gateway requests, by decision (allowed, rate_limited, quota_exceeded, policy_invalid)',
    labelNames: ['decision'] as const,
    registers: [registry],
  });
  const tokenRequests = new Counter({
    name: 'portcullis_oauth_token_requests_total',
    help: 'Token endpoint answers, by result: issued, or the RFC 6749 error code',
    labelNames: ['result'] as const,
    registers: [registry],
  });
  const tokenDuration = new Histogram({
    name: 'portcullis_oauth_token_request_duration_seconds',
    help: 'Time the token endpoint took to answer (client authentication, grant, signature)',
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  const rateLimitFallbacks = new Counter({
    name: 'portcullis_ratelimit_fallback_total',
    help: 'Rate-limit checks answered by the per-node limiter because Redis was unreachable',
    registers: [registry],
  });
  const connectionsRefused = new Counter({
    name: 'portcullis_gateway_connections_refused_total',
    help: 'Connections the public listener closed on accepting them, by the limit reached (max_connections, per_ip)',
    labelNames: ['reason'] as const,
    registers: [registry],
  });
  let liveNodes: () => number = () => 1;
  new Gauge({
    name: 'portcullis_cluster_live_nodes',
    help: 'Nodes this node has heard from on the change channel within three heartbeats, itself included; per-node limits in a Redis outage are divided by it',
    registers: [registry],
    collect() {
      this.set(liveNodes());
    },
  });
  new Counter({
    name: 'portcullis_oauth_signatures_on_event_loop_total',
    help: 'Access-token signatures made on the event loop because the thread pool held them longer than 250 ms',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(signaturesMadeOnLoop());
    },
  });
  const keyCache = new Counter({
    name: 'portcullis_key_verify_cache_total',
    help: 'API-key verification cache lookups: hit, negative_hit (known unknown key), miss',
    labelNames: ['result'] as const,
    registers: [registry],
  });

  // Children per label set, made once (prom-client's labels()): the hot path does not build label
  // objects. By API, then auth method, then status: lookups by strings and numbers the caller already
  // holds, where one map keyed by a joined label string would build and hash a new string per request.
  // Hand-registered metric objects of plain numbers saved nothing over these children (bench/instructions.ts
  // with --also, 2026-12-07: 223.0k instructions a gateway request with them, 218.4k without).
  const apiChildren = new Map<string, { duration: HistogramChild; requests: Map<string, Map<number, CounterChild>> }>();
  // The cache results are shown from the start, at 0.
  for (const result of ['hit', 'negative_hit', 'miss'] as const) keyCache.inc({ result }, 0);
  const cacheHit = keyCache.labels('hit');
  const cacheNegativeHit = keyCache.labels('negative_hit');
  const cacheMiss = keyCache.labels('miss');
  // Refusals by API, then code: the codes are the error registry's, so the children are bounded.
  const refusalChildren = new Map<string, Map<ErrorCode, CounterChild>>();
  for (const decision of LIMIT_DECISIONS) limitDecisions.inc({ decision }, 0);
  const decisionChildren = new Map(LIMIT_DECISIONS.map((decision) => [decision, limitDecisions.labels(decision)]));
  tokenRequests.inc({ result: 'issued' }, 0);

  return {
    registry,
    recordRequest(api: string, status: number, authMethod: string, seconds: number): void {
      let children = apiChildren.get(api);
      if (!children) {
        children = { duration: duration.labels(api), requests: new Map() };
        apiChildren.set(api, children);
      }
      let byStatus = children.requests.get(authMethod);
      if (!byStatus) {
        byStatus = new Map();
        children.requests.set(authMethod, byStatus);
      }
      let counter = byStatus.get(status);
      if (!counter) {
        counter = requests.labels(api, String(status), authMethod);
        byStatus.set(status, counter);
      }
      counter.inc();
      children.duration.observe(seconds);
    },
    /** A gateway request answered with the gateway's own problem (refused, or failed upstream). */
    refusal(api: string, code: ErrorCode): void {
      let byCode = refusalChildren.get(api);
      if (!byCode) {
        byCode = new Map();
        refusalChildren.set(api, byCode);
      }
      let counter = byCode.get(code);
      if (!counter) {
        counter = refusals.labels(api, code);
        byCode.set(code, counter);
      }
      counter.inc();
    },
    limitDecision(decision: LimitDecision): void {
      decisionChildren.get(decision)!.inc();
    },
    /** A token endpoint answer: `issued` or the OAuth error code (a bounded set), and how long it took. */
    tokenAnswer(result: 'issued' | OAuthErrorCode, seconds: number): void {
      tokenRequests.labels(result).inc();
      tokenDuration.observe(seconds);
    },
    upstreamError(api: string, kind: 'unavailable' | 'timeout' | 'aborted'): void {
      upstreamErrors.labels(api, kind).inc();
    },
    rateLimitFallback(): void {
      rateLimitFallbacks.inc();
    },
    connectionRefused(reason: 'max_connections' | 'per_ip'): void {
      connectionsRefused.labels(reason).inc();
    },
    /** Where the live-node gauge reads its value (the change channel's heartbeat count). */
    readLiveNodes(read: () => number): void {
      liveNodes = read;
    },
    keyCacheLookup(result: 'hit' | 'negative_hit' | 'miss'): void {
      (result === 'hit' ? cacheHit : result === 'miss' ? cacheMiss : cacheNegativeHit).inc();
    },
    contentType: registry.contentType,
    render: () => registry.metrics(),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
