// The data plane, one request at a time: route by longest base path, check the path, match the
// OpenAPI operation, authenticate, then stream to the upstream with identity headers and back.
// Everything here runs per request, so work that depends only on config is done in compile-apis.
import type { IncomingMessage, ServerResponse } from 'node:http';
// The global `performance` is an accessor: the import spares a getter call per request.
import { performance } from 'node:perf_hooks';
import type { TLSSocket } from 'node:tls';
import type { Pool } from 'undici';
import { type AuthDecision, authenticateCredentials, type CredentialInput } from '../auth/authenticate.js';
import { denialProblem } from '../auth/denial.js';
import type { AuthPolicy } from '../auth/policy.js';
import type { AuthMethodRegistry } from '../auth/registry.js';
import type { AuthMethodName, Identity, RefusedSubject } from '../auth/types.js';
import type { GatewayConfig } from '../config/schema.js';
import type { ErrorCode } from '../errors/codes.js';
import { type ProblemResponse, writeProblem } from '../errors/problem.js';
import { type Clock, systemClock } from '../lib/clock.js';
import { acceptableRequestId, nextRequestId } from '../lib/request-id.js';
import {
  type Context,
  endClientSpan,
  endServerSpan,
  inContext,
  pushTraceHeaders,
  type Span,
  startClientSpan,
  startServerSpan,
  type Tracer,
  traceFieldsOf,
  withoutTraceHeaders,
} from '../lib/tracing.js';
import { enforceLimits, type LimitVerdict } from '../limits/enforce.js';
import type { LimitHeaders } from '../limits/headers.js';
import { anyLimit } from '../limits/policies.js';
import { accessLogLines, jsonMs, jsonString, type Logger } from '../logger.js';
import type { Metrics } from '../metrics/registry.js';
import { sourceAddressOf } from '../oauth/source-address.js';
import type { RateLimiter } from '../ratelimit/interface.js';
import type { UsageRecorder } from '../usage/recorder.js';
import type { LimitNotice } from '../webhooks/limit-events.js';
import { type CompiledApi, underFoldedBasePath } from './compile-apis.js';
import { corsHeaders, preflightHeaders } from './cors.js';
import { ClientGoneError, type ForwardSink, forward } from './forward.js';
import { type HeaderKinds, headerKinds, pushIdentityHeaders, type RequestHead, readRequestHead, responseHeaders } from './forward-headers.js';
import { isSafePath, withoutMatrixParams } from './request-path.js';
import { classifyUpstreamError, createUpstreamPool, limitedBody } from './upstream.js';

export interface GatewayDeps {
  apis: readonly CompiledApi[];
  authMethods: AuthMethodRegistry;
  metrics: Metrics;
  log: Logger;
  settings: GatewayConfig;
  /** Rate limits and quotas; without it no request is limited. */
  limiter?: RateLimiter;
  /** Counts requests of identified callers. */
  usage?: Pick<UsageRecorder, 'record'>;
  /** Told of limiter answers that may be webhook events (quota thresholds, rate-limit refusals); only queues. */
  limitNotice?: LimitNotice;
  clock?: Clock;
  /** Tracing on: a SERVER span a request and a CLIENT span an upstream call (src/lib/tracing.ts). Null or absent: off. */
  tracer?: Tracer | null;
}

/**
 * The compiled APIs one request is routed with: immutable, swapped as one reference by a reload
 * (`replaceApis`). A request keeps the table it started on to its end; a replaced table's upstream
 * pools that the new one does not share close once its last request is done.
 */
interface RouteTable {
  readonly runtimes: readonly ApiRuntime[];
  /** Requests routed with this table that have not finished. */
  inFlight: number;
  retired: boolean;
  /** Its upstream pools' keys (poolKeyOf), each counted once in `pools`. */
  readonly poolKeys: ReadonlySet<string>;
}

interface ApiRuntime {
  table: RouteTable;
  api: CompiledApi;
  kinds: HeaderKinds;
  keepUnderscores: boolean;
  trustProxy: boolean;
  pool: Pool;
  log: Logger;
  accessLog: (members: string) => void;
}

const NO_HEADERS = null;
const BAD_PATH_DETAIL =
  'the request target has a fragment, an empty or dot segment, a `;`, an encoded separator, NUL or unreserved character, double encoding or a bad escape';
const AMBIGUOUS_PATH_DETAIL =
  'the path spells a documented path in another case or encoding, or ends in a slash a router may read as an empty parameter; send it as documented';
const METHOD_JSON = new Map(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'].map((m) => [m, `"${m}"`]));

function credentialIdOf(identity: Identity): string {
  return identity.credentialId;
}

function upstreamPathOf(api: CompiledApi, path: string, query: string): string {
  const rest = api.stripBasePath ? path.slice(api.basePath.length) || '/' : path;
  return api.upstreamPath + rest + query;
}

/**
 * A query parameter name as upstream stacks may read it: case-insensitively (ASP.NET), with `.` and
 * space as `_` and a `[…]` suffix as an array of the same name (PHP).
 */
function queryNameKey(name: string): string {
  const bracket = name.indexOf('[');
  return (bracket > 0 ? name.slice(0, bracket) : name).toLowerCase().replace(/[. ]/g, '_');
}

/** The query string without the parameters that carried a credential, in any spelling of their names. */
function withoutCredentialParams(query: string, names: readonly string[]): string {
  if (query.length <= 1) return query;
  const keys = new Set(names.map(queryNameKey));
  const params = new URLSearchParams();
  for (const [name, value] of new URLSearchParams(query.slice(1))) if (!keys.has(queryNameKey(name))) params.append(name, value);
  const text = params.toString();
  return text ? `?${text}` : '';
}

/**
 * One request on its way through the gateway: what its stages share, what the access log and
 * metrics report, the credentials it carries and where the upstream's answer is reported. A class
 * for one allocation per request where closures and option objects would cost several.
 */
/** A traced request's span and context, its upstream call's span, and how the upstream failed. */
interface ExchangeTrace {
  span: Span;
  context: Context;
  upstreamSpan: Span | null;
  upstreamFailure: string | undefined;
}

class Exchange implements CredentialInput, ForwardSink {
  status = 0;
  /** The problem code when the gateway answered with its own problem, for the refusals metric. */
  code: ErrorCode | null = null;
  /** How long the request took, set when it ends. */
  seconds = 0;
  identity: Identity | null = null;
  /** Whose recognised credential was refused (401/403/429), for usage. */
  refused: RefusedSubject | null = null;
  method: AuthMethodName | null = null;
  operation: string | undefined = undefined;
  rateHeaders: LimitHeaders | undefined = undefined;
  hasBody = false;
  /**
   * Tracing on: the request's span and the rest (ExchangeTrace). One field, not four: an Exchange with
   * three more fields cost +6 % instructions a gateway request with tracing off (`npm run bench:guard`,
   * gateway-request 275k against 291k, 2026-12-08), its objects no longer fitting V8's in-object slots.
   */
  trace: ExchangeTrace | null = null;
  private params: URLSearchParams | undefined = undefined;
  /** A credential query parameter came more than once (in any spelling of its name). */
  private repeatedQuery = false;

  constructor(
    readonly stages: Stages,
    readonly runtime: ApiRuntime,
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
    readonly path: string,
    readonly queryString: string,
    readonly head: RequestHead,
    readonly requestId: string,
    readonly cors: Record<string, string> | null,
    readonly started: number,
  ) {}

  get authorization(): string | undefined {
    return this.head.authorization;
  }

  get repeated(): boolean {
    return this.head.repeatedCredential || this.repeatedQuery;
  }

  header(name: string): string | undefined {
    return this.head.credentials?.get(name);
  }

  /** Asked only for a credential with an IP allowlist; taken as the OAuth endpoints and the portal take it. */
  sourceAddress(): string {
    return sourceAddressOf(this.req, this.runtime.trustProxy);
  }

  /** Read only for operations that take a key in the query (an OpenAPI opt-in). */
  query(name: string): string | undefined {
    if (this.queryString.length <= 1) return undefined;
    this.params ??= new URLSearchParams(this.queryString.slice(1));
    const key = queryNameKey(name);
    let value: string | undefined;
    let seen = 0;
    for (const [given, each] of this.params) {
      if (given === name) value ??= each;
      if (given === name || queryNameKey(given) === key) seen++;
    }
    if (seen > 1) this.repeatedQuery = true;
    return value;
  }

  responseHead(upstreamHeaders: Record<string, string | string[] | undefined>): string[] {
    const out = responseHeaders(upstreamHeaders, this.requestId);
    const cors = this.cors;
    if (cors) for (const name in cors) out.push(name, cors[name]!);
    const rate = this.rateHeaders;
    if (rate) out.push('ratelimit-policy', rate['ratelimit-policy'], 'ratelimit', rate.ratelimit);
    return out;
  }

  forwarded(error: Error | null, status: number): void {
    if (error) this.stages.upstreamFailed(this, error);
    else {
      this.status = status;
      this.stages.finish(this);
    }
  }
}

interface Stages {
  finish(x: Exchange): void;
  upstreamFailed(x: Exchange, error: Error): void;
}

/** APIs with the same upstream origin and timeouts share a pool, across reloads too (no new connections). */
function poolKeyOf(api: CompiledApi): string {
  const t = api.timeouts;
  return `${api.upstreamOrigin} ${t.connectMs} ${t.headersMs} ${t.bodyMs}`;
}

export function createGatewayHandler({
  apis,
  authMethods,
  metrics,
  log,
  settings,
  limiter,
  usage,
  limitNotice,
  clock = systemClock,
  tracer = null,
}: GatewayDeps) {
  // Each pool with the number of live tables (the current one and replaced ones still serving) using it.
  const pools = new Map<string, { pool: Pool; tables: number }>();

  function buildTable(compiled: readonly CompiledApi[]): RouteTable {
    const runtimes: ApiRuntime[] = [];
    const table: RouteTable = { runtimes, inFlight: 0, retired: false, poolKeys: new Set(compiled.map(poolKeyOf)) };
    for (const key of table.poolKeys) {
      const shared = pools.get(key);
      if (shared) shared.tables++;
    }
    for (const api of compiled) {
      const key = poolKeyOf(api);
      let shared = pools.get(key);
      if (!shared) {
        shared = { pool: createUpstreamPool(api), tables: 1 };
        pools.set(key, shared);
      }
      const apiLog = log.child({ api: api.name });
      runtimes.push({
        table,
        api,
        kinds: headerKinds(api.credentialHeaders),
        keepUnderscores: settings.underscoreHeaders === 'keep',
        trustProxy: settings.trustProxy,
        pool: shared.pool,
        log: apiLog,
        accessLog: accessLogLines(apiLog, 'request'),
      });
    }
    return table;
  }

  /** A replaced table with no request left: the pools no live table uses close (gracefully). */
  function releaseTable(table: RouteTable): void {
    for (const key of table.poolKeys) {
      const shared = pools.get(key);
      if (!shared || --shared.tables > 0) continue;
      pools.delete(key);
      shared.pool.close().catch((error: Error) => log.warn({ err: { message: error.message } }, 'could not close a replaced upstream pool'));
    }
  }

  let current = buildTable(apis);
  const realm = settings.realm;
  function route(path: string): ApiRuntime | undefined {
    for (const runtime of current.runtimes) {
      const base = runtime.api.basePath;
      if (base === '' || (path.startsWith(base) && (path.length === base.length || path.charCodeAt(base.length) === 47))) return runtime;
    }
    return undefined;
  }

  // Requests that ended during this event-loop turn: their metrics, usage and access-log lines are
  // recorded together once the turn's I/O is done, in one loop over the turn's requests. Callgrind
  // counts no fewer instructions for it, but CPU time does fall: on a quiet machine, 2026-12-07,
  // `node dist/bench/gateway.js --rounds 7 --duration 3 --also <build without it>` gave 51 against
  // 55 µs of CPU a request (−7 %) and a per-round median of 0.842 against 0.797 of the bare proxy
  // (+5.6 %); docs/benchmarks.md, "Why the hot path looks like this".
  let ended: Exchange[] = [];

  function finish(x: Exchange): void {
    x.seconds = (performance.now() - x.started) / 1000;
    if (x.trace) endSpans(x.trace, x.status);
    const table = x.runtime.table;
    if (--table.inFlight === 0 && table.retired) releaseTable(table);
    if (ended.length === 0) setImmediate(recordEnded);
    ended.push(x);
  }

  function recordEnded(): void {
    const turn = ended;
    if (turn.length === 0) return;
    ended = [];
    for (const x of turn) {
      try {
        record(x);
      } catch (error) {
        // One request's bookkeeping failing must not cost the others theirs.
        x.runtime.log.error({ requestId: x.requestId, err: error }, 'gateway fault while recording a request');
      }
    }
  }

  function record(x: Exchange): void {
    const { runtime, identity, seconds } = x;
    metrics.recordRequest(runtime.api.name, x.status, x.method ?? 'none', seconds);
    if (x.code !== null) metrics.refusal(runtime.api.name, x.code);
    if (usage) {
      // Every request an API answered is counted: as its consumer's when the credential was
      // recognised, even if refused; otherwise under the API alone (consumer and credential '').
      if (identity) usage.record({ consumerId: identity.consumerId, credentialId: credentialIdOf(identity), api: runtime.api.name, status: x.status });
      else usage.record({ consumerId: x.refused?.consumerId ?? '', credentialId: x.refused?.credentialId ?? '', api: runtime.api.name, status: x.status });
    }
    if (settings.accessLog) accessLog(x, identity, seconds);
  }

  // One line per request: requestId, method, path, operation, status, consumerId, authMethod, ms. A
  // request id is ours or passed acceptableRequestId (word characters, dots and dashes) and a method
  // name is ours, so both are plain JSON once quoted; what came from the client is encoded.
  function accessLog(x: Exchange, identity: Identity | null, seconds: number): void {
    const method = x.req.method ?? '';
    const path = x.path.length > 512 ? `${x.path.slice(0, 512)}…` : x.path;
    x.runtime.accessLog(
      `,"requestId":"${x.requestId}","method":${METHOD_JSON.get(method) ?? jsonString(method)},"path":${jsonString(path)}` +
        `${x.operation === undefined ? '' : `,"operation":${jsonString(x.operation)}`},"status":${x.status}` +
        `,"consumerId":${identity ? jsonString(identity.consumerId) : 'null'},"authMethod":${x.method === null ? 'null' : `"${x.method}"`}` +
        `,"ms":${jsonMs(seconds * 1000)}${x.trace ? traceMembers(x.trace.span) : ''}`,
    );
  }

  function traceMembers(span: Span): string {
    const { traceId, spanId } = span.spanContext();
    return `,"trace_id":"${traceId}","span_id":"${spanId}"`;
  }

  function endSpans(trace: ExchangeTrace, status: number): void {
    const { span, upstreamSpan, upstreamFailure } = trace;
    if (upstreamSpan) {
      const upstreamStatus = upstreamFailure === undefined ? status : 0;
      if (upstreamStatus > 0) span.setAttribute('portcullis.upstream.status_code', upstreamStatus);
      endClientSpan(upstreamSpan, upstreamStatus, upstreamFailure);
    }
    endServerSpan(span, status);
  }

  /** Tracing on: the request is served inside its span's context, so log lines written for it carry its ids. */
  function tracedServe(tracer: Tracer, runtime: ApiRuntime, req: IncomingMessage, res: ServerResponse, path: string, query: string): void {
    const api = runtime.api;
    const route = `${api.basePath}/*`;
    const { span, context } = startServerSpan(tracer, req, `${req.method ?? 'GET'} ${route}`, path, { 'http.route': route, 'portcullis.api': api.name });
    inContext(context, serve, runtime, req, res, path, query, span, context);
  }

  /** Ends the exchange with the status of the answer already written. */
  function answered(x: Exchange, status: number): void {
    x.status = status;
    finish(x);
  }

  /** Answers with the gateway's own problem and ends the exchange. */
  function refuse(x: Exchange, response: ProblemResponse): void {
    x.code = response.code;
    answered(x, writeProblem(x.res, response));
  }

  /** A fault in the gateway's own code (a bug): logged, answered 500 if nothing went out yet. */
  function faulted(x: Exchange, error: unknown): void {
    x.runtime.log.error({ requestId: x.requestId, ...traceFieldsOf(x.trace?.span), err: error }, 'gateway fault');
    if (!x.res.headersSent) refuse(x, { code: 'INTERNAL', requestId: x.requestId });
    else {
      x.res.destroy();
      answered(x, x.res.statusCode);
    }
  }

  // The stages of a request, in order: serve (path, CORS preflight, operation, size) → authenticated →
  // limited → proxy → forwarded (Exchange) → finish. Each goes on at once when its input is at hand
  // (a cached credential, no limit to check) and through a promise only when it is not.

  function serve(
    runtime: ApiRuntime,
    req: IncomingMessage,
    res: ServerResponse,
    path: string,
    query: string,
    span: Span | null,
    traceContext: Context | null,
  ): void {
    const started = performance.now();
    const { api } = runtime;
    const head = readRequestHead(req.rawHeaders, runtime.kinds, runtime.keepUnderscores);
    const requestId = acceptableRequestId(head.requestId) ?? nextRequestId();
    const cors = api.cors && head.origin !== undefined ? corsHeaders(api.cors, head.origin) : NO_HEADERS;
    const x = new Exchange(stages, runtime, req, res, path, query, head, requestId, cors, started);
    runtime.table.inFlight++;
    if (span) {
      x.trace = { span, context: traceContext!, upstreamSpan: null, upstreamFailure: undefined };
      span.setAttribute('portcullis.request_id', requestId);
    }
    const method = req.method ?? 'GET';

    if (head.repeatedHost) {
      res.setHeader('connection', 'close');
      refuse(x, { code: 'BAD_REQUEST', detail: 'more than one Host header', requestId, headers: cors });
      return;
    }
    if (!isSafePath(path, api.allowMatrixParams) || (query.length > 0 && query.includes('#'))) {
      refuse(x, { code: 'BAD_PATH', detail: BAD_PATH_DETAIL, requestId, headers: cors });
      return;
    }
    if (api.nestedBasePaths.length > 0 && underFoldedBasePath(path, api.nestedBasePaths)) {
      refuse(x, { code: 'BAD_PATH', detail: AMBIGUOUS_PATH_DETAIL, requestId, headers: cors });
      return;
    }
    if (api.cors && method === 'OPTIONS' && head.origin !== undefined && req.headers['access-control-request-method'] !== undefined) {
      const headers = preflightHeaders(api.cors, head.origin, req.headers['access-control-request-headers'] as string | undefined);
      res.writeHead(204, { ...headers, 'x-request-id': requestId, 'content-length': '0' });
      res.end();
      answered(x, 204);
      return;
    }

    let policy: AuthPolicy = api.defaultPolicy;
    if (api.operations) {
      const relative = api.stripBasePath ? path.slice(api.basePath.length) || '/' : path;
      const match = api.operations.match(method, api.allowMatrixParams && relative.includes(';') ? withoutMatrixParams(relative) : relative);
      if (match.kind === 'ambiguous') {
        refuse(x, { code: 'BAD_PATH', detail: AMBIGUOUS_PATH_DETAIL, requestId, headers: cors });
        return;
      }
      if (match.kind === 'found') {
        x.operation = match.operation.operationId ?? `${match.operation.method} ${match.operation.path}`;
        policy = match.operation.policy ?? api.defaultPolicy;
        if (span) {
          const route = (api.stripBasePath ? api.basePath : '') + match.operation.path;
          span.updateName(`${method} ${route}`);
          span.setAttributes({ 'http.route': route, 'portcullis.operation': x.operation });
        }
      } else if (!api.passThrough) {
        if (match.kind === 'method-not-allowed') {
          refuse(x, { code: 'METHOD_NOT_ALLOWED', detail: `${method} is not an operation of this path`, requestId, headers: { ...cors, allow: match.allow } });
          return;
        }
        refuse(x, { code: 'OPERATION_NOT_FOUND', detail: `${api.name} has no operation ${method} ${relative.slice(0, 200)}`, requestId, headers: cors });
        return;
      }
    }

    if (head.contentLength !== undefined && Number(head.contentLength) > settings.maxBodySize) {
      res.setHeader('connection', 'close');
      refuse(x, { code: 'PAYLOAD_TOO_LARGE', detail: `the limit is ${settings.maxBodySize} bytes`, requestId, headers: cors });
      return;
    }

    const decision = authenticateCredentials(policy, x, authMethods);
    if (decision instanceof Promise) decision.then((settled) => authenticated(x, settled)).catch((error: unknown) => faulted(x, error));
    else authenticated(x, decision);
  }

  function authenticated(x: Exchange, decision: AuthDecision): void {
    const { runtime, requestId } = x;
    x.method = decision.method;
    if (x.trace) traceDecision(x.trace.span, decision);
    if (!decision.ok) {
      if (decision.refused) x.refused = decision.refused;
      if (decision.fault)
        runtime.log.error(
          {
            requestId,
            ...traceFieldsOf(x.trace?.span),
            err: { message: (decision.fault as Error)?.message, code: (decision.fault as { code?: string })?.code },
          },
          'auth fault; failing closed',
        );
      refuse(x, denialProblem(decision, realm, requestId, x.cors));
      return;
    }
    const identity = decision.identity;
    x.identity = identity;
    // Limits come after authentication (they count per consumer and credential) and before the
    // upstream sees anything. Every policy is checked and consumed together, or none is.
    const api = runtime.api;
    if (limiter && identity && anyLimit(api.rateLimit, identity.limits)) {
      enforceLimits(
        limiter,
        {
          api: api.name,
          route: x.operation ?? api.name,
          ip: x.req.socket.remoteAddress ?? '',
          consumerId: identity.consumerId,
          credentialId: credentialIdOf(identity),
        },
        api.rateLimit,
        identity.limits,
        clock.now(),
        limitNotice,
      )
        .then((verdict) => limited(x, verdict))
        .catch((error: unknown) => faulted(x, error));
      return;
    }
    if (x.trace) x.trace.span.setAttribute('portcullis.limit.decision', 'none');
    proxy(x);
  }

  function traceDecision(span: Span, decision: AuthDecision): void {
    if (decision.method) span.setAttribute('portcullis.auth.method', decision.method);
    if (decision.ok) {
      span.setAttribute('portcullis.auth.decision', decision.identity ? 'authenticated' : 'anonymous');
      if (decision.identity) {
        span.setAttributes({
          'portcullis.consumer.id': decision.identity.consumerId,
          'portcullis.credential.type': decision.identity.credential.type,
          'portcullis.credential.id': decision.identity.credentialId,
        });
      }
      return;
    }
    span.setAttributes({ 'portcullis.auth.decision': 'denied', 'portcullis.auth.code': decision.code });
    if (decision.reason) span.setAttribute('portcullis.auth.reason', decision.reason);
    if (decision.refused) span.setAttribute('portcullis.consumer.id', decision.refused.consumerId);
  }

  function limited(x: Exchange, verdict: LimitVerdict): void {
    if (x.trace)
      x.trace.span.setAttribute(
        'portcullis.limit.decision',
        verdict.invalid ? 'invalid' : verdict.allowed ? 'allowed' : verdict.code === 'QUOTA_EXCEEDED' ? 'quota' : 'limited',
      );
    if (verdict.invalid) {
      // A stored policy the limiter cannot run (src/limits/settings.ts): refuse, fail closed, say why.
      x.runtime.log.error(
        { requestId: x.requestId, ...traceFieldsOf(x.trace?.span), consumerId: x.identity?.consumerId, ...verdict.invalid },
        'invalid rate-limit or quota policy; request refused',
      );
      metrics.limitDecision('policy_invalid');
      refuse(x, {
        code: 'LIMIT_POLICY_INVALID',
        detail: 'a rate limit or quota of this caller is not valid; an operator must fix it',
        requestId: x.requestId,
        headers: x.cors,
      });
      return;
    }
    if (!verdict.allowed) {
      const code = verdict.code === 'QUOTA_EXCEEDED' ? 'QUOTA_EXCEEDED' : 'RATE_LIMITED';
      metrics.limitDecision(code === 'QUOTA_EXCEEDED' ? 'quota_exceeded' : 'rate_limited');
      const detail = code === 'QUOTA_EXCEEDED' ? 'the usage quota is used up' : 'too many requests; see RateLimit and Retry-After';
      refuse(x, { code, detail, requestId: x.requestId, headers: { ...x.cors, ...verdict.headers } as Record<string, string> });
      return;
    }
    metrics.limitDecision('allowed');
    x.rateHeaders = verdict.headers;
    proxy(x);
  }

  function proxy(x: Exchange): void {
    const { runtime, head, req } = x;
    const api = runtime.api;
    let headers = head.forward;
    const socket = req.socket;
    const clientIp = socket.remoteAddress ?? '';
    // No Host: undici writes the upstream's own (the pool's origin), the same value, without the
    // checks a header given here goes through.
    headers.push(
      'x-forwarded-for',
      settings.trustProxy && head.forwardedFor ? `${head.forwardedFor}, ${clientIp}` : clientIp,
      'x-forwarded-proto',
      settings.trustProxy && head.forwardedProto ? head.forwardedProto : (socket as TLSSocket).encrypted ? 'https' : 'http',
      'x-forwarded-host',
      settings.trustProxy && head.forwardedHost ? head.forwardedHost : (head.host ?? ''),
      'x-request-id',
      x.requestId,
    );
    if (x.identity) pushIdentityHeaders(headers, x.identity);
    if (x.trace) headers = withTraceHeaders(x, x.trace, headers);

    x.hasBody = head.chunked || (head.contentLength !== undefined && head.contentLength !== '0');
    const query = x.queryString;
    forward(
      runtime.pool,
      {
        path: upstreamPathOf(api, x.path, api.credentialQueries.length > 0 ? withoutCredentialParams(query, api.credentialQueries) : query),
        method: req.method ?? 'GET',
        headers,
        body: x.hasBody ? (head.chunked ? limitedBody(req, settings.maxBodySize) : req) : null,
      },
      x.res,
      x,
    );
  }

  /** The caller's trace headers replaced by the upstream call's span's (a CLIENT span, child of the request's). */
  function withTraceHeaders(x: Exchange, trace: ExchangeTrace, headers: string[]): string[] {
    const api = x.runtime.api;
    const method = x.req.method ?? 'GET';
    const upstream = new URL(api.upstreamOrigin);
    const { span, context } = startClientSpan(tracer!, trace.context, method, {
      'http.request.method': method,
      'server.address': upstream.hostname,
      'server.port': Number(upstream.port) || (upstream.protocol === 'https:' ? 443 : 80),
      'url.full': `${api.upstreamOrigin}${upstreamPathOf(api, x.path, '')}`,
      'portcullis.api': api.name,
    });
    trace.upstreamSpan = span;
    const kept = withoutTraceHeaders(headers);
    pushTraceHeaders(kept, context);
    return kept;
  }

  function upstreamFailed(x: Exchange, error: Error): void {
    const { runtime, req, res, requestId, cors } = x;
    const api = runtime.api;
    if (x.hasBody && !req.complete) {
      // The upstream stopped reading the body: discard the rest so the client can finish sending
      // and read our answer, then close the connection rather than reuse a half-read one.
      if (!res.headersSent) res.setHeader('connection', 'close');
      req.resume();
      res.once('finish', () => setTimeout(() => req.socket.destroy(), 2_000).unref());
    }
    const failure = classifyUpstreamError(error);
    if (x.trace) x.trace.upstreamFailure = error instanceof ClientGoneError ? 'client_gone' : failure;
    if (error instanceof ClientGoneError) {
      metrics.upstreamError(api.name, 'aborted');
      answered(x, res.headersSent ? res.statusCode : 499);
      return;
    }
    if (failure === 'body-too-large') {
      refuse(x, { code: 'PAYLOAD_TOO_LARGE', detail: `the limit is ${settings.maxBodySize} bytes`, requestId, headers: cors });
      return;
    }
    metrics.upstreamError(api.name, failure);
    runtime.log.warn(
      { requestId, ...traceFieldsOf(x.trace?.span), upstream: api.upstreamOrigin, err: { code: (error as { code?: string }).code, message: error.message } },
      'upstream failed',
    );
    if (res.headersSent) {
      // The head went out; all that is left is to cut the body short so the client sees the failure.
      res.destroy();
      finish(x);
      return;
    }
    refuse(
      x,
      failure === 'timeout'
        ? { code: 'UPSTREAM_TIMEOUT', detail: `${api.name} did not answer in time`, requestId, headers: cors }
        : { code: 'UPSTREAM_UNAVAILABLE', detail: `${api.name} could not be reached`, requestId, headers: cors },
    );
  }

  const stages: Stages = { finish, upstreamFailed };

  return {
    /** Serves the request when its path is under an API's base path; false leaves it to other routes. */
    handle(req: IncomingMessage, res: ServerResponse): boolean {
      const url = req.url ?? '/';
      const q = url.indexOf('?');
      const path = q === -1 ? url : url.slice(0, q);
      const runtime = route(path);
      if (!runtime) return false;
      try {
        if (tracer) tracedServe(tracer, runtime, req, res, path, q === -1 ? '' : url.slice(q));
        else serve(runtime, req, res, path, q === -1 ? '' : url.slice(q), null, null);
      } catch (error) {
        runtime.log.error({ err: error }, 'gateway fault');
        if (!res.headersSent) writeProblem(res, { code: 'INTERNAL', requestId: nextRequestId() });
        else res.destroy();
      }
      return true;
    },
    /** The APIs new requests are routed to. */
    get apis(): readonly CompiledApi[] {
      return current.runtimes.map((r) => r.api);
    },
    /**
     * New requests are routed with `next` from now on; requests under way finish with the APIs and
     * upstream pools they started with.
     */
    replaceApis(next: readonly CompiledApi[]): void {
      const replaced = current;
      current = buildTable(next);
      replaced.retired = true;
      if (replaced.inFlight === 0) releaseTable(replaced);
    },
    async close(): Promise<void> {
      recordEnded();
      const open = [...pools.values()];
      pools.clear();
      await Promise.all(open.map((shared) => shared.pool.close()));
    },
  };
}

export type GatewayHandler = ReturnType<typeof createGatewayHandler>;
