// CORS per API (preflight answered without a credential; denials readable by the browser) and the
// request-head limit (431).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Harness, rawRequest, sendRaw, startHarness, startUpstream, type Upstream } from './helpers.js';

describe('gateway: CORS and header limits', () => {
  let upstream: Upstream;
  let h: Harness;
  let key: string;

  before(async () => {
    upstream = await startUpstream();
    h = await startHarness({
      apis: [
        { name: 'web', basePath: '/web', upstream: upstream.url, cors: { origins: ['https://app.example.com'], exposeHeaders: ['x-total'] } },
        { name: 'plain', basePath: '/plain', upstream: upstream.url },
      ],
      gateway: { maxHeaderSize: 4096 },
    });
    ({ key } = await h.issueKey());
  });
  after(async () => {
    await h.close();
    await upstream.close();
  });

  it('answers a preflight from an allowed origin without a credential', async () => {
    const response = await rawRequest(`${h.gateway.url}/web/orders`, {
      method: 'OPTIONS',
      headers: { origin: 'https://app.example.com', 'access-control-request-method': 'POST', 'access-control-request-headers': 'x-api-key, content-type' },
    });
    assert.equal(response.status, 204);
    assert.equal(response.headers['access-control-allow-origin'], 'https://app.example.com');
    assert.match(String(response.headers['access-control-allow-methods']), /POST/);
    assert.equal(response.headers['access-control-allow-headers'], 'x-api-key, content-type');
    const other = await rawRequest(`${h.gateway.url}/web/orders`, {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
    });
    assert.equal(other.headers['access-control-allow-origin'], undefined);
  });

  it('adds CORS headers to proxied answers and to denials', async () => {
    const ok = await rawRequest(`${h.gateway.url}/web/orders`, { headers: { origin: 'https://app.example.com', 'x-api-key': key } });
    assert.equal(ok.status, 200);
    assert.equal(ok.headers['access-control-allow-origin'], 'https://app.example.com');
    assert.equal(ok.headers['access-control-expose-headers'], 'x-request-id, x-total');
    const denied = await rawRequest(`${h.gateway.url}/web/orders`, { headers: { origin: 'https://app.example.com' } });
    assert.equal(denied.status, 401);
    assert.equal(denied.headers['access-control-allow-origin'], 'https://app.example.com');
    const plain = await rawRequest(`${h.gateway.url}/plain/x`, { headers: { origin: 'https://app.example.com', 'x-api-key': key } });
    assert.equal(plain.headers['access-control-allow-origin'], undefined, 'no CORS on an API without cors');
  });

  it('answers an oversize request head with 431 problem JSON', async () => {
    const response = await sendRaw(h.gateway.url, `GET /plain/x HTTP/1.1\r\nHost: x\r\nX-API-Key: ${key}\r\nX-Big: ${'a'.repeat(8000)}\r\n\r\n`);
    assert.equal(response.status, 431);
    assert.match(response.text, /application\/problem\+json/);
    assert.match(response.text, /"code":"HEADERS_TOO_LARGE"/);
    assert.equal((await rawRequest(`${h.gateway.url}/plain/x`, { headers: { 'x-api-key': key } })).status, 200);
  });
});
