// Routes and scopes from an OpenAPI document: operations matched by method + path template, each
// operation's `security` decides the accepted schemes and the scopes it needs.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Harness, rawRequest, sendRaw, startHarness, startUpstream, type Upstream } from './helpers.js';

const ORDERS_YAML = `
openapi: 3.1.0
info: { title: Orders, version: '1' }
components:
  securitySchemes:
    bearer: { type: http, scheme: bearer }
    apiKey: { type: apiKey, in: header, name: X-Shop-Key }
    queryKey: { type: apiKey, in: query, name: api_key }
    oauth:
      type: oauth2
      flows: { clientCredentials: { tokenUrl: https://example.com/oauth/token, scopes: { orders:read: read, orders:write: write } } }
security:
  - bearer: [orders:read]
paths:
  /orders:
    get:
      operationId: listOrders
      security: [{ bearer: [orders:read] }, { apiKey: [orders:read] }, { oauth: [orders:read] }]
    post:
      operationId: createOrder
      security: [{ bearer: [orders:write] }, { oauth: [orders:write] }]
  /orders/{id}:
    $ref: '#/components/pathItems/order'
  /orders/{id}/invoice.pdf:
    get: { operationId: invoice, security: [{ queryKey: [orders:read] }] }
  /orders/export:
    get: { operationId: exportOrders, security: [{ bearer: [orders:admin] }] }
  /health:
    get: { operationId: health, security: [] }
  /status:
    get: { operationId: status, security: [{}, { bearer: [] }] }
`.replace(
  'components:\n',
  `components:
  pathItems:
    order:
      get: { operationId: getOrder }
      delete: { operationId: deleteOrder, security: [{ bearer: [orders:write] }] }
`,
);

const CATALOG_JSON = JSON.stringify({
  openapi: '3.0.3',
  info: { title: 'Catalog', version: '1' },
  paths: { '/items': { get: { operationId: 'items' } } },
});

describe('gateway: routes and scopes from OpenAPI', () => {
  let upstream: Upstream;
  let h: Harness;
  let reader: string;
  let writer: string;

  before(async () => {
    upstream = await startUpstream();
    h = await startHarness(
      {
        apis: [
          { name: 'shop', basePath: '/shop', upstream: `${upstream.url}/v1`, openapi: 'orders.yaml', stripBasePath: true },
          { name: 'catalog', basePath: '/catalog', upstream: upstream.url, openapi: 'catalog.json', stripBasePath: true, scopes: ['catalog:read'] },
          { name: 'open-catalog', basePath: '/open', upstream: upstream.url, openapi: 'catalog.json', stripBasePath: true, passThrough: true },
        ],
      },
      { files: { 'orders.yaml': ORDERS_YAML, 'catalog.json': CATALOG_JSON } },
    );
    ({ key: reader } = await h.issueKey({ scopes: ['orders:read', 'catalog:read'] }));
    ({ key: writer } = await h.issueKey({ scopes: ['orders:read', 'orders:write'] }));
  });
  after(async () => {
    await h.close();
    await upstream.close();
  });

  const call = (method: string, path: string, headers: Record<string, string> = {}) => rawRequest(`${h.gateway.url}${path}`, { method, headers });

  it('GET /orders with orders:read → 200, POST /orders → 403 naming orders:write', async () => {
    const list = await call('GET', '/shop/orders', { authorization: `Bearer ${reader}` });
    assert.equal(list.status, 200);
    assert.equal(list.json().url, '/v1/orders', 'base path stripped, upstream path prefixed');
    const create = await call('POST', '/shop/orders', { authorization: `Bearer ${reader}` });
    assert.equal(create.status, 403);
    assert.equal(create.json().code, 'INSUFFICIENT_SCOPE');
    assert.deepEqual(create.json().missingScopes, ['orders:write']);
    assert.equal(create.headers['www-authenticate'], 'Bearer realm="portcullis", error="insufficient_scope", scope="orders:write"');
    assert.equal((await call('POST', '/shop/orders', { authorization: `Bearer ${writer}` })).status, 200);
  });

  it('path templates, literal segments first, $ref path items, document-level security', async () => {
    assert.equal((await call('GET', '/shop/orders/42', { authorization: `Bearer ${reader}` })).status, 200);
    assert.equal((await call('DELETE', '/shop/orders/42', { authorization: `Bearer ${reader}` })).status, 403);
    // /orders/export is a literal path needing orders:admin, not /orders/{id}.
    const exported = await call('GET', '/shop/orders/export', { authorization: `Bearer ${writer}` });
    assert.equal(exported.status, 403);
    assert.deepEqual(exported.json().missingScopes, ['orders:admin']);
  });

  it('accepts only the schemes an operation lists, where it lists them', async () => {
    // X-Shop-Key is accepted on GET /orders only; the default X-API-Key is not a scheme of this document.
    assert.equal((await call('GET', '/shop/orders', { 'x-shop-key': reader })).status, 200);
    assert.equal(upstream.last!.headers['x-shop-key'], undefined, 'the key header is never forwarded');
    const wrongPlace = await call('POST', '/shop/orders', { 'x-shop-key': writer });
    assert.equal(wrongPlace.status, 401);
    assert.equal(wrongPlace.json().code, 'CREDENTIAL_MISSING');
    // Query key: an explicit opt-in of this one operation; the parameter is removed upstream.
    const invoice = await call('GET', `/shop/orders/7/invoice.pdf?api_key=${reader}&lang=en`);
    assert.equal(invoice.status, 200);
    assert.equal(upstream.last!.url, '/v1/orders/7/invoice.pdf?lang=en');
    assert.equal((await call('GET', `/shop/orders?api_key=${reader}`)).status, 401);
  });

  it('public operations: security [] and the optional {} alternative', async () => {
    assert.equal((await call('GET', '/shop/health')).status, 200);
    assert.equal(upstream.last!.headers['x-consumer-id'], undefined);
    const spoofed = await call('GET', '/shop/health', { 'x-consumer-id': 'con_spoofed' });
    assert.equal(spoofed.status, 200);
    assert.equal(upstream.last!.headers['x-consumer-id'], undefined, 'spoofed identity dropped on public operations too');
    assert.equal((await call('GET', '/shop/status')).status, 200);
    assert.equal((await call('GET', '/shop/status', { authorization: `Bearer ${reader}` })).status, 200);
    assert.ok(upstream.last!.headers['x-consumer-id'], 'identity sent when a credential was given');
    assert.equal((await call('GET', '/shop/status', { authorization: 'Bearer pcl_notavalidkey' })).status, 401);
  });

  it('unknown operation → 404, wrong method → 405 with Allow, pass-through proxies the rest', async () => {
    const unknown = await call('GET', '/shop/nope', { authorization: `Bearer ${reader}` });
    assert.equal(unknown.status, 404);
    assert.equal(unknown.json().code, 'OPERATION_NOT_FOUND');
    const wrong = await call('PUT', '/shop/orders', { authorization: `Bearer ${writer}` });
    assert.equal(wrong.status, 405);
    assert.equal(wrong.headers.allow, 'GET, POST, HEAD');
    assert.equal((await call('GET', '/open/anything', { 'x-api-key': reader })).status, 200);
    assert.equal((await call('GET', '/open/anything')).status, 401, 'pass-through still needs the API auth');
  });

  it('without security in the document, the API auth and scopes apply (OpenAPI 3.0 JSON)', async () => {
    assert.equal((await call('GET', '/catalog/items', { 'x-api-key': reader })).status, 200);
    const denied = await call('GET', '/catalog/items', { 'x-api-key': writer });
    assert.equal(denied.status, 403);
    assert.deepEqual(denied.json().missingScopes, ['catalog:read']);
  });

  it('refuses dot segments and encoded separators before matching', async () => {
    for (const path of ['/shop/health/../orders/export', '/shop/health/%2e%2e/orders', '/shop/./orders', '/shop/orders%2Fexport', '/shop/a\\b', '/shop/%zz']) {
      const response = await sendRaw(h.gateway.url, `GET ${path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${reader}\r\nConnection: close\r\n\r\n`);
      assert.equal(response.status, 400, `${path}: ${response.text}`);
      assert.match(response.text, /"code":"BAD_PATH"/);
    }
  });

  it('a JWT-shaped bearer goes to the jwt method, which is not registered here → 401', async () => {
    const jwt = 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln';
    const response = await call('GET', '/shop/orders', { authorization: `Bearer ${jwt}` });
    assert.equal(response.status, 401);
    assert.equal(response.json().reason, 'NOT_ACCEPTED');
    assert.match(response.headers['www-authenticate']!, /error="invalid_token"/);
  });
});
