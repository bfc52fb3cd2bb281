// Tracing with a tracer provider registered in the process (as a host app or the SDK would): an
// in-memory exporter behind a SimpleSpanProcessor, the W3C propagator and the AsyncLocalStorage
// context manager (NodeTracerProvider.register()). The provider is process-wide, so this file's hooks
// are on the root test: the runner gives it a process of its own (scripts/run-tests.mjs).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { context, propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { node as sdkTraceNode } from '@opentelemetry/sdk-node';
import { InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { validateConfig } from '../../src/config/load.js';
import { createLogger } from '../../src/logger.js';
import { generateMasterKey } from '../../src/oauth/master-key.js';
import { type RunningPortcullis, startPortcullis } from '../../src/server/start.js';
import { startUpstream, type Upstream } from '../gateway/helpers.js';
import { accessLogWritten, logLines } from '../helpers/app.js';
import { captureLogs, noteSecret } from '../helpers/logs.js';

const exporter = new InMemorySpanExporter();
const provider = new sdkTraceNode.NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });

before(() => provider.register());
after(async () => {
  await provider.shutdown();
  trace.disable();
  propagation.disable();
  context.disable();
});

const ORDERS_YAML = `
openapi: 3.1.0
info: { title: Orders, version: '1' }
components:
  securitySchemes:
    apiKey: { type: apiKey, in: header, name: X-API-Key }
security: [{ apiKey: [] }]
paths:
  /orders/{id}:
    get: { operationId: getOrder }
`;

/** The spans exported so far whose attribute `name` is `value`. */
function spansWhere(name: string, value: unknown): ReadableSpan[] {
  return exporter.getFinishedSpans().filter((span) => span.attributes[name] === value);
}

/** Spans end when the answer is recorded (the gateway: at the end of the event-loop turn). */
async function settled(): Promise<void> {
  await accessLogWritten();
  await new Promise((resolve) => setTimeout(resolve, 20));
}

describe('tracing with a registered tracer provider', () => {
  let dir: string;
  let upstream: Upstream;
  let seenTraceparent: string | undefined;
  let running: RunningPortcullis;
  let logs: string[];
  let adminKey: string;
  let apiKey: string;
  let consumerId: string;
  let client: { clientId: string; clientSecret: string };

  const admin = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${running.adminUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${adminKey}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: response.status, body: (await response.json()) as any, requestId: response.headers.get('x-request-id') };
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'portcullis-tracing-'));
    writeFileSync(join(dir, 'orders.yaml'), ORDERS_YAML);
    upstream = await startUpstream((req: IncomingMessage, res) => {
      seenTraceparent = req.headers.traceparent as string | undefined;
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"ok":true}');
      });
    });
    const captured = captureLogs();
    logs = captured.lines;
    const config = validateConfig(
      {
        store: `sqlite:${join(dir, 'p.db')}`,
        listen: { host: '127.0.0.1', port: 0 },
        admin: { port: 0 },
        log: { level: 'info' },
        issuer: 'https://auth.example.com',
        oauth: { masterKey: generateMasterKey() },
        apis: [
          { name: 'shop', basePath: '/shop', upstream: upstream.url, openapi: join(dir, 'orders.yaml'), stripBasePath: true },
          { name: 'limited', basePath: '/limited', upstream: upstream.url, rateLimit: { limit: 1, window: '1m' } },
          // Nothing listens on port 9 (discard) here: every call fails.
          { name: 'down', basePath: '/down', upstream: 'http://127.0.0.1:9' },
        ],
      },
      'test',
    );
    running = await startPortcullis({
      loaded: { config, path: null, demo: false },
      logger: createLogger('info', captured.stream, { traceIds: true }),
      print: () => {},
    });
    adminKey = running.firstAdminKey!;
    noteSecret(adminKey);
    const consumer = await admin('POST', '/admin/v1/consumers', { name: 'acme', scopes: [] });
    consumerId = consumer.body.id;
    const key = await admin('POST', `/admin/v1/consumers/${consumerId}/keys`, { name: 'k' });
    apiKey = key.body.key;
    noteSecret(apiKey);
    const created = await admin('POST', `/admin/v1/consumers/${consumerId}/clients`, { name: 'svc' });
    client = created.body;
    noteSecret(client.clientSecret);
  });

  after(async () => {
    await running?.close();
    await upstream?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a proxied request has a SERVER span with the gateway’s attributes and a CLIENT span whose trace the upstream receives', async () => {
    const response = await fetch(`${running.gatewayUrl}/shop/orders/42`, { headers: { 'x-api-key': apiKey, 'user-agent': 'trace-test' } });
    assert.equal(response.status, 200);
    const requestId = response.headers.get('x-request-id');
    await settled();
    const [span] = spansWhere('portcullis.request_id', requestId);
    assert.ok(span, 'a span for the request');
    assert.equal(span.kind, SpanKind.SERVER);
    assert.equal(span.name, 'GET /shop/orders/{id}');
    assert.deepEqual(
      {
        method: span.attributes['http.request.method'],
        path: span.attributes['url.path'],
        route: span.attributes['http.route'],
        status: span.attributes['http.response.status_code'],
        server: span.attributes['server.address'],
        api: span.attributes['portcullis.api'],
        operation: span.attributes['portcullis.operation'],
        consumer: span.attributes['portcullis.consumer.id'],
        authMethod: span.attributes['portcullis.auth.method'],
        decision: span.attributes['portcullis.auth.decision'],
        limit: span.attributes['portcullis.limit.decision'],
        upstream: span.attributes['portcullis.upstream.status_code'],
        agent: span.attributes['user_agent.original'],
      },
      {
        method: 'GET',
        path: '/shop/orders/42',
        route: '/shop/orders/{id}',
        status: 200,
        server: '127.0.0.1',
        api: 'shop',
        operation: 'getOrder',
        consumer: consumerId,
        authMethod: 'api-key',
        decision: 'authenticated',
        limit: 'none',
        upstream: 200,
        agent: 'trace-test',
      },
    );
    const traceId = span.spanContext().traceId;
    const clientSpan = exporter.getFinishedSpans().find((s) => s.kind === SpanKind.CLIENT && s.spanContext().traceId === traceId);
    assert.ok(clientSpan, 'a CLIENT span for the upstream call');
    assert.equal(clientSpan.parentSpanContext?.spanId, span.spanContext().spanId);
    assert.equal(clientSpan.attributes['http.response.status_code'], 200);
    assert.ok(seenTraceparent, 'the upstream got a traceparent');
    const [, sentTrace, sentParent] = seenTraceparent.split('-');
    assert.equal(sentTrace, traceId, 'the upstream’s traceparent carries the span’s trace id');
    assert.equal(sentParent, clientSpan.spanContext().spanId, 'and names the CLIENT span as parent');
  });

  it('a caller’s traceparent is honoured: the request joins its trace, and the upstream gets the gateway’s span as parent, not the caller’s', async () => {
    const callerTrace = '4bf92f3577b34da6a3ce929d0e0e4736';
    const callerSpan = '00f067aa0ba902b7';
    const response = await fetch(`${running.gatewayUrl}/shop/orders/7`, {
      headers: { 'x-api-key': apiKey, traceparent: `00-${callerTrace}-${callerSpan}-01`, tracestate: 'vendor=x' },
    });
    assert.equal(response.status, 200);
    await settled();
    const [span] = spansWhere('portcullis.request_id', response.headers.get('x-request-id'));
    assert.ok(span);
    assert.equal(span.spanContext().traceId, callerTrace);
    assert.equal(span.parentSpanContext?.spanId, callerSpan);
    const [, sentTrace, sentParent] = seenTraceparent!.split('-');
    assert.equal(sentTrace, callerTrace);
    assert.notEqual(sentParent, callerSpan);
  });

  it('a malformed traceparent starts a new trace and changes nothing else', async () => {
    const response = await fetch(`${running.gatewayUrl}/shop/orders/8`, {
      headers: { 'x-api-key': apiKey, traceparent: '00-00000000000000000000000000000000-zz-01; DROP' },
    });
    assert.equal(response.status, 200);
    await settled();
    const [span] = spansWhere('portcullis.request_id', response.headers.get('x-request-id'));
    assert.ok(span);
    assert.match(span.spanContext().traceId, /^[0-9a-f]{32}$/);
    assert.notEqual(span.spanContext().traceId, '00000000000000000000000000000000');
    assert.equal(span.parentSpanContext, undefined);
    assert.equal(seenTraceparent!.split('-')[1], span.spanContext().traceId);
  });

  it('a request without a credential (401) has a span with the denial', async () => {
    const response = await fetch(`${running.gatewayUrl}/shop/orders/1`);
    assert.equal(response.status, 401);
    await settled();
    const [span] = spansWhere('portcullis.request_id', response.headers.get('x-request-id'));
    assert.ok(span);
    assert.equal(span.attributes['http.response.status_code'], 401);
    assert.equal(span.attributes['portcullis.auth.decision'], 'denied');
    assert.equal(span.attributes['portcullis.auth.code'], 'CREDENTIAL_MISSING');
    assert.equal(span.attributes['portcullis.upstream.status_code'], undefined, 'no upstream call');
  });

  it('a rate-limited request (429) has a span with the limit decision', async () => {
    const first = await fetch(`${running.gatewayUrl}/limited/x`, { headers: { 'x-api-key': apiKey } });
    assert.equal(first.status, 200);
    const second = await fetch(`${running.gatewayUrl}/limited/x`, { headers: { 'x-api-key': apiKey } });
    assert.equal(second.status, 429);
    await settled();
    const [allowed] = spansWhere('portcullis.request_id', first.headers.get('x-request-id'));
    const [limited] = spansWhere('portcullis.request_id', second.headers.get('x-request-id'));
    assert.equal(allowed?.attributes['portcullis.limit.decision'], 'allowed');
    assert.equal(limited?.attributes['portcullis.limit.decision'], 'limited');
    assert.equal(limited?.attributes['http.response.status_code'], 429);
    assert.equal(limited?.attributes['portcullis.consumer.id'], consumerId);
  });

  it('an upstream that cannot be reached: 502, an error span, and the warning carries the trace id', async () => {
    const response = await fetch(`${running.gatewayUrl}/down/x`, { headers: { 'x-api-key': apiKey } });
    assert.equal(response.status, 502);
    const requestId = response.headers.get('x-request-id');
    await settled();
    const [span] = spansWhere('portcullis.request_id', requestId);
    assert.ok(span);
    assert.equal(span.status.code, SpanStatusCode.ERROR);
    const clientSpan = exporter.getFinishedSpans().find((s) => s.kind === SpanKind.CLIENT && s.parentSpanContext?.spanId === span.spanContext().spanId);
    assert.equal(clientSpan?.attributes['error.type'], 'unavailable');
    const warning = logLines(logs).find((l) => l.requestId === requestId && l.msg === 'upstream failed');
    assert.equal(warning?.trace_id, span.spanContext().traceId);
  });

  it('token issuance has a span', async () => {
    const response = await fetch(`${running.gatewayUrl}/oauth/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${client.clientId}:${client.clientSecret}`).toString('base64')}`,
      },
      body: 'grant_type=client_credentials',
    });
    assert.equal(response.status, 200);
    noteSecret(((await response.json()) as any).access_token);
    await settled();
    const [span] = spansWhere('portcullis.request_id', response.headers.get('x-request-id'));
    assert.ok(span, 'a span for the token request');
    assert.equal(span.name, 'POST /oauth/token');
    assert.equal(span.kind, SpanKind.SERVER);
    assert.equal(span.attributes['http.response.status_code'], 200);
  });

  it('an admin API call has a span named by its route, with its operationId; a 401 on the admin API too', async () => {
    const listed = await admin('GET', `/admin/v1/consumers/${consumerId}`);
    assert.equal(listed.status, 200);
    const refused = await fetch(`${running.adminUrl}/admin/v1/consumers`, { headers: { authorization: 'Bearer wrong' } });
    assert.equal(refused.status, 401);
    await settled();
    const [span] = spansWhere('portcullis.request_id', listed.requestId);
    assert.ok(span);
    assert.equal(span.name, 'GET /admin/v1/consumers/:id');
    assert.equal(span.attributes['http.route'], '/admin/v1/consumers/:id');
    assert.equal(span.attributes['portcullis.listener'], 'admin');
    assert.equal(typeof span.attributes['portcullis.operation'], 'string');
    const [denied] = spansWhere('portcullis.request_id', refused.headers.get('x-request-id'));
    assert.equal(denied?.attributes['http.response.status_code'], 401);
  });

  it('log lines written for a traced request carry its trace and span ids, the access log included', async () => {
    const response = await fetch(`${running.gatewayUrl}/shop/orders/9`, { headers: { 'x-api-key': apiKey } });
    const requestId = response.headers.get('x-request-id');
    await settled();
    const [span] = spansWhere('portcullis.request_id', requestId);
    assert.ok(span);
    const line = logLines(logs).find((l) => l.requestId === requestId && l.msg === 'request');
    assert.ok(line, 'an access-log line');
    assert.equal(line.trace_id, span.spanContext().traceId);
    assert.equal(line.span_id, span.spanContext().spanId);
    // A line pino writes while a request's span is active (Fastify's "request completed" on the admin listener).
    const listed = await admin('GET', '/admin/v1/consumers');
    await settled();
    const [adminSpan] = spansWhere('portcullis.request_id', listed.requestId);
    const completed = logLines(logs).find((l) => l.reqId === listed.requestId && l.msg === 'request completed');
    assert.ok(adminSpan && completed);
    assert.equal(completed.trace_id, adminSpan.spanContext().traceId);
    assert.equal(completed.span_id, adminSpan.spanContext().spanId);
  });

  it('no span attribute carries a key, client secret or token', () => {
    const spans = exporter.getFinishedSpans();
    assert.ok(spans.length > 8);
    const secrets = [apiKey, adminKey, client.clientSecret];
    for (const span of spans) {
      for (const [name, value] of Object.entries(span.attributes)) {
        const text = String(value);
        for (const secret of secrets) assert.ok(!text.includes(secret), `${span.name} ${name} carries a secret`);
        assert.doesNotMatch(text, /\bpcl_[0-9A-Za-z]{36}\b/, `${span.name} ${name} looks like a key`);
        assert.doesNotMatch(text, /eyJ[\w-]+\.[\w-]+\.[\w-]*/, `${span.name} ${name} looks like a JWT`);
      }
    }
  });
});
