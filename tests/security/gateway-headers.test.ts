// Issue #19 §2–3: header hygiene across the gateway, both directions. Headers that let an upstream
// run another method or path are dropped; a client header that an upstream stack would read as an
// identity or credential header (`X-Consumer_Id` is HTTP_X_CONSUMER_ID to CGI, WSGI, Rack and PHP)
// never reaches it; hop-by-hop response headers are removed; a second Host, more headers than the
// maximum and a repeated query-string credential are refused rather than half-read.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { validateConfig } from '../../src/config/load.js';
import { type RunningPortcullis, startPortcullis } from '../../src/server/start.js';
import { type Harness, rawRequest, startHarness, startUpstream, type Upstream } from '../gateway/helpers.js';
import { testLogger } from '../helpers/logs.js';
import { exchange } from './gateway-upstreams.js';

const QUERY_KEY_DOC = `
openapi: 3.1.0
info: { title: Q, version: '1' }
components:
  securitySchemes:
    queryKey: { type: apiKey, in: query, name: api_key }
paths:
  /feed:
    get: { operationId: feed, security: [{ queryKey: [] }] }
`;

/** `count` filler headers of six bytes each. */
function filler(count: number): string {
  let text = '';
  for (let i = 0; i < count; i++) text += 'a: 1\r\n';
  return text;
}

describe('security: gateway request and response headers', () => {
  let upstream: Upstream;
  let h: Harness;
  let key: string;
  let otherKey: string;
  let upstreamConnection: string | undefined;

  before(async () => {
    upstream = await startUpstream((req, res) => {
      // The upstream names hop-by-hop headers of its own response in a single-token Connection.
      if (upstreamConnection) res.setHeader('connection', upstreamConnection);
      res.setHeader('x-upstream-hop', 'secret');
      res.setHeader('x-upstream-other', 'secret');
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ headers: req.headers }));
    });
    const apis = [
      { name: 'orders', basePath: '/orders', upstream: upstream.url, apiKeyHeader: 'X-Shop-Key' },
      { name: 'feed', basePath: '/q', upstream: upstream.url, openapi: 'q.yaml', stripBasePath: true },
    ];
    h = await startHarness({ apis }, { files: { 'q.yaml': QUERY_KEY_DOC } });
    ({ key } = await h.issueKey({ name: 'acme' }));
    ({ key: otherKey } = await h.issueKey({ name: 'other' }));
  });
  after(async () => {
    await h.close();
    await upstream.close();
  });

  it('drops the headers that let an upstream run another method or path', async () => {
    const response = await rawRequest(`${h.gateway.url}/orders/1`, {
      headers: {
        authorization: `Bearer ${key}`,
        'x-http-method-override': 'DELETE',
        'x-http-method': 'DELETE',
        'x-method-override': 'DELETE',
        'x-original-url': '/orders/admin',
        'x-rewrite-url': '/orders/admin',
        'x-kept': 'yes',
      },
    });
    assert.equal(response.status, 200);
    const seen = upstream.last!.headers;
    for (const name of ['x-http-method-override', 'x-http-method', 'x-method-override', 'x-original-url', 'x-rewrite-url'])
      assert.equal(seen[name], undefined, name);
    assert.equal(seen['x-kept'], 'yes');
  });

  it("keeps the developer portal's session cookie from the upstream, in either spelling, and passes the other cookies", async () => {
    const send = (cookie: string) => rawRequest(`${h.gateway.url}/orders/1`, { headers: { authorization: `Bearer ${key}`, cookie } });
    assert.equal((await send('theme=dark; __Host-portcullis_session=s3cret; portcullis_session=s3cret2;cart=7')).status, 200);
    assert.equal(upstream.last!.headers.cookie, 'theme=dark; cart=7');
    assert.equal((await send('__Host-portcullis_session=s3cret')).status, 200);
    assert.equal(upstream.last!.headers.cookie, undefined, 'a Cookie header holding only the session is dropped');
    assert.equal((await send('portcullis_session_pref=1; a=b')).status, 200);
    assert.equal(upstream.last!.headers.cookie, 'portcullis_session_pref=1; a=b', 'a cookie whose name merely starts alike passes');
  });

  it('drops every header with `_` by default: identity and credential look-alikes never reach the upstream', async () => {
    const response = await rawRequest(`${h.gateway.url}/orders/1`, {
      headers: [
        ['Authorization', `Bearer ${key}`],
        ['X-Consumer_Id', 'con_forged'],
        ['X_Consumer_Name', 'forged'],
        ['X-Credential_Type', 'forged'],
        ['X_Scopes', 'admin'],
        ['X_API_Key', otherKey],
        ['X-Shop_Key', otherKey],
        ['Authorization_', `Bearer ${otherKey}`],
        ['X-Custom_Thing', 'x'],
        ['X-Consumer.Id', 'con_forged'],
        ['X-Scopes~', 'forged'],
      ],
    });
    assert.equal(response.status, 200);
    const raw = upstream.last!.rawHeaders;
    const names = raw.filter((_, i) => i % 2 === 0).map((n) => n.toLowerCase());
    assert.deepEqual(
      names.filter((n) => /[^a-z0-9-]/.test(n)),
      [],
    );
    assert.ok(!raw.join('\n').includes(otherKey), 'the second key reached the upstream');
    assert.ok(!raw.join('\n').includes('forged'));
    assert.equal(upstream.last!.headers['x-consumer-name'], 'acme');
  });

  it('a credential sent in an underscore header does not authenticate', async () => {
    for (const name of ['X_API_Key', 'X-Shop_Key', 'x_api_key']) {
      const response = await rawRequest(`${h.gateway.url}/orders/1`, { headers: { [name]: key } });
      assert.equal(response.status, 401, name);
      assert.equal(response.json().code, 'CREDENTIAL_MISSING');
    }
  });

  it('removes a hop-by-hop header the upstream names alone in Connection', async () => {
    for (const value of ['x-upstream-hop', 'X-Upstream-Hop', 'close, x-upstream-hop']) {
      upstreamConnection = value;
      const response = await rawRequest(`${h.gateway.url}/orders/1`, { headers: { authorization: `Bearer ${key}` } });
      assert.equal(response.status, 200);
      assert.equal(response.headers['x-upstream-hop'], undefined, value);
      assert.equal(response.headers['x-upstream-other'], 'secret');
    }
    upstreamConnection = undefined;
  });

  it('more than one Host header is 400', async () => {
    const host = new URL(h.gateway.url).host;
    const answer = await exchange(
      h.gateway.url,
      `GET /orders/1 HTTP/1.1\r\nHost: ${host}\r\nHost: evil.example\r\nAuthorization: Bearer ${key}\r\nConnection: close\r\n\r\n`,
    );
    assert.equal(answer.status, 400);
    assert.match(answer.text, /"code":"BAD_REQUEST"/);
  });

  it('more headers than gateway.maxHeaderCount is 431, never a truncated list', async () => {
    const host = new URL(h.gateway.url).host;
    // Node keeps about a thousand header lines by default and drops the rest without a word: the
    // second credential below went unseen and the request was served with the first.
    const hidden = await exchange(
      h.gateway.url,
      `GET /orders/1 HTTP/1.1\r\nHost: ${host}\r\nAuthorization: Bearer ${key}\r\n${filler(2100)}X-Shop-Key: ${otherKey}\r\nConnection: close\r\n\r\n`,
    );
    assert.equal(hidden.status, 431);
    assert.match(hidden.text, /"code":"HEADERS_TOO_LARGE"/);
    const over = await exchange(
      h.gateway.url,
      `GET /orders/1 HTTP/1.1\r\nHost: ${host}\r\nAuthorization: Bearer ${key}\r\n${filler(100)}Connection: close\r\n\r\n`,
    );
    assert.equal(over.status, 431);
    const under = await exchange(
      h.gateway.url,
      `GET /orders/1 HTTP/1.1\r\nHost: ${host}\r\nAuthorization: Bearer ${key}\r\n${filler(90)}Connection: close\r\n\r\n`,
    );
    assert.equal(under.status, 200);
  });

  it('a repeated query-string credential is CREDENTIAL_AMBIGUOUS, in any spelling of its name', async () => {
    const single = await rawRequest(`${h.gateway.url}/q/feed?api_key=${key}&x=1`);
    assert.equal(single.status, 200);
    assert.equal(upstream.last!.url, '/feed?x=1');
    for (const query of [
      `api_key=${key}&api_key=${otherKey}`,
      `api_key=${key}&api%5Fkey=${otherKey}`,
      `api_key=${key}&API_KEY=${otherKey}`,
      `api_key=${key}&api.key=${otherKey}`,
    ]) {
      const response = await rawRequest(`${h.gateway.url}/q/feed?${query}`);
      assert.equal(response.status, 400, query);
      assert.equal(response.json().code, 'CREDENTIAL_AMBIGUOUS');
    }
    // A look-alike name alone is not read as the credential, and is not forwarded either.
    const alike = await rawRequest(`${h.gateway.url}/q/feed?API_KEY=${key}`);
    assert.equal(alike.status, 401);
  });
});

describe('security: gateway.underscoreHeaders: keep', () => {
  let upstream: Upstream;
  let keep: Harness;
  let keepKey: string;

  before(async () => {
    upstream = await startUpstream();
    keep = await startHarness({
      apis: [{ name: 'orders', basePath: '/orders', upstream: upstream.url, apiKeyHeader: 'X-Shop-Key' }],
      gateway: { underscoreHeaders: 'keep' },
    });
    ({ key: keepKey } = await keep.issueKey({ name: 'acme' }));
  });
  after(async () => {
    await keep.close();
    await upstream.close();
  });

  it('forwards other underscore headers but never a reserved one after normalisation', async () => {
    upstream.last = undefined;
    const response = await rawRequest(`${keep.gateway.url}/orders/1`, {
      headers: [
        ['Authorization', `Bearer ${keepKey}`],
        ['X-Consumer_Id', 'con_forged'],
        ['x_CONSUMER_metadata', 'forged'],
        ['X_Scopes', 'admin'],
        ['X-Credential_Id', 'forged'],
        ['X_API_Key', 'pcl_forged'],
        ['X-Shop_Key', 'pcl_forged'],
        ['X_Forwarded_For', '10.0.0.1'],
        ['Content_Length', '5'],
        ['X-HTTP-Method_Override', 'DELETE'],
        ['X-Custom_Thing', 'kept'],
        ['X-Consumer.Id', 'forged'],
        ['X.API.Key', 'forged'],
      ],
    });
    assert.equal(response.status, 200);
    const raw = upstream.last!.rawHeaders;
    const underscored = raw.filter((_, i) => i % 2 === 0 && /[^A-Za-z0-9-]/.test(raw[i]!));
    assert.deepEqual(underscored, ['x-custom_thing']);
    assert.ok(!raw.join('\n').includes('forged'));
    const credential = await rawRequest(`${keep.gateway.url}/orders/1`, { headers: { X_API_Key: keepKey } });
    assert.equal(credential.status, 401);
  });
});

describe('security: the public listener refuses the same heads on its Fastify routes', () => {
  let running: RunningPortcullis;
  let dir: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'portcullis-headers-'));
    const config = validateConfig({ store: `sqlite:${join(dir, 'p.db')}`, listen: { host: '127.0.0.1', port: 0 }, admin: { port: 0 } }, 'test');
    running = await startPortcullis({ loaded: { config, path: null, demo: false }, logger: testLogger(), print: () => undefined });
  });
  after(async () => {
    await running.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const token = (headers: string) => {
    const body = 'grant_type=client_credentials';
    const host = new URL(running.gatewayUrl).host;
    return exchange(
      running.gatewayUrl,
      `POST /oauth/token HTTP/1.1\r\nHost: ${host}\r\n${headers}Content-Type: application/x-www-form-urlencoded\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
    );
  };

  it('the token endpoint answers a plain request with its own error', async () => {
    const answer = await token('');
    assert.equal(answer.status, 401);
  });

  it('more than one Host header is 400 on /oauth/token', async () => {
    const answer = await token('Host: evil.example\r\n');
    assert.equal(answer.status, 400);
    assert.match(answer.text, /"code":"BAD_REQUEST"/);
  });

  it('more headers than the maximum is 431 on /oauth/token', async () => {
    for (const count of [150, 2100]) {
      const answer = await token(filler(count));
      assert.equal(answer.status, 431, String(count));
      assert.match(answer.text, /"code":"HEADERS_TOO_LARGE"/);
    }
  });
});
