// The data plane, one request at a time: route by longest base path, check the path, match the
// OpenAPI operation, authenticate, then stream to the upstream with identity headers and back.
// Everything here runs per request, so work that depends only on config is done in compile-apis.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { Pool } from 'undici';
import type { Identity } from '../auth/types.js';
import type { GatewayConfig } from '../config/schema.js';
import { accessLogWriter, type AccessLogFields, type Logger } from '../logger.js';
import type { Metrics } from '../metrics/registry.js';
import { authenticateCredentials, type AuthDecision, type CredentialInput } from './auth/authenticate.js';
import type { AuthPolicy } from './auth/policy.js';
import type { AuthMethodRegistry } from './auth/registry.js';
import type { CompiledApi } from './compile-apis.js';
import { corsHeaders, preflightHeaders } from './cors.js';
import { headerKinds, pushIdentityHeaders, readRequestHead, responseHeaders, type HeaderKinds, type RequestHead } from './forward-headers.js';
import { sendDenial, sendProblem } from './problem.js';
import { acceptableRequestId, isSafePath } from './request-path.js';
import { ClientGoneError, forward } from './forward.js';
import { nextRequestId } from './request-id.js';
import { classifyUpstreamError, createUpstreamPool, limitedBody } from './upstream.js';
import { enforceLimits } from '../limits/enforce.js';
import type { LimitHeaders } from '../limits/headers.js';
import type { RateLimiter } from '../ratelimit/interface.js';
import type { UsageRecorder } from '../usage/recorder.js';
import { systemClock, type Clock } from '../lib/clock.js';

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
  clock?: Clock;
}

interface ApiRuntime {
  api: CompiledApi;
  kinds: HeaderKinds;
  pool: Pool;
  upstreamHost: string;
  log: Logger;
  accessLog: (fields: AccessLogFields) => void;
}

/** What one request turned into, for the access log and metrics. */
interface Outcome {
  status: number;
  identity: Identity | null;
  method: string | null;
  operation: string | undefined;
}

const NO_HEADERS = null;

function credentialIdOf(identity: Identity): string {
  return identity.credential.type === 'api-key' ? identity.credential.keyId : identity.credential.clientId;
}

function upstreamPathOf(api: CompiledApi, path: string, query: string): string {
  const rest = api.stripBasePath ? path.slice(api.basePath.length) || '/' : path;
  return api.upstreamPath + rest + query;
}

/** The query string without the parameters that carried a credential. */
function withoutCredentialParams(query: string, names: readonly string[]): string {
  if (query.length <= 1) return query;
  const params = new URLSearchParams(query.slice(1));
  for (const name of names) params.delete(name);
  const text = params.toString();
  return text ? `?${text}` : '';
}

export function createGatewayHandler({ apis, authMethods, metrics, log, settings, limiter, usage, clock = systemClock }: GatewayDeps) {
  const runtimes: ApiRuntime[] = apis.map((api) => {
    const apiLog = log.child({ api: api.name });
    return {
      api,
      kinds: headerKinds(api.credentialHeaders),
      pool: createUpstreamPool(api),
      upstreamHost: new URL(api.upstreamOrigin).host,
      log: apiLog,
      accessLog: accessLogWriter(apiLog, 'request'),
    };
  });
  const realm = settings.realm;

  function route(path: string): ApiRuntime | undefined {
    for (const runtime of runtimes) {
      const base = runtime.api.basePath;
      if (base === '' || (path.startsWith(base) && (path.length === base.length || path.charCodeAt(base.length) === 47))) return runtime;
    }
    return undefined;
  }

  function finish(runtime: ApiRuntime, req: IncomingMessage, path: string, requestId: string, started: number, outcome: Outcome): void {
    const seconds = (performance.now() - started) / 1000;
    metrics.recordRequest(runtime.api.name, outcome.status, outcome.method ?? 'none', seconds);
    if (usage && outcome.identity) {
      usage.record({ consumerId: outcome.identity.consumerId, credentialId: credentialIdOf(outcome.identity), api: runtime.api.name, status: outcome.status });
    }
    if (!settings.accessLog) return;
    runtime.accessLog({
      requestId,
      method: req.method,
      path: path.length > 512 ? `${path.slice(0, 512)}…` : path,
      operation: outcome.operation,
      status: outcome.status,
      consumerId: outcome.identity?.consumerId ?? null,
      authMethod: outcome.method,
      ms: Math.round(seconds * 1e4) / 10,
    });
  }

  function credentialInput(head: RequestHead, query: string): CredentialInput {
    let params: URLSearchParams | undefined;
    return {
      authorization: head.authorization,
      header: (name) => head.credentials?.get(name),
      query(name) {
        if (query.length <= 1) return undefined;
        params ??= new URLSearchParams(query.slice(1));
        return params.get(name) ?? undefined;
      },
      repeated: head.repeatedCredential,
    };
  }

  async function serve(runtime: ApiRuntime, req: IncomingMessage, res: ServerResponse, path: string, query: string): Promise<void> {
    const started = performance.now();
    const { api } = runtime;
    const head = readRequestHead(req.rawHeaders, runtime.kinds);
    const requestId = acceptableRequestId(head.requestId) ?? nextRequestId();
    const outcome: Outcome = { status: 0, identity: null, method: null, operation: undefined };
    const cors = api.cors && head.origin !== undefined ? corsHeaders(api.cors, head.origin) : NO_HEADERS;
    const method = req.method ?? 'GET';

    const fail = (status: number) => {
      outcome.status = status;
      finish(runtime, req, path, requestId, started, outcome);
    };

    if (!isSafePath(path)) {
      return fail(sendProblem(res, { code: 'BAD_PATH', detail: 'the path has a dot segment, an encoded separator or a bad escape', requestId, headers: cors }));
    }
    if (api.cors && method === 'OPTIONS' && head.origin !== undefined && req.headers['access-control-request-method'] !== undefined) {
      const headers = preflightHeaders(api.cors, head.origin, req.headers['access-control-request-headers'] as string | undefined);
      res.writeHead(204, { ...headers, 'x-request-id': requestId, 'content-length': '0' });
      res.end();
      return fail(204);
    }

    let policy: AuthPolicy = api.defaultPolicy;
    if (api.operations) {
      const relative = api.stripBasePath ? path.slice(api.basePath.length) || '/' : path;
      const match = api.operations.match(method, relative);
      if (match.kind === 'found') {
        outcome.operation = match.operation.operationId ?? `${match.operation.method} ${match.operation.path}`;
        policy = match.operation.policy ?? api.defaultPolicy;
      } else if (!api.passThrough) {
        if (match.kind === 'method-not-allowed') {
          return fail(sendProblem(res, { code: 'METHOD_NOT_ALLOWED', detail: `${method} is not an operation of this path`, requestId, headers: { ...cors, allow: match.allow } }));
        }
        return fail(sendProblem(res, { code: 'OPERATION_NOT_FOUND', detail: `${api.name} has no operation ${method} ${relative.slice(0, 200)}`, requestId, headers: cors }));
      }
    }

    if (head.contentLength !== undefined && Number(head.contentLength) > settings.maxBodySize) {
      res.setHeader('connection', 'close');
      return fail(sendProblem(res, { code: 'PAYLOAD_TOO_LARGE', detail: `the limit is ${settings.maxBodySize} bytes`, requestId, headers: cors }));
    }

    const decision: AuthDecision = await authenticateCredentials(policy, credentialInput(head, query), authMethods);
    outcome.method = decision.method;
    if (!decision.ok) {
      if (decision.fault) runtime.log.error({ requestId, err: { message: (decision.fault as Error)?.message, code: (decision.fault as { code?: string })?.code } }, 'auth fault; failing closed');
      return fail(sendDenial(res, decision, realm, requestId, cors));
    }
    outcome.identity = decision.identity;

    const headers = head.forward;
    const socket = req.socket;
    const clientIp = socket.remoteAddress ?? '';

    // Limits come after authentication (they count per consumer and credential) and before the
    // upstream sees anything. Every policy is checked and consumed together, or none is.
    let rateHeaders: LimitHeaders | undefined;
    const identity = decision.identity;
    if (limiter && identity && (api.rateLimit || identity.limits)) {
      const verdict = await enforceLimits(
        limiter,
        { api: api.name, route: outcome.operation ?? api.name, ip: clientIp, consumerId: identity.consumerId, credentialId: credentialIdOf(identity) },
        api.rateLimit,
        identity.limits,
        clock.now(),
      );
      if (!verdict.allowed) {
        const code = verdict.code === 'QUOTA_EXCEEDED' ? 'QUOTA_EXCEEDED' : 'RATE_LIMITED';
        const detail = code === 'QUOTA_EXCEEDED' ? 'the usage quota is used up' : 'too many requests; see RateLimit and Retry-After';
        return fail(sendProblem(res, { code, detail, requestId, headers: { ...cors, ...verdict.headers } as Record<string, string> }));
      }
      rateHeaders = verdict.headers;
    }
    headers.push(
      'host', runtime.upstreamHost,
      'x-forwarded-for', settings.trustProxy && head.forwardedFor ? `${head.forwardedFor}, ${clientIp}` : clientIp,
      'x-forwarded-proto', settings.trustProxy && head.forwardedProto ? head.forwardedProto : (socket as TLSSocket).encrypted ? 'https' : 'http',
      'x-forwarded-host', settings.trustProxy && head.forwardedHost ? head.forwardedHost : head.host ?? '',
      'x-request-id', requestId,
    );
    if (decision.identity) pushIdentityHeaders(headers, decision.identity);

    const hasBody = head.chunked || (head.contentLength !== undefined && head.contentLength !== '0');
    try {
      outcome.status = await forward(
        runtime.pool,
        {
          path: upstreamPathOf(api, path, api.credentialQueries.length > 0 ? withoutCredentialParams(query, api.credentialQueries) : query),
          method,
          headers,
          body: hasBody ? (head.chunked ? limitedBody(req, settings.maxBodySize) : req) : null,
        },
        res,
        (upstreamHeaders) => {
          const out = responseHeaders(upstreamHeaders, requestId);
          if (cors) for (const name in cors) out.push(name, cors[name]!);
          if (rateHeaders) out.push('ratelimit-policy', rateHeaders['ratelimit-policy'], 'ratelimit', rateHeaders.ratelimit);
          return out;
        },
      );
      finish(runtime, req, path, requestId, started, outcome);
    } catch (error) {
      if (hasBody && !req.complete) {
        // The upstream stopped reading the body: discard the rest so the client can finish sending
        // and read our answer, then close the connection rather than reuse a half-read one.
        if (!res.headersSent) res.setHeader('connection', 'close');
        req.resume();
        res.once('finish', () => setTimeout(() => req.socket.destroy(), 2_000).unref());
      }
      const failure = classifyUpstreamError(error);
      if (error instanceof ClientGoneError) {
        metrics.upstreamError(api.name, 'aborted');
        outcome.status = res.headersSent ? res.statusCode : 499;
        return finish(runtime, req, path, requestId, started, outcome);
      }
      if (failure === 'body-too-large') {
        return fail(sendProblem(res, { code: 'PAYLOAD_TOO_LARGE', detail: `the limit is ${settings.maxBodySize} bytes`, requestId, headers: cors }));
      }
      metrics.upstreamError(api.name, failure);
      runtime.log.warn({ requestId, upstream: api.upstreamOrigin, err: { code: (error as { code?: string }).code, message: (error as Error).message } }, 'upstream failed');
      if (res.headersSent) {
        // The head went out; all that is left is to cut the body short so the client sees the failure.
        res.destroy();
        return finish(runtime, req, path, requestId, started, outcome);
      }
      return fail(
        failure === 'timeout'
          ? sendProblem(res, { code: 'UPSTREAM_TIMEOUT', detail: `${api.name} did not answer in time`, requestId, headers: cors })
          : sendProblem(res, { code: 'UPSTREAM_UNAVAILABLE', detail: `${api.name} could not be reached`, requestId, headers: cors }),
      );
    }
  }

  return {
    /** Serves the request when its path is under an API's base path; false leaves it to other routes. */
    handle(req: IncomingMessage, res: ServerResponse): boolean {
      const url = req.url ?? '/';
      const q = url.indexOf('?');
      const path = q === -1 ? url : url.slice(0, q);
      const runtime = route(path);
      if (!runtime) return false;
      serve(runtime, req, res, path, q === -1 ? '' : url.slice(q)).catch((error: unknown) => {
        runtime.log.error({ err: error }, 'gateway fault');
        if (!res.headersSent) sendProblem(res, { code: 'INTERNAL', requestId: nextRequestId() });
        else res.destroy();
      });
      return true;
    },
    apis: runtimes.map((r) => r.api),
    async close(): Promise<void> {
      await Promise.all(runtimes.map((r) => r.pool.close()));
    },
  };
}

export type GatewayHandler = ReturnType<typeof createGatewayHandler>;
