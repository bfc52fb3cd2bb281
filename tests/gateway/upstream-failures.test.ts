// When the upstream fails the client gets a problem with a stable code, never the upstream's
// internals: connection refused → 502, no answer within `timeout` → 504.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Harness, startHarness, startUpstream, type Upstream } from './helpers.js';

describe('gateway: upstream failures', () => {
  let down: Upstream;
  let slow: Upstream;
  let h: Harness;
  let key: string;
  const held: Array<() => void> = [];

  before(async () => {
    down = await startUpstream();
    const downUrl = down.url;
    await down.close(); // nothing listens on this port any more
    slow = await startUpstream((_req, res) => held.push(() => res.end('late')));
    h = await startHarness({
      apis: [
        { name: 'down', basePath: '/down', upstream: downUrl },
        { name: 'slow', basePath: '/slow', upstream: slow.url, timeout: '150ms' },
        { name: 'slow-body', basePath: '/slow-body', upstream: slow.url, timeout: { headers: '150ms' } },
      ],
    });
    ({ key } = await h.issueKey());
  });
  after(async () => {
    for (const release of held) release();
    await h.close();
    await slow.close();
  });

  it('upstream down → 502 UPSTREAM_UNAVAILABLE as problem JSON', async () => {
    const response = await fetch(`${h.gateway.url}/down/x`, { headers: { 'x-api-key': key } });
    assert.equal(response.status, 502);
    assert.equal(response.headers.get('content-type'), 'application/problem+json');
    const body = (await response.json()) as any;
    assert.equal(body.code, 'UPSTREAM_UNAVAILABLE');
    assert.equal(body.requestId, response.headers.get('x-request-id'));
    assert.ok(!JSON.stringify(body).includes('ECONNREFUSED'), 'no internals');
    assert.ok(!JSON.stringify(body).includes('127.0.0.1'), 'no upstream address');
  });

  it('upstream slower than timeout → 504 UPSTREAM_TIMEOUT', async () => {
    for (const path of ['/slow/x', '/slow-body/x']) {
      const response = await fetch(`${h.gateway.url}${path}`, { headers: { 'x-api-key': key } });
      assert.equal(response.status, 504, path);
      assert.equal(((await response.json()) as any).code, 'UPSTREAM_TIMEOUT');
    }
  });

  it('counts upstream errors in /metrics', async () => {
    const text = await h.app.metrics.render();
    assert.match(text, /portcullis_gateway_upstream_errors_total\{api="down",kind="unavailable"\} [1-9]/);
    assert.match(text, /portcullis_gateway_upstream_errors_total\{api="slow",kind="timeout"\} [1-9]/);
    assert.match(text, /portcullis_gateway_requests_total\{api="down",status="502",auth_method="api-key"\} [1-9]/);
  });
});
