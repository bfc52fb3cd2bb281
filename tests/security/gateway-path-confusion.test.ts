// Issue #19 §2: the operation the gateway authorises is the operation the upstream runs. Upstream
// routers drop a `#fragment`, match case-insensitively, decode escapes, treat `;` and a trailing
// slash their own way; a request target they could read as another operation than the gateway did
// is refused (400 BAD_PATH), with an OpenAPI document, with passThrough and without a document.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Harness, startHarness } from '../gateway/helpers.js';
import { documentOf, get, type RouteSpec, type RunningRouter, startExpress, startFastify } from './gateway-upstreams.js';

const ROUTES: RouteSpec[] = [
  { name: 'list', path: '/x' },
  { name: 'admin', path: '/x/admin' },
  { name: 'id', path: '/x/{id}' },
  { name: 'admin-logs', path: '/x/admin/logs' },
  { name: 'id-logs', path: '/x/{id}/logs' },
  { name: 'd-list', path: '/d/' },
  { name: 'd-item', path: '/d/{id}/' },
  { name: 'admin-api', path: '/admin-api/x', document: false },
  { name: 'root', path: '/other', document: false },
];

describe('security: the gateway authorises the operation the upstream runs', () => {
  let expressUpstream: RunningRouter;
  let fastifyUpstream: RunningRouter;
  let h: Harness;
  let reader: string;
  let admin: string;

  before(async () => {
    expressUpstream = await startExpress(ROUTES);
    fastifyUpstream = await startFastify(ROUTES);
    const document = { openapi: 'x.yaml', stripBasePath: true };
    h = await startHarness(
      {
        // An API at `/` contains every path, the portal's too (a config error): no portal here.
        portal: { enabled: false },
        apis: [
          { name: 'strict', basePath: '/s', upstream: expressUpstream.url, ...document },
          { name: 'pass', basePath: '/p', upstream: expressUpstream.url, ...document, passThrough: true },
          { name: 'fastify', basePath: '/f', upstream: fastifyUpstream.url, ...document },
          { name: 'matrix', basePath: '/m', upstream: expressUpstream.url, ...document, allowMatrixParams: true },
          { name: 'plain', basePath: '/n', upstream: expressUpstream.url, stripBasePath: true, scopes: ['op:plain'] },
          { name: 'admin-api', basePath: '/admin-api', upstream: expressUpstream.url, scopes: ['op:admin'] },
          { name: 'root', basePath: '/', upstream: expressUpstream.url, scopes: ['op:root'] },
        ],
      },
      { files: { 'x.yaml': documentOf(ROUTES) } },
    );
    // The "x:read" caller of the issue: every operation but the admin ones.
    ({ key: reader } = await h.issueKey({ scopes: ['op:list', 'op:id', 'op:id-logs', 'op:d-list', 'op:d-item', 'op:plain', 'op:root'] }));
    ({ key: admin } = await h.issueKey({ scopes: ['op:admin', 'op:admin-logs'] }));
  });
  after(async () => {
    await h.close();
    await expressUpstream.close();
    await fastifyUpstream.close();
  });

  const expectBadPath = async (target: string, key = reader) => {
    const answer = await get(h.gateway.url, target, key);
    assert.deepEqual({ target, status: answer.status, code: answer.code, route: answer.route }, { target, status: 400, code: 'BAD_PATH', route: undefined });
  };

  it('the plain spellings reach the operation they name', async () => {
    assert.deepEqual(await get(h.gateway.url, '/s/x/admin', admin), { status: 200, route: 'admin', code: undefined });
    assert.deepEqual(await get(h.gateway.url, '/s/x/admin', reader), { status: 403, route: undefined, code: 'INSUFFICIENT_SCOPE' });
    assert.deepEqual(await get(h.gateway.url, '/s/x/42', reader), { status: 200, route: 'id', code: undefined });
    assert.deepEqual(await get(h.gateway.url, '/s/x/42/logs?a=1', reader), { status: 200, route: 'id-logs', code: undefined });
    assert.deepEqual(await get(h.gateway.url, '/s/x/admin/logs', admin), { status: 200, route: 'admin-logs', code: undefined });
    assert.deepEqual(await get(h.gateway.url, '/s/x/a%20b', reader), { status: 200, route: 'id', code: undefined });
    assert.deepEqual(await get(h.gateway.url, '/n/anything', reader), { status: 404, route: 'none', code: undefined });
  });

  it('a fragment in the request target is refused (Express and WHATWG URL drop it)', async () => {
    // Before the fix: the gateway matched `admin#frag` as /x/{id} (op:id) and Express ran /x/admin.
    await expectBadPath('/s/x/admin#frag');
    await expectBadPath('/s/x/admin#');
    await expectBadPath('/s/x/1#/../admin');
    await expectBadPath('/s/x/1?a=b#frag');
    await expectBadPath('/p/x/admin#frag');
    await expectBadPath('/n/x#frag');
  });

  it('a case variant of a literal path is refused, never authorised under the template', async () => {
    // Before the fix: /x/ADMIN matched /x/{id} (op:id) and Express, case-insensitive, ran /x/admin.
    for (const target of ['/s/x/ADMIN', '/s/x/Admin', '/s/x/aDMIN/logs', '/s/x/42/LOGS', '/s/X/42', '/f/x/ADMIN']) await expectBadPath(target);
    // An admin key gets no further with them: the spelling is refused whatever the credential.
    await expectBadPath('/s/x/ADMIN', admin);
  });

  it('percent-encoded unreserved characters and double encoding are refused', async () => {
    // Before the fix: the gateway decoded /x/%61dmin to /x/admin while Express routed it to /x/{id}.
    for (const target of ['/s/x/%61dmin', '/s/x/adm%69n', '/s/x/%41DMIN', '/s/x/%7e', '/s/x/%2561dmin', '/s/x/%C3%28', '/n/%61']) await expectBadPath(target);
  });

  it('empty segments and `;` are refused by default', async () => {
    for (const target of ['/s/x//admin', '/s//x/admin', '/s/x/admin;a=b', '/s/x/1;a=b', '/s/x/admin%3Bx', '/s/x/%3B', '/n//x', '/n/x;a=1', '/n/x/..;/admin']) {
      await expectBadPath(target);
    }
  });

  it('passThrough does not forward a spelling of a documented path', async () => {
    // Before the fix: /x/ADMIN matched nothing, went through under the API's own auth, and Express
    // ran /x/admin for a key without op:admin.
    for (const target of ['/p/x/ADMIN', '/p/x/Admin/logs', '/p/x//admin', '/p/x/admin;x', '/p/x/%61dmin']) await expectBadPath(target);
    assert.deepEqual(await get(h.gateway.url, '/p/elsewhere', reader), { status: 404, route: 'none', code: undefined });
  });

  it('a base path differing only in case is refused rather than routed to a shorter base path', async () => {
    // Before the fix: /ADMIN-API/x went to the root API (op:root) and Express ran /admin-api/x.
    await expectBadPath('/ADMIN-API/x');
    await expectBadPath('/Admin-Api/x');
    assert.deepEqual(await get(h.gateway.url, '/admin-api/x', admin), { status: 200, route: 'admin-api', code: undefined });
    assert.deepEqual(await get(h.gateway.url, '/other', reader), { status: 200, route: 'root', code: undefined });
  });

  it('a trailing slash is refused where a router could read it as an empty parameter', async () => {
    // Fastify matches /x/ to /x/{id} with an empty id, Express to /x.
    await expectBadPath('/f/x/');
    await expectBadPath('/s/x/');
    // Where the document spells the slash, or no template could take an empty segment, it is fine.
    assert.deepEqual(await get(h.gateway.url, '/f/d/', reader), { status: 200, route: 'd-list', code: undefined });
    assert.deepEqual(await get(h.gateway.url, '/f/d/7/', reader), { status: 200, route: 'd-item', code: undefined });
    assert.deepEqual(await get(h.gateway.url, '/s/x/admin/', admin), { status: 200, route: 'admin', code: undefined });
    assert.deepEqual(await get(h.gateway.url, '/s/x/7/logs/', reader), { status: 200, route: 'id-logs', code: undefined });
  });

  it('allowMatrixParams: matrix parameters are allowed and the segment before them decides the operation', async () => {
    // A Servlet container drops `;v=1` and runs /x/admin: the gateway asks for the admin scopes.
    assert.equal((await get(h.gateway.url, '/m/x/admin;v=1', reader)).status, 403);
    assert.equal((await get(h.gateway.url, '/m/x/admin;v=1', admin)).status, 200);
    assert.deepEqual(await get(h.gateway.url, '/m/x/42;v=1', reader), { status: 200, route: 'id', code: undefined });
    for (const target of ['/m/x/..;/admin', '/m/x/;v=1/admin', '/m/x/ADMIN;v=1', '/m/x//admin', '/m/x/admin#x']) await expectBadPath(target);
  });
});
