// POST /oauth/token: the article's request verbatim, RFC 9068 tokens that an independent verifier
// accepts, and every RFC 6749 §5.2 error case, including throttling of failed client authentication.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { accessLogWritten } from '../helpers/app.js';
import { basic, createOAuthHarness, ISSUER, type OAuthHarness } from './helpers.js';

describe('token endpoint', () => {
  let h: OAuthHarness;
  let consumer: any;
  let defaultClient: any;
  let postClient: any;
  let pinnedBasicClient: any;

  before(async () => {
    h = await createOAuthHarness();
    consumer = await h.createConsumer({ metadata: { accountId: 'acct_42', plan: 'pro' } });
    defaultClient = await h.createClient(consumer.id, { audiences: ['https://api.example.com/orders', 'urn:billing'] });
    postClient = await h.createClient(consumer.id, { authMethod: 'client_secret_post', audiences: ['https://api.example.com/orders'] });
    pinnedBasicClient = await h.createClient(consumer.id, { authMethod: 'client_secret_basic' });
  });

  test('a client created without authMethod accepts client_secret_basic and client_secret_post (RFC 6749 §2.3.1)', async () => {
    const asPost = await h.post('/oauth/token', {
      grant_type: 'client_credentials',
      client_id: defaultClient.clientId,
      client_secret: defaultClient.clientSecret,
    });
    assert.equal(asPost.status, 200, asPost.text);
    const asBasic = await h.post(
      '/oauth/token',
      { grant_type: 'client_credentials' },
      { authorization: basic(defaultClient.clientId, defaultClient.clientSecret) },
    );
    assert.equal(asBasic.status, 200, asBasic.text);
    const both = await h.post(
      '/oauth/token',
      { grant_type: 'client_credentials', client_id: defaultClient.clientId, client_secret: defaultClient.clientSecret },
      { authorization: basic(defaultClient.clientId, defaultClient.clientSecret) },
    );
    assert.equal(both.status, 400, 'both mechanisms in one request stay an error');
    assert.equal(both.body.error, 'invalid_request');
  });
  after(async () => h?.close());

  test('the article’s request works verbatim (client_secret_post + audience)', async () => {
    const response = await h.post('/oauth/token', {
      grant_type: 'client_credentials',
      client_id: postClient.clientId,
      client_secret: postClient.clientSecret,
      audience: 'https://api.example.com/orders',
    });
    assert.equal(response.status, 200, response.text);
    assert.equal(response.headers['cache-control'], 'no-store');
    assert.deepEqual(Object.keys(response.body).sort(), ['access_token', 'expires_in', 'scope', 'token_type']);
    assert.equal(response.body.token_type, 'Bearer');
    assert.equal(response.body.expires_in, 3600);
    assert.equal(response.body.scope, 'orders:read orders:write');
    assert.equal(response.body.refresh_token, undefined);
  });

  test('the token passes an independent RFC 9068 check against the published JWKS', async () => {
    const token = await h.tokenFor(defaultClient, { scope: 'orders:read', audience: 'urn:billing' });
    const jwks = await h.get('/.well-known/jwks.json');
    assert.match(String(jwks.headers['cache-control']), /max-age=\d+/);
    const { payload, protectedHeader } = await jwtVerify(token, createLocalJWKSet(jwks.body), {
      issuer: ISSUER,
      audience: 'urn:billing',
      typ: 'at+jwt',
      algorithms: ['ES256'],
      currentDate: new Date(h.clock.now()),
    });
    assert.equal(protectedHeader.typ, 'at+jwt');
    assert.match(String(protectedHeader.kid), /^sk_/);
    assert.deepEqual(Object.keys(payload).sort(), ['aud', 'client_id', 'exp', 'iat', 'iss', 'jti', 'scope', 'sub']);
    assert.equal(payload.sub, defaultClient.clientId);
    assert.equal(payload.client_id, defaultClient.clientId);
    assert.equal(payload.scope, 'orders:read');
    assert.equal(payload.exp! - payload.iat!, 3600);
    assert.ok(!JSON.stringify(payload).includes('acct_42'), 'no consumer metadata in the token');
  });

  test('without audience the token is for every audience the client may use; resource (RFC 8707) also selects', async () => {
    const all = await h.tokenFor(defaultClient);
    const claims = JSON.parse(Buffer.from(all.split('.')[1]!, 'base64url').toString());
    assert.deepEqual(claims.aud, ['https://api.example.com/orders', 'urn:billing']);
    const one = await h.tokenFor(defaultClient, { resource: 'https://api.example.com/orders' });
    assert.equal(JSON.parse(Buffer.from(one.split('.')[1]!, 'base64url').toString()).aud, 'https://api.example.com/orders');
  });

  test('RFC 8414 metadata names the endpoints and the JWKS', async () => {
    const response = await h.get('/.well-known/oauth-authorization-server');
    assert.equal(response.status, 200);
    assert.equal(response.body.issuer, ISSUER);
    assert.equal(response.body.token_endpoint, `${ISSUER}/oauth/token`);
    assert.equal(response.body.jwks_uri, `${ISSUER}/.well-known/jwks.json`);
    assert.deepEqual(response.body.grant_types_supported, ['client_credentials']);
    assert.deepEqual(response.body.token_endpoint_auth_methods_supported, ['client_secret_basic', 'client_secret_post', 'private_key_jwt']);
    assert.ok(decodeProtectedHeader(await h.tokenFor(defaultClient)).kid);
  });

  test('/.well-known/openid-configuration answers with the RFC 8414 document, byte for byte', async () => {
    const rfc8414 = await h.get('/.well-known/oauth-authorization-server');
    const openid = await h.get('/.well-known/openid-configuration');
    assert.equal(openid.status, 200);
    assert.equal(openid.text, rfc8414.text);
    assert.equal(openid.headers['content-type'], rfc8414.headers['content-type']);
    assert.equal(openid.headers['cache-control'], rfc8414.headers['cache-control']);
  });

  describe('invalid_request', () => {
    const cases: Array<[string, Record<string, string | string[]>, Record<string, string>?]> = [
      ['grant_type missing', { client_id: 'x' }],
      ['a parameter twice', { grant_type: ['client_credentials', 'client_credentials'] }],
      ['two client authentication mechanisms (Basic and client_secret)', { grant_type: 'client_credentials', client_secret: 'x' }, { basic: '1' }],
      ['client_secret without client_id', { grant_type: 'client_credentials', client_secret: 'x' }],
      ['audience and resource together', { grant_type: 'client_credentials', audience: 'urn:billing', resource: 'https://a.example' }, { basic: '1' }],
      ['an assertion type that is not jwt-bearer', { grant_type: 'client_credentials', client_assertion_type: 'urn:x', client_assertion: 'a.b.c' }],
    ];
    for (const [name, params, options] of cases) {
      test(name, async () => {
        const headers = options?.basic ? { authorization: basic(defaultClient.clientId, defaultClient.clientSecret) } : undefined;
        const response = await h.post('/oauth/token', params, headers);
        assert.equal(response.status, 400, response.text);
        assert.equal(response.body.error, 'invalid_request');
        assert.equal(typeof response.body.error_description, 'string');
        assert.equal(response.headers['cache-control'], 'no-store');
      });
    }

    test('a JSON body', async () => {
      const response = await h.public.inject({
        method: 'POST',
        url: '/oauth/token',
        headers: { 'content-type': 'application/json' },
        payload: JSON.stringify({ grant_type: 'client_credentials' }),
      });
      assert.equal(response.statusCode, 400);
      assert.equal(response.json().error, 'invalid_request');
    });

    test('an oversize body', async () => {
      const response = await h.post('/oauth/token', { grant_type: 'client_credentials', junk: 'x'.repeat(20_000) });
      assert.equal(response.status, 400);
      assert.equal(response.body.error, 'invalid_request');
    });
  });

  test('unsupported_grant_type', async () => {
    for (const grant of ['password', 'authorization_code', 'refresh_token', 'urn:ietf:params:oauth:grant-type:jwt-bearer']) {
      const response = await h.post('/oauth/token', { grant_type: grant }, { authorization: basic(defaultClient.clientId, defaultClient.clientSecret) });
      assert.equal(response.status, 400);
      assert.equal(response.body.error, 'unsupported_grant_type');
    }
  });

  describe('invalid_client', () => {
    test('an unknown client and a wrong secret get the same answer', async () => {
      const unknown = await h.post('/oauth/token', { grant_type: 'client_credentials', client_id: 'cli_doesnotexist0000000000', client_secret: 'pcs_nope' });
      const wrong = await h.post('/oauth/token', {
        grant_type: 'client_credentials',
        client_id: postClient.clientId,
        client_secret: `${postClient.clientSecret.slice(0, -1)}${postClient.clientSecret.endsWith('x') ? 'y' : 'x'}`,
      });
      assert.equal(unknown.status, 401);
      assert.equal(wrong.status, 401);
      assert.deepEqual(unknown.body, wrong.body);
      assert.equal(unknown.body.error, 'invalid_client');
    });

    test('a Basic attempt gets 401 with a Basic challenge', async () => {
      const response = await h.post('/oauth/token', { grant_type: 'client_credentials' }, { authorization: basic(defaultClient.clientId, 'wrong') });
      assert.equal(response.status, 401);
      assert.equal(response.body.error, 'invalid_client');
      assert.match(String(response.headers['www-authenticate']), /^Basic realm=/);
    });

    test('no client authentication at all', async () => {
      const response = await h.post('/oauth/token', { grant_type: 'client_credentials', client_id: defaultClient.clientId });
      assert.equal(response.status, 401);
      assert.equal(response.body.error, 'invalid_client');
    });

    test('a mechanism other than the one the client is pinned to', async () => {
      const asPost = await h.post('/oauth/token', {
        grant_type: 'client_credentials',
        client_id: pinnedBasicClient.clientId,
        client_secret: pinnedBasicClient.clientSecret,
      });
      assert.equal(asPost.status, 401);
      assert.equal(asPost.body.error, 'invalid_client');
      const asBasic = await h.post(
        '/oauth/token',
        { grant_type: 'client_credentials' },
        { authorization: basic(postClient.clientId, postClient.clientSecret) },
      );
      assert.equal(asBasic.status, 401);
    });

    test('a deleted client', async () => {
      const doomed = await h.createClient(consumer.id);
      assert.equal((await h.call('DELETE', `/admin/v1/clients/${doomed.clientId}`)).status, 204);
      const response = await h.post('/oauth/token', { grant_type: 'client_credentials' }, { authorization: basic(doomed.clientId, doomed.clientSecret) });
      assert.equal(response.status, 401);
    });
  });

  test('unauthorized_client: a disabled client, a disabled consumer', async () => {
    const other = await h.createConsumer();
    const client = await h.createClient(other.id);
    const auth = { authorization: basic(client.clientId, client.clientSecret) };
    assert.equal((await h.call('PATCH', `/admin/v1/clients/${client.clientId}`, { enabled: false })).status, 200);
    let response = await h.post('/oauth/token', { grant_type: 'client_credentials' }, auth);
    assert.equal(response.status, 400);
    assert.equal(response.body.error, 'unauthorized_client');
    await h.call('PATCH', `/admin/v1/clients/${client.clientId}`, { enabled: true });
    assert.equal((await h.post('/oauth/token', { grant_type: 'client_credentials' }, auth)).status, 200);
    await h.call('PATCH', `/admin/v1/consumers/${other.id}`, { enabled: false });
    response = await h.post('/oauth/token', { grant_type: 'client_credentials' }, auth);
    assert.equal(response.body.error, 'unauthorized_client');
  });

  test('invalid_scope: a scope the client lacks, a malformed scope', async () => {
    const limited = await h.createClient(consumer.id, { scopes: ['orders:read'] });
    const auth = { authorization: basic(limited.clientId, limited.clientSecret) };
    for (const scope of ['orders:write', 'orders:read admin', 'bad"scope', '   ']) {
      const response = await h.post('/oauth/token', { grant_type: 'client_credentials', scope }, auth);
      assert.equal(response.status, 400, scope);
      assert.equal(response.body.error, 'invalid_scope', scope);
    }
    const ok = await h.post('/oauth/token', { grant_type: 'client_credentials', scope: 'orders:read' }, auth);
    assert.equal(ok.body.scope, 'orders:read');
  });

  test('a scope the consumer lost is no longer granted', async () => {
    const shrinking = await h.createConsumer({ scopes: ['a', 'b'] });
    const client = await h.createClient(shrinking.id);
    await h.call('PATCH', `/admin/v1/consumers/${shrinking.id}`, { scopes: ['a'] });
    const auth = { authorization: basic(client.clientId, client.clientSecret) };
    assert.equal((await h.post('/oauth/token', { grant_type: 'client_credentials' }, auth)).body.scope, 'a');
    assert.equal((await h.post('/oauth/token', { grant_type: 'client_credentials', scope: 'b' }, auth)).body.error, 'invalid_scope');
  });

  test('invalid_target: an audience or resource the client may not use, a resource that is not an absolute URI', async () => {
    const auth = { authorization: basic(defaultClient.clientId, defaultClient.clientSecret) };
    const cases: Array<Record<string, string>> = [
      { audience: 'https://evil.example' },
      { resource: 'https://evil.example' },
      { resource: 'not a uri' },
      { resource: 'https://api.example.com/orders#frag' },
    ];
    for (const params of cases) {
      const response = await h.post('/oauth/token', { grant_type: 'client_credentials', ...params }, auth);
      assert.equal(response.status, 400, JSON.stringify(params));
      assert.equal(response.body.error, 'invalid_target', JSON.stringify(params));
    }
  });

  test('invalid_target for an audience the client was not given says where audiences are allowed', async () => {
    // Like an Auth0 application that must be authorised for an API before it may name it as audience.
    const response = await h.post(
      '/oauth/token',
      { grant_type: 'client_credentials', audience: 'https://api.example.com/orders' },
      {
        authorization: basic(pinnedBasicClient.clientId, pinnedBasicClient.clientSecret),
      },
    );
    assert.equal(response.status, 400);
    assert.equal(response.body.error, 'invalid_target');
    assert.match(response.body.error_description, /the client's audiences/);
  });

  test('secrets, assertions and tokens never reach the logs', async () => {
    const logged = h.logs.length;
    const token = await h.tokenFor(defaultClient);
    await h.post('/oauth/token', { grant_type: 'client_credentials', client_id: postClient.clientId, client_secret: `${postClient.clientSecret}x` });
    await h.post('/oauth/introspect', { token }, { authorization: basic(defaultClient.clientId, defaultClient.clientSecret) });
    await h.post('/oauth/revoke', { token: `${token}x` }, { authorization: basic(defaultClient.clientId, defaultClient.clientSecret) });
    await h.authenticate(`${token.slice(0, -2)}AA`);
    await accessLogWritten();
    const text = h.logs.slice(logged).join('');
    assert.match(text, /oauth request/, 'the access log is there');
    for (const secret of [defaultClient.clientSecret, postClient.clientSecret, token, token.split('.')[2]!]) {
      assert.ok(!text.includes(secret), 'a secret or token was logged');
    }
  });

  test('failed client authentications are throttled per client_id (429, Retry-After), then recover', async () => {
    const victim = await h.createClient(consumer.id);
    const wrong = { authorization: basic(victim.clientId, 'pcs_wrongwrongwrongwrongwrongwrongwrong') };
    for (let i = 0; i < 10; i++) assert.equal((await h.post('/oauth/token', { grant_type: 'client_credentials' }, wrong)).status, 401);
    const blocked = await h.post('/oauth/token', { grant_type: 'client_credentials' }, wrong);
    assert.equal(blocked.status, 429);
    assert.equal(blocked.body.error, 'slow_down');
    assert.ok(Number(blocked.headers['retry-after']) >= 1);
    const right = { authorization: basic(victim.clientId, victim.clientSecret) };
    assert.equal((await h.post('/oauth/token', { grant_type: 'client_credentials' }, right)).status, 429, 'even the right secret waits');
    // The window slides: failures of one window still weigh on the next, so they are gone after two.
    h.clock.advance(121_000);
    assert.equal((await h.post('/oauth/token', { grant_type: 'client_credentials' }, right)).status, 200);
  });

  test('failed client authentications are throttled per IP across client ids', async () => {
    h.clock.advance(121_000);
    let last: Awaited<ReturnType<typeof h.post>> | undefined;
    for (let i = 0; i < 51; i++) {
      last = await h.post('/oauth/token', { grant_type: 'client_credentials', client_id: `cli_random${i}`, client_secret: 'x' });
    }
    assert.equal(last!.status, 429);
    assert.equal(last!.body.error, 'slow_down');
    h.clock.advance(61_000);
  });
});

describe('token endpoint without a master key', () => {
  test('answers 503 temporarily_unavailable (never 500); clients can still be managed', async () => {
    const h = await createOAuthHarness({ oauth: { masterKey: undefined } });
    try {
      const client = await h.createClient((await h.createConsumer()).id);
      const response = await h.post('/oauth/token', { grant_type: 'client_credentials' }, { authorization: basic(client.clientId, client.clientSecret) });
      assert.equal(response.status, 503);
      assert.equal(response.body.error, 'temporarily_unavailable');
      assert.ok(Number(response.headers['retry-after']) > 0);
      assert.deepEqual((await h.get('/.well-known/jwks.json')).body, { keys: [] });
      const rotate = await h.call('POST', '/admin/v1/signing-keys/rotate', {});
      assert.equal(rotate.status, 503);
      assert.equal(rotate.body.code, 'SIGNING_UNAVAILABLE');
    } finally {
      await h.close();
    }
  });
});
