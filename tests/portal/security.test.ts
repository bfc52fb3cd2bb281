// The portal edge's protections, each with a test: cross-site refusal (no token, wrong token,
// cross-site Sec-Fetch-Site, foreign Origin, no Origin), the security headers on pages, assets, API
// answers and errors, static files without traversal (in inject and over a real listener), the
// UI-not-built answer, members reaching only their own consumer, operator-only routes, sign-up,
// operator sign-in links, the portal's OpenAPI document, no gateway traffic, and no secret in the logs.
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { validateConfig } from '../../src/config/load.js';
import { createPortalHarness, INDEX_HTML, member, PASSWORD, type PortalHarness } from './helpers.js';

const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

function assertSecurityHeaders(headers: Record<string, unknown>, what: string): void {
  assert.equal(headers['content-security-policy'], CSP, what);
  assert.equal(headers['referrer-policy'], 'no-referrer', what);
  assert.equal(headers['x-content-type-options'], 'nosniff', what);
  assert.equal(headers['x-frame-options'], 'DENY', what);
}

/** A raw GET over a real socket: the target exactly as written (no client normalisation). */
function rawGet(port: number, target: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path: target, method: 'GET' }, (res) => {
      let body = '';
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode!, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('portal edge security', () => {
  let h: PortalHarness;
  before(async () => {
    h = await createPortalHarness();
  });
  after(async () => h?.close());

  test('every state-changing call needs a same-origin request and, signed in, the session’s CSRF token', async () => {
    const { browser } = await member(h, 'csrf', 'csrf@example.com');
    const body = { email: 'new@example.com', role: 'developer' };
    const refusals: Array<[string, Record<string, string | undefined>]> = [
      ['no token', { 'x-csrf-token': undefined }],
      ['a wrong token', { 'x-csrf-token': 'A'.repeat(43) }],
      ['a token of another length', { 'x-csrf-token': 'short' }],
      ['cross-site Sec-Fetch-Site', { 'sec-fetch-site': 'cross-site' }],
      ['same-site Sec-Fetch-Site', { 'sec-fetch-site': 'same-site' }],
      ['a foreign Origin', { 'sec-fetch-site': undefined, origin: 'https://evil.example' }],
      ['Origin null', { 'sec-fetch-site': undefined, origin: 'null' }],
      ['neither Sec-Fetch-Site nor Origin', { 'sec-fetch-site': undefined }],
    ];
    for (const [what, headers] of refusals) {
      const answer = await browser.request('POST', 'members', body, headers);
      assert.equal(answer.status, 403, what);
      assert.equal(answer.body.code, 'CSRF_REJECTED', what);
      assertSecurityHeaders(answer.headers, what);
    }
    for (const method of ['DELETE', 'PATCH'] as const) {
      const answer = await browser.request(method, method === 'DELETE' ? 'session' : 'members/mem_x', method === 'PATCH' ? { role: 'owner' } : undefined, {
        'x-csrf-token': undefined,
      });
      assert.equal(answer.body.code, 'CSRF_REJECTED', method);
    }
    // A forged sign-in (login CSRF) is refused too, before any password is checked.
    const forged = await h.browser().request('POST', 'session', { email: 'csrf@example.com', password: PASSWORD }, { 'sec-fetch-site': 'cross-site' });
    assert.equal(forged.body.code, 'CSRF_REJECTED');
    // The portal's own origin, or the request's own host, without Sec-Fetch-Site (older browsers) passes.
    const byOrigin = await browser.request('POST', 'members', body, { 'sec-fetch-site': undefined, origin: 'https://portal.example.com' });
    assert.equal(byOrigin.status, 201, JSON.stringify(byOrigin.body));
    const byHost = await browser.request(
      'POST',
      'members',
      { ...body, email: 'host@example.com' },
      { 'sec-fetch-site': undefined, origin: 'http://gateway.local:8080', host: 'gateway.local:8080' },
    );
    assert.equal(byHost.status, 201);
    // GETs need neither.
    assert.equal((await browser.request('GET', 'members')).status, 200);
  });

  test('pages, assets, API answers and errors carry the security headers; API answers and the page are not cached', async () => {
    const page = await h.browser().request('GET', '/portal');
    assert.equal(page.status, 200);
    assert.match(String(page.headers['content-type']), /^text\/html/);
    assert.equal(page.body, INDEX_HTML.replaceAll('__PORTAL_BASE__', '/portal'));
    assert.equal(page.headers['cache-control'], 'no-store');
    assertSecurityHeaders(page.headers, 'page');
    for (const route of ['/portal/', '/portal/keys', '/portal/accept', '/portal/admin/consumers/con_1']) {
      const spa = await h.browser().request('GET', route);
      assert.equal(spa.status, 200, route);
      assert.match(String(spa.body), /<meta name="portal-base" content="\/portal">/, route);
    }
    const js = await h.browser().request('GET', '/portal/assets/app-ABCDEFGH.js');
    assert.equal(js.status, 200);
    assert.equal(js.headers['content-type'], 'text/javascript; charset=utf-8');
    assert.equal(js.headers['cache-control'], 'public, max-age=31536000, immutable');
    assertSecurityHeaders(js.headers, 'asset');
    const css = await h.browser().request('GET', '/portal/assets/app.css');
    assert.equal(css.headers['content-type'], 'text/css; charset=utf-8');
    assert.equal(css.headers['cache-control'], 'no-cache');
    assert.equal((await h.browser().request('GET', '/portal/assets/fonts/inter.woff2')).headers['content-type'], 'font/woff2');

    const info = await h.browser().request('GET', 'portal');
    assert.equal(info.status, 200);
    assert.deepEqual(Object.keys(info.body).sort(), ['gatewayUrl', 'issuer', 'logoUrl', 'primaryColor', 'signup', 'title', 'tokenUrl']);
    assert.equal(info.body.gatewayUrl, 'https://portal.example.com');
    assert.equal(info.headers['cache-control'], 'no-store');
    assertSecurityHeaders(info.headers, 'api');
    for (const [what, path] of [
      ['unknown API route', 'nothing-here'],
      ['signed-out me', 'me'],
    ]) {
      const answer = await h.browser().request('GET', path!);
      assert.ok(answer.status === 404 || answer.status === 401, what);
      assert.match(String(answer.headers['content-type']), /^application\/problem\+json/, what);
      assertSecurityHeaders(answer.headers, what!);
    }
  });

  test('assets: only files of dist/portal-ui/assets, by their exact name; no listing, no traversal', async () => {
    for (const target of [
      '/portal/assets/',
      '/portal/assets/fonts',
      '/portal/assets/fonts/',
      '/portal/assets/..%2fsecret.txt',
      '/portal/assets/%2e%2e/secret.txt',
      '/portal/assets/..%5csecret.txt',
      '/portal/assets/fonts/../../secret.txt',
      '/portal/assets/app.css%00.js',
      '/portal/assets/APP.CSS',
    ]) {
      const answer = await h.browser().request('GET', target);
      // inject resolves `%2e%2e` as a URL parser would: what it reaches then is a page route, never a file.
      const page = answer.status === 200 && answer.body === INDEX_HTML.replaceAll('__PORTAL_BASE__', '/portal');
      assert.ok(page || [400, 404].includes(answer.status), `${target}: ${answer.status}`);
      assert.ok(!String(answer.body).includes('not an asset'), target);
    }
    // Over a real socket the listener refuses non-canonical targets before any route.
    await h.portal.fastify.listen({ host: '127.0.0.1', port: 0 });
    const port = (h.portal.server.address() as AddressInfo).port;
    for (const target of ['/portal/assets/../secret.txt', '/portal/assets/%2e%2e/secret.txt', '/portal/assets/..%2Fsecret.txt', '/portal/assets//etc/passwd']) {
      const answer = await rawGet(port, target);
      assert.ok([400, 404].includes(answer.status), `${target}: ${answer.status}`);
      assert.ok(!answer.body.includes('not an asset'), target);
    }
    assert.equal((await rawGet(port, '/portal/assets/app.css')).body, 'body{}');
  });

  test('a member reaches only their own consumer’s members; a developer manages none; operator routes need an operator', async () => {
    const a = await member(h, 'org-a', 'owner-a@example.com');
    const b = await member(h, 'org-b', 'owner-b@example.com');
    await b.browser.request('POST', 'members', { email: 'dev-b@example.com', role: 'developer' });
    const devB = h.browser();
    const accepted = await devB.request('POST', 'invitations/accept', { token: await h.tokenFromOutbox('dev-b@example.com'), password: PASSWORD });
    assert.equal(accepted.body.membership.role, 'developer');
    const bMembers = (await b.browser.request('GET', 'members')).body.items;
    assert.deepEqual(bMembers.map((m: { email: string }) => m.email).sort(), ['dev-b@example.com', 'owner-b@example.com']);
    const devBId = bMembers.find((m: { email: string }) => m.email === 'dev-b@example.com').id;

    // Owner of A, on B's member: 404, as an id that does not exist.
    for (const [method, body] of [
      ['PATCH', { role: 'owner' }],
      ['DELETE', undefined],
    ] as const) {
      const answer = await a.browser.request(method, `members/${devBId}`, body);
      assert.equal(answer.status, 404, method);
      assert.equal(answer.body.code, 'MEMBER_NOT_FOUND');
    }
    assert.ok(!(await a.browser.request('GET', 'members')).body.items.some((m: { id: string }) => m.id === devBId));
    // A developer manages no members.
    assert.equal((await devB.request('GET', 'members')).body.code, 'PORTAL_ROLE_REQUIRED');
    assert.equal((await devB.request('POST', 'members', { email: 'x@example.com', role: 'owner' })).body.code, 'PORTAL_ROLE_REQUIRED');
    // Operator routes: refused to members.
    for (const [method, path] of [
      ['GET', `admin/consumers/${b.consumer.id}/members`],
      ['GET', 'admin/operators'],
      ['POST', 'admin/operators'],
    ] as const) {
      const answer = await a.browser.request(method, path, method === 'POST' ? { email: 'op@example.com' } : undefined);
      assert.equal(answer.status, 403, path);
      assert.equal(answer.body.code, 'PORTAL_ROLE_REQUIRED');
    }
    // The owner changes a role and removes a member, whose session ends at once.
    const promoted = await b.browser.request('PATCH', `members/${devBId}`, { role: 'owner' });
    assert.equal(promoted.body.role, 'owner');
    assert.equal((await b.browser.request('DELETE', `members/${devBId}`)).status, 204);
    assert.equal((await devB.request('GET', 'me')).status, 401);
  });

  test('an operator signs in with a one-time link and manages any consumer’s members and the operators', async () => {
    const consumer = (await h.call('POST', '/admin/v1/consumers', { name: 'org-op' })).body;
    const link = await h.app.members.createOperatorSignInLink('op@example.com', { id: 'test', sourceIp: null });
    assert.match(link.url, /^https:\/\/portal\.example\.com\/portal\/sign-in-link#token=[A-Za-z0-9_-]{43}$/);
    const token = link.url.split('#token=')[1]!;
    const op = h.browser();
    const signedIn = await op.request('POST', 'sign-in-link', { token });
    assert.equal(signedIn.status, 200);
    assert.deepEqual(signedIn.body.user.role, 'operator');
    assert.equal(signedIn.body.membership, null);
    assert.equal((await h.browser().request('POST', 'sign-in-link', { token })).body.code, 'LINK_NOT_VALID');

    const invited = await op.request('POST', `admin/consumers/${consumer.id}/members`, { email: 'by-op@example.com', role: 'owner' });
    assert.equal(invited.status, 201);
    assert.equal((await op.request('GET', `admin/consumers/${consumer.id}/members`)).body.items.length, 0);
    assert.equal((await op.request('GET', 'admin/consumers/con_0000000000000000000000/members')).body.code, 'CONSUMER_NOT_FOUND');
    // An operator without a password sets one without a current password.
    assert.equal((await op.request('POST', 'password', { newPassword: 'operator password!' })).status, 200);
    assert.equal((await h.browser().signIn('op@example.com', 'operator password!')).status, 200);

    const operatorInvite = await op.request('POST', 'admin/operators', { email: 'op2@example.com' });
    assert.equal(operatorInvite.status, 201);
    const op2 = h.browser();
    const accepted = await op2.request('POST', 'invitations/accept', { token: await h.tokenFromOutbox('op2@example.com'), password: PASSWORD });
    assert.equal(accepted.body.user.role, 'operator');
    assert.deepEqual((await op2.request('GET', 'admin/operators')).body.items.map((o: { email: string }) => o.email).sort(), [
      'op2@example.com',
      'op@example.com',
    ]);
  });

  test('sign-up is closed by default', async () => {
    const answer = await h.browser().request('POST', 'signup', { email: 'new@example.com', password: PASSWORD, organisation: 'neworg' });
    assert.equal(answer.status, 403);
    assert.equal(answer.body.code, 'SIGNUP_CLOSED');
  });

  test('JSON nested too deep is refused by the API scope’s one check, on the accounts and the resource routes alike', async () => {
    let deep: unknown = 'x';
    for (let i = 0; i < 40; i++) deep = { deep };
    const signup = await h.browser().request('POST', 'signup', { email: 'deep@example.com', password: PASSWORD, organisation: deep });
    assert.deepEqual([signup.status, signup.body.code], [400, 'NESTING_TOO_DEEP']);
    const { browser } = await member(h, 'deep-org', 'deep@deep.example');
    const key = await browser.request('POST', 'keys', { name: deep });
    assert.deepEqual([key.status, key.body.code], [400, 'NESTING_TOO_DEEP']);
  });

  test('portal requests are not gateway traffic: no usage rows, no gateway metrics', async () => {
    await h.browser().request('GET', '/portal');
    await h.browser().request('GET', 'portal');
    assert.equal(h.app.usage.pending, 0);
    await h.app.usage.flush();
    assert.deepEqual(await h.app.store.queryUsage({ from: 0, to: Date.UTC(2100, 0, 1), granularityMs: 86_400_000 }), []);
    assert.doesNotMatch(await h.app.metrics.render(), /portcullis_gateway_requests_total\{[^}]*\} [1-9]/);
  });

  test('the portal API’s OpenAPI document lists its routes with their operationIds', async () => {
    const doc = (await h.browser().request('GET', 'openapi.json')).body;
    assert.equal(doc.openapi, '3.1.0');
    assert.equal(doc.servers[0].url, 'https://portal.example.com/portal/api/v1');
    const ids = Object.values<any>(doc.paths).flatMap((item) => Object.values<any>(item).map((op) => op.operationId));
    for (const id of [
      'getPortal',
      'signIn',
      'signOut',
      'getMe',
      'acceptInvitation',
      'signInWithLink',
      'signUp',
      'verifySignup',
      'requestPasswordReset',
      'confirmPasswordReset',
      'changePassword',
      'listMembers',
      'inviteMember',
      'changeMemberRole',
      'removeMember',
      'operatorListMembers',
      'listOperators',
      'inviteOperator',
    ]) {
      assert.ok(ids.includes(id), id);
    }
    assert.ok(doc.paths['/portal/api/v1/session'] ?? doc.paths['/session'], Object.keys(doc.paths).join(' '));
  });
});

describe('portal edge without a built UI, and its config', () => {
  test('GET {path} answers 503 PORTAL_UI_NOT_BUILT; the API still works', async () => {
    const h = await createPortalHarness({ uiBuilt: false });
    try {
      const page = await h.browser().request('GET', '/portal/keys');
      assert.equal(page.status, 503);
      assert.equal(page.body.code, 'PORTAL_UI_NOT_BUILT');
      assert.match(page.body.detail, /npm run build/);
      assert.equal((await h.browser().request('GET', 'portal')).status, 200);
    } finally {
      await h.close();
    }
  });

  test('the portal path may not overlap an API’s basePath: the error names both', () => {
    const api = (basePath: string) => ({ name: 'orders', basePath, upstream: 'http://127.0.0.1:1' });
    for (const basePath of ['/portal', '/portal/', '/portal/v1', '/']) {
      assert.throws(
        () => validateConfig({ apis: [api(basePath)] }, 'test'),
        (error: Error) => {
          assert.match(error.message, /portal\.path: \/portal overlaps apis\.0\.basePath/);
          assert.ok(error.message.includes(basePath), error.message);
          return true;
        },
      );
    }
    assert.throws(
      () => validateConfig({ portal: { path: '/api/docs' }, apis: [api('/api')] }, 'test'),
      /\/api\/docs overlaps apis\.0\.basePath \/api \(API orders\)/,
    );
    // Not an overlap: a shared prefix that is not a path segment, or the portal turned off.
    validateConfig({ apis: [api('/portals')] }, 'test');
    validateConfig({ portal: { enabled: false }, apis: [api('/portal')] }, 'test');
  });

  test('on plain http to localhost the cookie is portcullis_session without Secure', async () => {
    const h = await createPortalHarness({ config: { portal: { publicUrl: 'http://127.0.0.1:8080' } } });
    try {
      const { browser } = await member(h, 'local', 'local@example.com');
      const answer = await browser.signIn('local@example.com');
      const set = answer.cookies.find((c) => c.name === 'portcullis_session')!;
      assert.ok(set, JSON.stringify(answer.cookies.map((c) => c.name)));
      assert.notEqual(set.secure, true);
      assert.equal(set.httpOnly, true);
      assert.equal(set.sameSite, 'Lax');
    } finally {
      await h.close();
    }
  });
});
