// The upstream receives the caller's identity and never the caller's credential.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { accessLogWritten, logLines } from '../helpers/app.js';
import { type Harness, rawRequest, startHarness, startUpstream, type Upstream } from './helpers.js';

describe('gateway: identity to the upstream', () => {
  let upstream: Upstream;
  let h: Harness;
  let key: string;
  let keyId: string;
  let consumerId: string;

  before(async () => {
    upstream = await startUpstream();
    h = await startHarness({ apis: [{ name: 'orders', basePath: '/orders', upstream: upstream.url, auth: ['api-key'] }] });
    ({ key, keyId, consumerId } = await h.issueKey({ name: 'acme', scopes: ['orders:read'], metadata: { accountId: 'acct_42', plan: 'pro' } }));
  });
  after(async () => {
    await h.close();
    await upstream.close();
  });

  it('sends the identity headers, metadata as base64url JSON', async () => {
    const response = await fetch(`${h.gateway.url}/orders/1?x=1`, { headers: { authorization: `Bearer ${key}` } });
    assert.equal(response.status, 200);
    const seen = upstream.last!.headers;
    assert.equal(upstream.last!.url, '/orders/1?x=1');
    assert.equal(seen['x-consumer-id'], consumerId);
    assert.equal(seen['x-consumer-name'], 'acme');
    assert.equal(seen['x-credential-type'], 'api-key');
    assert.equal(seen['x-credential-id'], keyId);
    assert.equal(seen['x-scopes'], 'orders:read');
    const metadata = JSON.parse(Buffer.from(String(seen['x-consumer-metadata']), 'base64url').toString('utf8'));
    assert.deepEqual(metadata, { accountId: 'acct_42', plan: 'pro' });
    assert.match(String(seen['x-consumer-metadata']), /^[A-Za-z0-9_-]+$/);
  });

  it('never forwards Authorization or X-API-Key', async () => {
    for (const headers of [{ authorization: `Bearer ${key}` }, { 'x-api-key': key }] as Array<Record<string, string>>) {
      const response = await fetch(`${h.gateway.url}/orders`, { headers });
      assert.equal(response.status, 200);
      assert.equal(upstream.last!.headers.authorization, undefined);
      assert.equal(upstream.last!.headers['x-api-key'], undefined);
      assert.ok(!upstream.last!.rawHeaders.some((v) => v.includes(key)), 'the key appears nowhere in the upstream request head');
    }
  });

  it('drops a spoofed X-Consumer-Id and other identity headers sent by the client', async () => {
    const response = await fetch(`${h.gateway.url}/orders`, {
      headers: { 'x-api-key': key, 'x-consumer-id': 'con_spoofed', 'X-Consumer-Plan': 'enterprise', 'x-credential-id': 'key_spoofed', 'x-scopes': 'admin' },
    });
    assert.equal(response.status, 200);
    const seen = upstream.last!.headers;
    assert.equal(seen['x-consumer-id'], consumerId);
    assert.equal(seen['x-consumer-plan'], undefined);
    assert.equal(seen['x-credential-id'], keyId);
    assert.equal(seen['x-scopes'], 'orders:read');
    assert.equal(upstream.last!.rawHeaders.filter((v) => v.toLowerCase() === 'x-consumer-id').length, 1);
  });

  it("sends the upstream its own Host, once, and the client's as X-Forwarded-Host", async () => {
    const response = await rawRequest(`${h.gateway.url}/orders`, { headers: { 'x-api-key': key, host: 'client.example' } });
    assert.equal(response.status, 200);
    assert.equal(upstream.last!.headers.host, new URL(upstream.url).host);
    assert.equal(upstream.last!.rawHeaders.filter((v) => v.toLowerCase() === 'host').length, 1);
    assert.equal(upstream.last!.headers['x-forwarded-host'], 'client.example');
  });

  it('sets X-Forwarded-* and propagates or creates X-Request-Id', async () => {
    const given = await fetch(`${h.gateway.url}/orders`, { headers: { 'x-api-key': key, 'x-request-id': 'trace-123', 'x-forwarded-for': '6.6.6.6' } });
    assert.equal(given.headers.get('x-request-id'), 'trace-123');
    assert.equal(upstream.last!.headers['x-request-id'], 'trace-123');
    assert.equal(upstream.last!.headers['x-forwarded-for'], '127.0.0.1', 'a client-sent X-Forwarded-For is not trusted by default');
    assert.equal(upstream.last!.headers['x-forwarded-proto'], 'http');
    assert.equal(upstream.last!.headers['x-forwarded-host'], new URL(h.gateway.url).host);
    const created = await fetch(`${h.gateway.url}/orders`, { headers: { 'x-api-key': key, 'x-request-id': 'bad id with spaces' } });
    const id = created.headers.get('x-request-id')!;
    assert.match(id, /^req_[0-9A-Za-z]{22}$/);
    assert.equal(upstream.last!.headers['x-request-id'], id);
  });

  it('removes hop-by-hop headers, including those named in Connection', async () => {
    const response = await rawRequest(`${h.gateway.url}/orders`, {
      headers: { 'x-api-key': key, connection: 'keep-alive, x-secret-hop', 'x-secret-hop': '1', 'keep-alive': 'timeout=5' },
    });
    assert.equal(response.status, 200);
    assert.equal(upstream.last!.headers['x-secret-hop'], undefined);
    assert.equal(upstream.last!.headers['keep-alive'], undefined);
  });

  it('logs each request with request id, API, consumer, status, latency and no credential', async () => {
    const response = await fetch(`${h.gateway.url}/orders`, { headers: { 'x-api-key': key, 'x-request-id': 'log-check-1' } });
    await response.arrayBuffer();
    await accessLogWritten();
    const line = logLines(h.logs).find((l) => l.requestId === 'log-check-1' && l.msg === 'request');
    assert.ok(line, 'an access log line');
    assert.equal(line.api, 'orders');
    assert.equal(line.consumerId, consumerId);
    assert.equal(line.status, 200);
    assert.equal(typeof line.ms, 'number');
    assert.ok(!h.logs.join('\n').includes(key), 'the key is in no log line');
  });

  it('records each of many requests that end together once, in the log and the metrics', async () => {
    const counted = async () => {
      const text = await h.app.metrics.render();
      return Number(/portcullis_gateway_requests_total\{api="orders",status="200",auth_method="api-key"\} (\d+)/.exec(text)?.[1] ?? 0);
    };
    const before = await counted();
    const ids = Array.from({ length: 40 }, (_, i) => `burst-${i}`);
    await Promise.all(
      ids.map(async (id) => {
        const response = await fetch(`${h.gateway.url}/orders/${id}`, { headers: { 'x-api-key': key, 'x-request-id': id } });
        assert.equal(response.status, 200);
        await response.arrayBuffer();
      }),
    );
    await accessLogWritten();
    const logged = logLines(h.logs).filter((l) => l.msg === 'request' && String(l.requestId).startsWith('burst-'));
    assert.deepEqual(logged.map((l) => l.requestId).sort(), [...ids].sort());
    assert.equal((await counted()) - before, 40);
  });
});
