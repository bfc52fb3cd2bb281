// The portal's resource routes over a real app on SQLite: every route registered is walked (taken
// from Fastify's route table, so a new route cannot be missed) with two organisations — a member of
// A gets 404 for each of B's ids exactly as for an unknown id, developers and owners both act on A,
// an operator reaches A and B, and a member meets 404 on every admin/… route. Then a key's lifecycle
// through the portal, checked with app.verifyKey, and the OpenAPI documents handed out.
//
// The principal is chosen by the test (header `x-test-principal`): it stands in for the accounts
// side's session check, the seam `principalOf` that the real portal fills from the session cookie.
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import fastifySwagger from '@fastify/swagger';
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import { checkInputDepth } from '../../src/admin/validation.js';
import { PortcullisError } from '../../src/errors/codes.js';
import { toProblem } from '../../src/errors/fastify-errors.js';
import { problem, sendProblem } from '../../src/errors/problem.js';
import { newId } from '../../src/lib/ids.js';
import { generateMasterKey } from '../../src/oauth/master-key.js';
import type { PortalPrincipal } from '../../src/portal/principal.js';
import { registerResourceRoutes } from '../../src/portal/resources.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { noteSecretsIn } from '../helpers/logs.js';
import { failedMessage } from '../webhooks/fixtures.js';

const BASE = '/portal/api/v1';
const ISSUER = 'https://gateway.portcullis.test';

interface Route {
  method: string;
  url: string;
}

interface Answer {
  status: number;
  body: any;
}

describe('portal resource routes', () => {
  let t: TestApp;
  let portal: FastifyInstance;
  let dir: string;
  const routes: Route[] = [];
  const principals = new Map<string, PortalPrincipal>();
  const chosen = new WeakMap<FastifyRequest, PortalPrincipal>();
  let a: { id: string };
  let b: { id: string };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'portcullis-portal-'));
    writeFileSync(
      join(dir, 'orders.json'),
      JSON.stringify({
        openapi: '3.1.0',
        info: { title: 'Orders', version: '1' },
        servers: [{ url: 'http://orders.internal:8080' }],
        paths: {
          '/orders': {
            servers: [{ url: 'http://orders.internal:8080' }],
            get: {
              servers: [{ url: 'http://orders.internal:9090' }],
              security: [{ oauth: ['orders:read'] }, { key: [] }],
              responses: { 200: { description: 'ok' } },
            },
          },
        },
        components: {
          securitySchemes: {
            oauth: { type: 'oauth2', flows: { clientCredentials: { tokenUrl: 'https://idp.example.com/token', scopes: { 'orders:read': 'Read orders' } } } },
            key: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
          },
        },
      }),
    );
    writeFileSync(join(dir, 'plain.json'), JSON.stringify({ openapi: '3.0.3', info: { title: 'Plain', version: '1' }, paths: {} }));
    t = await createTestApp({
      config: {
        issuer: ISSUER,
        oauth: { masterKey: generateMasterKey() },
        apis: [
          { name: 'orders', basePath: '/orders/', upstream: 'http://127.0.0.1:9', openapi: 'orders.json', auth: ['api-key', 'jwt'], scopes: ['orders:read'] },
          {
            name: 'plain',
            basePath: '/plain',
            stripBasePath: true,
            upstream: 'http://127.0.0.1:9',
            openapi: 'plain.json',
            auth: ['jwt'],
            apiKeyHeader: 'X-Key',
            scopes: ['p'],
          },
          { name: 'bare', basePath: '/bare', upstream: 'http://127.0.0.1:9' },
        ],
      },
    });
    a = await t.app.consumers.create({ name: 'Org A', scopes: ['orders:read', 'orders:write'] }, { id: 'test', sourceIp: null });
    b = await t.app.consumers.create({ name: 'Org B', scopes: ['orders:read'] }, { id: 'test', sourceIp: null });
    principals.set('dev-a', { userId: 'usr_deva', email: 'dev@a.test', operator: false, membership: { consumerId: a.id, role: 'developer' } });
    principals.set('owner-a', { userId: 'usr_ownera', email: 'owner@a.test', operator: false, membership: { consumerId: a.id, role: 'owner' } });
    principals.set('operator', { userId: 'usr_op', email: 'op@portcullis.test', operator: true, membership: null });

    portal = Fastify({ logger: false });
    // Problem JSON as the portal answers it (the accounts side installs the same on its scope).
    portal.setErrorHandler((error, request, reply) => sendProblem(reply, { ...toProblem(error as Error, request), requestId: String(request.id) }));
    portal.setNotFoundHandler((request, reply) =>
      sendProblem(reply, { ...problem('ROUTE_NOT_FOUND', `${request.method} ${request.url.split('?')[0]} is not a route`), requestId: String(request.id) }),
    );
    portal.addHook('onRoute', (route) => {
      for (const method of [route.method].flat()) if (route.url.startsWith(`${BASE}/`)) routes.push({ method: String(method), url: route.url });
    });
    await portal.register(fastifySwagger, {
      refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`) },
      openapi: { openapi: '3.1.0', info: { title: 'portal', version: 'v1' } },
    });
    await portal.register(
      async (scope) => {
        // As the portal's API scope does (src/portal/plugin.ts), for the accounts and resource routes alike.
        scope.addHook('preValidation', checkInputDepth);
        scope.addHook('onRequest', async (request) => {
          const principal = principals.get(String(request.headers['x-test-principal']));
          if (!principal) throw new PortcullisError('UNAUTHENTICATED', 'no principal');
          chosen.set(request, principal);
        });
        registerResourceRoutes(scope, { app: t.app, principalOf: (request) => chosen.get(request)!, baseDir: dir });
      },
      { prefix: BASE },
    );
    await portal.ready();
  });

  after(async () => {
    await portal?.close();
    await t?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function call(who: string, method: string, url: string, body?: unknown): Promise<Answer> {
    const response = await portal.inject({
      method: method as 'GET',
      url,
      headers: { 'x-test-principal': who },
      ...(body === undefined ? {} : { payload: body as object }),
    });
    const parsed = response.body ? JSON.parse(response.body) : null;
    noteSecretsIn(parsed);
    return { status: response.statusCode, body: parsed };
  }

  /** A fresh key, client and webhook endpoint (with a delivery) of a consumer, so that each route call (revoke, delete…) finds them as new. */
  async function freshObjects(consumerId: string) {
    const actor = { id: 'test', sourceIp: null };
    const key = await t.app.keys.create(consumerId, { name: 'k' }, actor);
    const { client } = await t.app.oauth.clients.create(consumerId, { name: 'c' }, actor);
    // Disabled, so nothing is sent; its delivery log holds one message.
    const { endpoint } = await t.app.webhooks.create(consumerId, { url: 'http://192.0.2.1/hooks', events: ['key.created'], enabled: false }, actor);
    const at = t.clock.now();
    const delivery = failedMessage(endpoint.id, at);
    await t.app.store.insertWebhookMessages([delivery]);
    return { keyId: key.record.id, clientId: client.id, webhookId: endpoint.id, deliveryId: delivery.id };
  }

  /** Fills a route pattern's parameters; `ids` are the objects the caller points at. */
  function urlOf(route: Route, ids: { consumerId: string; keyId: string; clientId: string; webhookId: string; deliveryId: string }): string {
    return route.url
      .replace(':id', ids.consumerId)
      .replace(':keyId', ids.keyId)
      .replace(':clientId', ids.clientId)
      .replace(':webhookId', ids.webhookId)
      .replace(':deliveryId', ids.deliveryId)
      .replace(':name', 'orders');
  }
  /** Webhooks are the owners' (and operators'): a developer is refused them. */
  const isOwnersRoute = (route: Route) => /\/webhooks\b/.test(route.url);

  /** The route below its consumer: `/keys/:keyId` for both `keys/:keyId` and `admin/consumers/:id/keys/:keyId`. */
  const tail = (route: Route) => route.url.slice(BASE.length).replace(/^\/admin\/consumers\/:id(?=\/)/, '');

  // A valid body for each write, so a call reaches authorisation. A write route missing here fails the walk.
  const BODIES: Record<string, unknown> = {
    'POST /keys': { name: 'new key', scopes: ['orders:read'] },
    'PATCH /keys/:keyId': { name: 'renamed' },
    'POST /keys/:keyId/roll': { expireOldInSeconds: 60 },
    'POST /keys/:keyId/revoke': undefined,
    'POST /clients': { name: 'new client' },
    'POST /clients/:clientId/secrets': { expireOldInSeconds: 0 },
    'POST /clients/:clientId/revoke-tokens': undefined,
    'DELETE /clients/:clientId': undefined,
    'PATCH /clients/:clientId': { name: 'renamed client' },
    'POST /admin/consumers': () => ({ name: `Org ${newId('con')}` }),
    'PATCH /admin/consumers/:id': { enabled: true },
    'POST /webhooks': { url: 'http://192.0.2.1/hooks', events: ['key.created'] },
    'PATCH /webhooks/:webhookId': { description: 'changed' },
    'DELETE /webhooks/:webhookId': undefined,
    'POST /webhooks/:webhookId/secret': { expireOldInSeconds: 0 },
    'POST /webhooks/:webhookId/deliveries/:deliveryId/retry': undefined,
  };
  function bodyOf(route: Route): unknown {
    if (route.method === 'GET' || route.method === 'HEAD') return undefined;
    const name = `${route.method} ${tail(route)}`;
    assert.ok(name in BODIES, `the walk has no body for ${route.method} ${route.url}: add one`);
    const body = BODIES[name];
    return typeof body === 'function' ? body() : body;
  }

  const isOperatorRoute = (route: Route) => route.url.startsWith(`${BASE}/admin/`);
  /** A problem without what differs per request (its id) or per object (the id it names). */
  const shape = ({ requestId: _r, instance: _i, ...rest }: any) => ({
    ...rest,
    detail: String(rest.detail).replace(/\b(key|cli|con|whk|msg)_[0-9A-Za-z]+/g, 'ID'),
  });
  const unknownIds = () => ({ consumerId: newId('con'), keyId: newId('key'), clientId: newId('cli'), webhookId: newId('whk'), deliveryId: newId('msg') });

  test('the route table holds every route of the contract, each with an operationId in the OpenAPI document', () => {
    const names = routes.filter((r) => r.method !== 'HEAD').map((r) => `${r.method} ${r.url.slice(BASE.length)}`);
    for (const expected of [
      'GET /keys',
      'POST /keys',
      'PATCH /keys/:keyId',
      'POST /keys/:keyId/roll',
      'POST /keys/:keyId/revoke',
      'GET /clients',
      'POST /clients',
      'POST /clients/:clientId/secrets',
      'PATCH /clients/:clientId',
      'POST /clients/:clientId/revoke-tokens',
      'DELETE /clients/:clientId',
      'GET /usage',
      'GET /audit-events',
      'GET /apis',
      'GET /apis/:name/openapi.json',
      'GET /admin/consumers',
      'POST /admin/consumers',
      'PATCH /admin/consumers/:id',
      'GET /admin/consumers/:id/keys',
      'POST /admin/consumers/:id/clients',
      'GET /admin/consumers/:id/usage',
      'GET /admin/consumers/:id/audit-events',
      'GET /admin/usage',
      'GET /admin/audit-events',
      'GET /admin/signing-keys',
    ]) {
      assert.ok(names.includes(expected), `${expected} is registered`);
    }
    const document = portal.swagger() as any;
    const operationIds: string[] = [];
    for (const route of routes.filter((r) => r.method !== 'HEAD')) {
      const path = route.url.replace(/:(\w+)/g, '{$1}');
      const operation = document.paths[path]?.[route.method.toLowerCase()];
      assert.ok(operation?.operationId, `${route.method} ${route.url} has an operationId in the document`);
      operationIds.push(operation.operationId);
    }
    assert.deepEqual(
      operationIds.filter((id, i) => operationIds.indexOf(id) !== i),
      [],
      'operationIds are unique',
    );
    assert.ok(document.components.schemas.PortalKeyCreate, 'named bodies are components');
  });

  test("a member of A gets 404 for every one of B's ids, exactly as for an unknown id", async () => {
    let checked = 0;
    for (const route of routes) {
      const hasId = /:(keyId|clientId|webhookId|id)\b/.test(route.url);
      if (!hasId || isOperatorRoute(route)) continue;
      const ofB = { consumerId: b.id, ...(await freshObjects(b.id)) };
      const body = bodyOf(route);
      const member = isOwnersRoute(route) ? 'owner-a' : 'dev-a';
      const onB = await call(member, route.method, urlOf(route, ofB), body);
      const onUnknown = await call(member, route.method, urlOf(route, unknownIds()), body);
      assert.equal(onB.status, 404, `${route.method} ${route.url} on B's id`);
      assert.equal(onUnknown.status, 404, `${route.method} ${route.url} on an unknown id`);
      if (route.method !== 'HEAD') assert.deepEqual(shape(onB.body), shape(onUnknown.body), `${route.method} ${route.url}: B's id answered as an unknown one`);
      checked++;
    }
    assert.ok(checked >= 8, `walked ${checked} routes with ids`);

    // Ids in filters: usage and the audit trail.
    const ofB = await freshObjects(b.id);
    const unknown = unknownIds();
    for (const [query, code] of [
      [`keyId=${ofB.keyId}`, 'KEY_NOT_FOUND'],
      [`clientId=${ofB.clientId}`, 'CLIENT_NOT_FOUND'],
    ] as const) {
      const onB = await call('dev-a', 'GET', `${BASE}/usage?${query}`);
      assert.equal(onB.status, 404, query);
      assert.equal(onB.body.code, code);
      const onUnknown = await call('dev-a', 'GET', `${BASE}/usage?${query.replace(/=.*/, `=${query.startsWith('key') ? unknown.keyId : unknown.clientId}`)}`);
      assert.equal(onUnknown.body.code, code);
    }
    for (const [id, code] of [
      [ofB.keyId, 'KEY_NOT_FOUND'],
      [ofB.clientId, 'CLIENT_NOT_FOUND'],
      [b.id, 'CONSUMER_NOT_FOUND'],
      [unknown.keyId, 'KEY_NOT_FOUND'],
    ] as const) {
      const answer = await call('dev-a', 'GET', `${BASE}/audit-events?targetId=${id}`);
      assert.equal(answer.status, 404, `audit-events?targetId=${id}`);
      assert.equal(answer.body.code, code);
    }
  });

  test("lists and the trail show A's objects only", async () => {
    await freshObjects(a.id);
    const ofB = await freshObjects(b.id);
    const keys = await call('dev-a', 'GET', `${BASE}/keys?limit=200`);
    assert.equal(keys.status, 200);
    assert.ok(keys.body.items.length > 0);
    assert.ok(keys.body.items.every((k: any) => k.consumerId === a.id && 'quotaStatus' in k));
    const clients = await call('dev-a', 'GET', `${BASE}/clients?limit=200`);
    assert.ok(clients.body.items.length > 0 && clients.body.items.every((c: any) => c.consumerId === a.id));
    const trail = await call('dev-a', 'GET', `${BASE}/audit-events?limit=200`);
    assert.equal(trail.status, 200);
    assert.ok(trail.body.items.length > 0);
    const text = JSON.stringify(trail.body);
    assert.ok(!text.includes(ofB.keyId) && !text.includes(ofB.clientId) && !text.includes(b.id), "nothing of B's in A's trail");
  });

  test('developers and owners both act on every member route of their consumer; each change is audited as portal:<userId>', async () => {
    for (const who of ['dev-a', 'owner-a']) {
      for (const route of routes) {
        if (isOperatorRoute(route)) continue;
        const ids = { consumerId: a.id, ...(await freshObjects(a.id)) };
        const answer = await call(who, route.method, urlOf(route, ids), bodyOf(route));
        if (who === 'dev-a' && isOwnersRoute(route)) {
          assert.equal(answer.status, 403, `${who}: ${route.method} ${route.url}`);
          if (route.method !== 'HEAD') assert.equal(answer.body.code, 'PORTAL_ROLE_REQUIRED');
          continue;
        }
        assert.ok(answer.status >= 200 && answer.status < 300, `${who}: ${route.method} ${route.url} → ${answer.status} ${JSON.stringify(answer.body)}`);
      }
      const userId = principals.get(who)!.userId;
      const events = await t.app.store.listAuditEvents({ actor: `portal:${userId}`, limit: 200 });
      const actions = new Set(events.items.map((e) => e.action));
      for (const action of [
        'key.created',
        'key.updated',
        'key.rolled',
        'key.revoked',
        'client.created',
        'client.secret_rotated',
        'client.tokens_revoked',
        'client.deleted',
      ]) {
        assert.ok(actions.has(action), `${who}: ${action} recorded as portal:${userId}`);
      }
      assert.ok(events.items.every((e) => e.sourceIp !== undefined));
    }
  });

  test('an operator reaches A and B under admin/consumers/{id}/…, and the operator routes', async () => {
    for (const route of routes) {
      if (!isOperatorRoute(route)) continue;
      for (const consumer of [a, b]) {
        const ids = { consumerId: consumer.id, ...(await freshObjects(consumer.id)) };
        const answer = await call('operator', route.method, urlOf(route, ids), bodyOf(route));
        assert.ok(
          answer.status >= 200 && answer.status < 300,
          `operator: ${route.method} ${route.url} on ${consumer.id} → ${answer.status} ${JSON.stringify(answer.body)}`,
        );
      }
      if (/:(keyId|clientId|webhookId)\b/.test(route.url)) {
        // A's path with B's key, client or webhook: as unknown.
        const mixed = { consumerId: a.id, ...(await freshObjects(b.id)) };
        const answer = await call('operator', route.method, urlOf(route, mixed), bodyOf(route));
        assert.equal(answer.status, 404, `operator: ${route.method} ${route.url} with another consumer's id`);
      }
      if (/:id\b/.test(route.url)) {
        const answer = await call('operator', route.method, urlOf(route, unknownIds()), bodyOf(route));
        assert.equal(answer.status, 404, `operator: ${route.method} ${route.url} on an unknown consumer`);
      }
    }
    // Without a membership, the member routes have no consumer to act on; the API list is everyone's.
    assert.equal((await call('operator', 'GET', `${BASE}/keys`)).body.code, 'CONSUMER_NOT_FOUND');
    assert.equal((await call('operator', 'GET', `${BASE}/apis`)).status, 200);
    const search = await call('operator', 'GET', `${BASE}/admin/consumers?search=org%20b`);
    assert.deepEqual(
      search.body.items.map((c: any) => c.id),
      [b.id],
    );
    const wildcard = await call('operator', 'GET', `${BASE}/admin/consumers?search=%25`);
    assert.deepEqual(wildcard.body.items, [], 'LIKE wildcards in the search text match themselves');
    assert.deepEqual(
      (await call('operator', 'GET', `${BASE}/admin/consumers?search=${a.id}`)).body.items.map((c: any) => c.id),
      [a.id],
    );
  });

  test('a member gets 404 on every admin/… route, exactly as on a route that does not exist', async () => {
    const missing = await call('dev-a', 'GET', `${BASE}/admin/no-such-route`);
    assert.equal(missing.status, 404);
    for (const who of ['dev-a', 'owner-a']) {
      for (const route of routes.filter(isOperatorRoute)) {
        const ids = { consumerId: a.id, ...(await freshObjects(a.id)) };
        const answer = await call(who, route.method, urlOf(route, ids), bodyOf(route));
        assert.equal(answer.status, 404, `${who}: ${route.method} ${route.url}`);
        if (route.method !== 'HEAD') assert.equal(answer.body.code, missing.body.code);
      }
      // Even a body the schema refuses: validation never runs for a member.
      const bad = await call(who, 'POST', `${BASE}/admin/consumers`, { nope: true });
      assert.equal(bad.status, 404);
    }
  });

  test('a key through the portal: created works, rolled old key works within the overlap, revoked refused', async () => {
    const created = await call('dev-a', 'POST', `${BASE}/keys`, { name: 'ci', scopes: ['orders:read'] });
    assert.equal(created.status, 201);
    assert.equal((await t.app.verifyKey(created.body.key, { scopes: ['orders:read'] })).code, 'VALID');
    const listed = await call('dev-a', 'GET', `${BASE}/keys?limit=200`);
    assert.ok(!JSON.stringify(listed.body).includes(created.body.key), 'the plaintext is shown once');

    const renamed = await call('dev-a', 'PATCH', `${BASE}/keys/${created.body.id}`, { name: 'ci-2', expiresAt: null });
    assert.equal(renamed.body.name, 'ci-2');

    const rolled = await call('dev-a', 'POST', `${BASE}/keys/${created.body.id}/roll`, { expireOldInSeconds: 60 });
    assert.equal(rolled.status, 201);
    assert.equal((await t.app.verifyKey(rolled.body.key)).code, 'VALID');
    assert.equal((await t.app.verifyKey(created.body.key)).code, 'VALID', 'the old key works within the overlap');
    t.clock.advance(61_000);
    assert.equal((await t.app.verifyKey(created.body.key)).code, 'EXPIRED', 'and not after it');

    const revoked = await call('dev-a', 'POST', `${BASE}/keys/${rolled.body.id}/revoke`);
    assert.equal(revoked.status, 200);
    assert.equal((await t.app.verifyKey(rolled.body.key)).code, 'REVOKED');

    // Every page of the consumer's trail: the route walk before this test wrote more than one page.
    const events = [];
    let after: string | undefined;
    do {
      const page = await t.app.store.listAuditEvents({ consumerId: a.id, limit: 200, after });
      events.push(...page.items);
      after = page.nextCursor ?? undefined;
    } while (after);
    const text = JSON.stringify(events);
    assert.ok(!text.includes(created.body.key) && !text.includes(rolled.body.key), 'no plaintext key in the audit trail');
    assert.ok(events.some((e) => e.actor === 'portal:usr_deva' && e.action === 'key.rolled' && e.targetId === created.body.id));
    for (const file of [t.sqlitePath!, `${t.sqlitePath}-wal`]) {
      if (existsSync(file)) assert.ok(!readFileSync(file).includes(rolled.body.key), `nor in ${file}`);
    }
  });

  test('members may not set what stays the operators’: metadata, enabled, audiences', async () => {
    for (const [url, body] of [
      [`${BASE}/keys`, { metadata: { plan: 'enterprise' } }],
      [`${BASE}/keys`, { enabled: false }],
      [`${BASE}/clients`, { audiences: ['https://other.example.com'] }],
    ] as const) {
      const answer = await call('dev-a', 'POST', url, body);
      assert.equal(answer.status, 400, JSON.stringify(body));
      assert.equal(answer.body.code, 'VALIDATION_FAILED');
    }
    const outOfScope = await call('dev-a', 'POST', `${BASE}/keys`, { scopes: ['admin:all'] });
    assert.equal(outOfScope.body.code, 'SCOPES_NOT_ALLOWED');
  });

  test('webhooks: an owner’s endpoint gets its consumer’s events only; private addresses stay the operators’', async () => {
    const refused = await call('owner-a', 'POST', `${BASE}/webhooks`, { url: 'http://127.0.0.1:9/', events: ['key.created'], allowPrivateNetworks: true });
    assert.equal(refused.body.code, 'VALIDATION_FAILED', 'allowPrivateNetworks is not a member’s to set');
    const loopback = await call('owner-a', 'POST', `${BASE}/webhooks`, { url: 'http://127.0.0.1:9/', events: ['key.created'] });
    assert.equal(loopback.body.code, 'WEBHOOK_URL_NOT_ALLOWED');
    const byOperator = await call('operator', 'POST', `${BASE}/admin/consumers/${a.id}/webhooks`, {
      url: 'http://127.0.0.1:9/',
      events: ['key.created'],
      allowPrivateNetworks: true,
      enabled: false,
    });
    assert.equal(byOperator.status, 201, 'an operator may let a consumer’s endpoint reach a private address');
    assert.equal(byOperator.body.allowPrivateNetworks, true);
    const unticked = await call('operator', 'PATCH', `${BASE}/admin/consumers/${a.id}/webhooks/${byOperator.body.id}`, { allowPrivateNetworks: false });
    assert.equal(unticked.body.code, 'WEBHOOK_URL_NOT_ALLOWED');
    assert.equal((await call('owner-a', 'PATCH', `${BASE}/webhooks/${byOperator.body.id}`, { allowPrivateNetworks: false })).body.code, 'VALIDATION_FAILED');
    await call('operator', 'DELETE', `${BASE}/admin/consumers/${a.id}/webhooks/${byOperator.body.id}`);
    const created = await call('owner-a', 'POST', `${BASE}/webhooks`, { url: 'http://192.0.2.1/hooks', events: ['key.revoked'] });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.match(created.body.secret, /^whsec_/);
    assert.equal(created.body.consumerId, a.id);
    const keyOfA = await call('dev-a', 'POST', `${BASE}/keys`, { name: 'doomed' });
    await call('dev-a', 'POST', `${BASE}/keys/${keyOfA.body.id}/revoke`);
    const keyOfB = (await freshObjects(b.id)).keyId;
    await call('operator', 'POST', `${BASE}/admin/consumers/${b.id}/keys/${keyOfB}/revoke`);
    const log = await call('owner-a', 'GET', `${BASE}/webhooks/${created.body.id}/deliveries`);
    assert.deepEqual(
      log.body.items.map((d: any) => [d.eventType, d.payload.data.keyId, d.payload.data.actor]),
      [['key.revoked', keyOfA.body.id, 'portal:usr_deva']],
    );
  });

  test('a private_key_jwt client with a pasted JWK Set; a secret client rotated with an overlap', async () => {
    const jwk = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' });
    const created = await call('owner-a', 'POST', `${BASE}/clients`, {
      name: 'signer',
      authMethod: 'private_key_jwt',
      jwks: { keys: [{ ...jwk, kid: 'k1', use: 'sig' }] },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal(created.body.authMethod, 'private_key_jwt');
    assert.equal(created.body.clientSecret, undefined, 'no secret for a private_key_jwt client');
    assert.equal((await call('owner-a', 'POST', `${BASE}/clients/${created.body.clientId}/secrets`, {})).body.code, 'CLIENT_HAS_NO_SECRET');
    // Its JWK Set is replaced (checked as at creation), by a member and by an operator.
    const next = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const replaced = await call('dev-a', 'PATCH', `${BASE}/clients/${created.body.clientId}`, {
      jwks: { keys: [{ ...next.publicKey.export({ format: 'jwk' }), kid: 'k2' }] },
    });
    assert.equal(replaced.status, 200, JSON.stringify(replaced.body));
    assert.deepEqual(
      replaced.body.jwks.keys.map((k: { kid: string }) => k.kid),
      ['k2'],
    );
    const privateKey = await call('dev-a', 'PATCH', `${BASE}/clients/${created.body.clientId}`, {
      jwks: { keys: [next.privateKey.export({ format: 'jwk' })] },
    });
    assert.equal(privateKey.body.code, 'INVALID_JWKS');
    assert.equal((await call('dev-a', 'PATCH', `${BASE}/clients/${created.body.clientId}`, { audiences: ['x'] })).body.code, 'VALIDATION_FAILED');
    const byOperator = await call('operator', 'PATCH', `${BASE}/admin/consumers/${a.id}/clients/${created.body.clientId}`, {
      jwks: { keys: [{ ...jwk, kid: 'k1' }] },
    });
    assert.equal(byOperator.status, 200);
    assert.deepEqual((await t.app.oauth.clients.get(created.body.clientId)).jwks, { keys: [{ ...jwk, kid: 'k1' }] });

    const narrowed = await call('dev-a', 'PATCH', `${BASE}/clients/${created.body.clientId}`, { allowedIps: ['192.0.2.0/24', '2001:db8::1'] });
    assert.equal(narrowed.status, 200, JSON.stringify(narrowed.body));
    assert.deepEqual(narrowed.body.allowedIps, ['192.0.2.0/24', '2001:db8::1']);
    const badRange = await call('dev-a', 'PATCH', `${BASE}/clients/${created.body.clientId}`, { allowedIps: ['192.0.2.0/33'] });
    assert.equal(badRange.status, 400);
    assert.equal(badRange.body.code, 'IP_ALLOWLIST_INVALID');

    const secretClient = await call('owner-a', 'POST', `${BASE}/clients`, { name: 'sync' });
    const rotated = await call('owner-a', 'POST', `${BASE}/clients/${secretClient.body.clientId}/secrets`, { expireOldInSeconds: 300 });
    assert.equal(rotated.status, 201);
    assert.notEqual(rotated.body.clientSecret, secretClient.body.clientSecret);
    const shown = await call('owner-a', 'GET', `${BASE}/clients/${secretClient.body.clientId}`);
    assert.equal(shown.body.secrets.length, 2, 'the old secret stays for the overlap');
    assert.ok(!JSON.stringify(shown.body).includes(rotated.body.clientSecret), 'secrets are masked');
  });

  test('odd input gets a 4xx with a stable code, never a 5xx or a file read', async () => {
    const { keyId } = await freshObjects(a.id);
    let deep: unknown = 'x';
    for (let i = 0; i < 40; i++) deep = { deep };
    const cases: Array<[method: string, url: string, body: unknown, status: number, code: string]> = [
      ['GET', `${BASE}/keys/not-a-key`, undefined, 400, 'VALIDATION_FAILED'],
      ['GET', `${BASE}/keys/KEY_${keyId.slice(4)}`, undefined, 400, 'VALIDATION_FAILED'],
      ['GET', `${BASE}/keys/${keyId}%00`, undefined, 400, 'NUL_CHARACTER'],
      ['GET', `${BASE}/clients/${keyId}`, undefined, 400, 'VALIDATION_FAILED'],
      ['PATCH', `${BASE}/keys/${keyId}`, {}, 400, 'VALIDATION_FAILED'],
      ['PATCH', `${BASE}/keys/${keyId}`, { name: 'x', scopes: [] }, 400, 'VALIDATION_FAILED'],
      ['POST', `${BASE}/keys`, { name: deep }, 400, 'NESTING_TOO_DEEP'],
      ['POST', `${BASE}/keys`, { rateLimit: { limit: 1, window: '0s' } }, 400, 'VALIDATION_FAILED'],
      ['POST', `${BASE}/keys`, { expiresAt: 'tomorrow' }, 400, 'VALIDATION_FAILED'],
      ['POST', `${BASE}/keys/${keyId}/roll`, { expireOldInSeconds: -1 }, 400, 'VALIDATION_FAILED'],
      ['POST', `${BASE}/clients`, { authMethod: 'private_key_jwt', jwks: { keys: [{ kty: 'oct', k: 'c2VjcmV0' }] } }, 400, 'INVALID_JWKS'],
      ['GET', `${BASE}/usage?from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z`, undefined, 400, 'INVALID_TIME'],
      ['GET', `${BASE}/usage?keyId=${keyId}&clientId=cli_x`, undefined, 400, 'VALIDATION_FAILED'],
      ['GET', `${BASE}/apis/..%2F..%2Fetc%2Fpasswd/openapi.json`, undefined, 400, 'VALIDATION_FAILED'],
      ['GET', `${BASE}/audit-events?limit=100000`, undefined, 400, 'VALIDATION_FAILED'],
    ];
    for (const [method, url, body, status, code] of cases) {
      const answer = await call('dev-a', method, url, body);
      assert.equal(answer.status, status, `${method} ${url} ${JSON.stringify(body)?.slice(0, 80)} → ${JSON.stringify(answer.body)}`);
      assert.equal(answer.body.code, code, `${method} ${url}`);
      assert.ok(!JSON.stringify(answer.body).includes(' at '), 'no stack trace');
    }
  });

  test('usage: per hour or day by status class, with the rate limits, quotas and credits left', async () => {
    const key = await t.app.keys.create(a.id, { name: 'metered', quota: { limit: 100, period: 'day' } }, { id: 'test', sourceIp: null });
    t.app.usage.record({ consumerId: a.id, credentialId: key.record.id, api: 'orders', status: 200 });
    t.app.usage.record({ consumerId: a.id, credentialId: key.record.id, api: 'orders', status: 429 });
    t.app.usage.record({ consumerId: b.id, credentialId: 'key_other', api: 'orders', status: 200 });
    const report = await call('dev-a', 'GET', `${BASE}/usage?granularity=day&keyId=${key.record.id}`);
    assert.equal(report.status, 200);
    assert.equal(report.body.total, 2);
    assert.deepEqual(report.body.counts, { '2xx': 1, '4xx': 1 });
    assert.equal(report.body.limits.consumer.id, a.id);
    assert.equal(report.body.limits.credential.id, key.record.id);
    assert.equal(report.body.limits.credential.quotaStatus.limit, 100);
    const all = await call('dev-a', 'GET', `${BASE}/usage?api=orders`);
    assert.equal(all.body.total, 2, "B's traffic is not A's");
    assert.equal(all.body.limits.credential, null);
    assert.equal((await call('dev-a', 'GET', `${BASE}/usage?granularity=minute`)).status, 400, 'hour or day');
  });

  test('apis and their OpenAPI documents point at this Portcullis', async () => {
    const apis = await call('dev-a', 'GET', `${BASE}/apis`);
    assert.deepEqual(
      apis.body.map((api: any) => [api.name, api.hasOpenApi]),
      [
        ['orders', true],
        ['plain', true],
        ['bare', false],
      ],
    );
    const orders = (await call('dev-a', 'GET', `${BASE}/apis/orders/openapi.json`)).body;
    // Its paths include the base path (stripBasePath is off), as the gateway matches them: the server is the gateway.
    assert.deepEqual(orders.servers, [{ url: ISSUER, description: 'orders through Portcullis' }]);
    assert.ok(!JSON.stringify(orders).includes('orders.internal'), 'no upstream URL left, per path or operation');
    assert.deepEqual(orders.components.securitySchemes.oauth.flows, {
      clientCredentials: { tokenUrl: `${ISSUER}/oauth/token`, scopes: { 'orders:read': 'Read orders' } },
    });
    assert.deepEqual(orders.components.securitySchemes.key, { type: 'apiKey', in: 'header', name: 'X-API-Key' });

    const plain = (await call('dev-a', 'GET', `${BASE}/apis/plain/openapi.json`)).body;
    assert.deepEqual(plain.security, [{ portcullisOAuth: ['p'] }], 'the API’s auth when the document names none');
    assert.equal(plain.components.securitySchemes.portcullisOAuth.flows.clientCredentials.tokenUrl, `${ISSUER}/oauth/token`);
    // With stripBasePath its paths follow the base path: the server carries it.
    assert.deepEqual(plain.servers, [{ url: `${ISSUER}/plain`, description: 'plain through Portcullis' }]);

    for (const name of ['bare', 'nope']) {
      const missing = await call('dev-a', 'GET', `${BASE}/apis/${name}/openapi.json`);
      assert.equal(missing.status, 404);
      assert.equal(missing.body.code, 'API_NOT_FOUND');
    }
  });
});
