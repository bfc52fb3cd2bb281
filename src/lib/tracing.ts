// OpenTelemetry tracing through @opentelemetry/api. Whether a process traces is decided once, when an
// app is built (`registeredTracer`): with no tracer provider registered, the listeners get `null` and
// never call into the API per request — one `if` on a null field is the whole cost. The SDK that
// registers a provider is the host app's (library mode) or the one `portcullis start` loads from the
// OTEL_* variables (src/server/tracing-sdk.ts).
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  type Attributes,
  type Context,
  context,
  propagation,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  type TracerProvider,
  trace,
} from '@opentelemetry/api';
import type { FastifyInstance, FastifyRequest } from 'fastify';

export type { Context, Span, Tracer };

/** Calls `fn` with `ctx` active (AsyncLocalStorage carries it into the callbacks and promises it starts). */
export function inContext<A extends unknown[]>(ctx: Context, fn: (...args: A) => void, ...args: A): void {
  context.with(ctx, fn, undefined, ...args);
}

const TRACER_NAME = 'portcullis';

/** What a ProxyTracerProvider delegates to with no provider registered: the API's no-op provider. */
function noopDelegate(provider: TracerProvider): boolean {
  const withDelegate = provider as TracerProvider & { getDelegate?: () => TracerProvider };
  const delegate = typeof withDelegate.getDelegate === 'function' ? withDelegate.getDelegate() : provider;
  return delegate.constructor?.name === 'NoopTracerProvider';
}

/** The tracer of the provider registered in this process, or null when none is (tracing off). */
export function registeredTracer(version?: string): Tracer | null {
  const provider = trace.getTracerProvider();
  if (noopDelegate(provider)) return null;
  return provider.getTracer(TRACER_NAME, version);
}

/**
 * The parent of a request's span: the caller's W3C `traceparent` (and `tracestate`), read by the
 * registered propagator. A caller's trace context is honoured (docs/security.md, "Trace context"):
 * it names a parent, never changes what the gateway decides.
 */
export function incomingContext(req: IncomingMessage): Context {
  return propagation.extract(ROOT_CONTEXT, req.headers);
}

/** Starts the SERVER span of one request with the HTTP semantic-convention attributes known at its start. */
export function startServerSpan(tracer: Tracer, req: IncomingMessage, name: string, path: string, extra?: Attributes): { span: Span; context: Context } {
  const parent = incomingContext(req);
  const socket = req.socket;
  const host = req.headers.host;
  const colon = host ? host.lastIndexOf(':') : -1;
  const attributes: Attributes = {
    'http.request.method': req.method ?? 'GET',
    'url.path': path.length > 512 ? path.slice(0, 512) : path,
    'url.scheme': (socket as { encrypted?: boolean }).encrypted ? 'https' : 'http',
    'network.protocol.version': req.httpVersion,
    'client.address': socket.remoteAddress ?? '',
    ...extra,
  };
  if (host) {
    attributes['server.address'] = colon > 0 && !host.endsWith(']') ? host.slice(0, colon) : host;
    if (colon > 0 && !host.endsWith(']')) attributes['server.port'] = Number(host.slice(colon + 1));
  }
  const userAgent = req.headers['user-agent'];
  if (userAgent) attributes['user_agent.original'] = userAgent.slice(0, 256);
  const span = tracer.startSpan(name, { kind: SpanKind.SERVER, attributes }, parent);
  return { span, context: trace.setSpan(parent, span) };
}

/** Ends a SERVER span with the response status; 5xx mark it as an error (4xx are the caller's, per the conventions). */
export function endServerSpan(span: Span, status: number): void {
  span.setAttribute('http.response.status_code', status);
  if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
  span.end();
}

/** Starts the CLIENT span of the call to an upstream, child of the request's span. */
export function startClientSpan(tracer: Tracer, parent: Context, method: string, attributes: Attributes): { span: Span; context: Context } {
  const span = tracer.startSpan(method, { kind: SpanKind.CLIENT, attributes }, parent);
  return { span, context: trace.setSpan(parent, span) };
}

/** Ends a CLIENT span: the upstream's status, or the failure (its class only: no message, which may carry a URL). */
export function endClientSpan(span: Span, status: number, failure?: string): void {
  if (status > 0) span.setAttribute('http.response.status_code', status);
  if (failure) {
    span.setAttribute('error.type', failure);
    span.setStatus({ code: SpanStatusCode.ERROR });
  } else if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
  span.end();
}

/** The propagation headers for `ctx` (`traceparent`, `tracestate`), as name/value pairs appended to `headers`. */
export function pushTraceHeaders(headers: string[], ctx: Context): void {
  const carrier: Record<string, string> = {};
  propagation.inject(ctx, carrier);
  for (const name in carrier) headers.push(name, carrier[name]!);
}

/** Name/value pairs without the caller's trace headers, which the gateway's own replace. */
export function withoutTraceHeaders(headers: string[]): string[] {
  let found = false;
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i]!.toLowerCase();
    if (name === 'traceparent' || name === 'tracestate') found = true;
  }
  if (!found) return headers;
  const kept: string[] = [];
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i]!.toLowerCase();
    if (name !== 'traceparent' && name !== 'tracestate') kept.push(headers[i]!, headers[i + 1]!);
  }
  return kept;
}

/** The ids of the span active in `ctx` as log fields, or none. */
export function traceFieldsOf(span: Span | null | undefined): { trace_id?: string; span_id?: string } {
  if (!span) return {};
  const { traceId, spanId } = span.spanContext();
  return { trace_id: traceId, span_id: spanId };
}

/** The log fields of the span active now: pino's mixin when tracing is on (src/logger.ts). */
export function activeTraceFields(): { trace_id?: string; span_id?: string } {
  return traceFieldsOf(trace.getSpan(context.active()));
}

/** Serves a raw node:http request with `span` active, ending the span with the response's status. */
export function traceRawRequest(span: Span, ctx: Context, res: ServerResponse, serve: () => void): void {
  res.once('close', () => endServerSpan(span, res.statusCode));
  context.with(ctx, serve);
}

const SPAN = Symbol('portcullis.span');
type TracedRequest = FastifyRequest & { [SPAN]?: Span | undefined };

function endRequestSpan(request: TracedRequest, status: number): void {
  const span = request[SPAN];
  if (!span) return;
  request[SPAN] = undefined;
  endServerSpan(span, status);
}

/**
 * A SERVER span for every request a Fastify instance answers (admin API, OAuth endpoints, portal),
 * active for the request's hooks and handler, so log lines written for it carry its ids. Named
 * `METHOD route` (the route's pattern, not the path); `portcullis.operation` is the route's operationId.
 */
export function traceFastify(server: FastifyInstance, tracer: Tracer, listener: 'admin' | 'public'): void {
  server.addHook('onRequest', (request, _reply, done) => {
    const route = request.routeOptions.url;
    const path = request.url.split('?')[0]!;
    const extra: Attributes = { 'portcullis.listener': listener, 'portcullis.request_id': String(request.id) };
    if (route) extra['http.route'] = route;
    const operationId = (request.routeOptions.schema as { operationId?: string } | undefined)?.operationId;
    if (operationId) extra['portcullis.operation'] = operationId;
    const { span, context: ctx } = startServerSpan(tracer, request.raw, route ? `${request.method} ${route}` : request.method, path, extra);
    (request as TracedRequest)[SPAN] = span;
    // The rest of the request runs inside the span's context (AsyncLocalStorage carries it on).
    context.with(ctx, done);
  });
  server.addHook('onResponse', (request, reply, done) => {
    endRequestSpan(request as TracedRequest, reply.statusCode);
    done();
  });
  // The client went away before an answer: 499, as the gateway counts it.
  server.addHook('onRequestAbort', (request, done) => {
    endRequestSpan(request as TracedRequest, 499);
    done();
  });
}
