// Issue 4's acceptance on real listeners (`startPortcullis`): the article's token request verbatim,
// the token through the gateway with the consumer's identity (X-Credential-Type: jwt), an independent
// RFC 9068 check against the served JWKS, revocation within a second, the client helper and CLI.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { createTokenClient, TokenRequestError } from '../../src/client/index.js';
import { validateConfig } from '../../src/config/load.js';
import { generateMasterKey } from '../../src/oauth/master-key.js';
import { type RunningPortcullis, startPortcullis } from '../../src/server/start.js';
import { startUpstream, type Upstream } from '../gateway/helpers.js';
import { CLI, cli } from '../helpers/cli.js';
import { testLogger } from '../helpers/logs.js';

const ISSUER = 'https://auth.portcullis.example';
const AUDIENCE = 'https://api.example.com/orders';

/** The seed article's token request, as it prints it. */
const ARTICLE_CURL =
  "curl --request POST --url 'https://YOUR_DOMAIN/oauth/token' --header 'content-type: application/x-www-form-urlencoded' --data grant_type=client_credentials --data client_id=YOUR_CLIENT_ID --data client_secret=YOUR_CLIENT_SECRET --data audience=YOUR_API_IDENTIFIER";

/** Sends a curl command line as curl would: --data values joined by `&` as given, headers as given. */
function sendCurl(command: string): Promise<Response> {
  const words = [...command.matchAll(/'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2]!);
  assert.equal(words.shift(), 'curl');
  let method = 'GET';
  let url = '';
  const headers = new Headers();
  const data: string[] = [];
  while (words.length > 0) {
    const [flag, value] = [words.shift()!, words.shift()!];
    if (flag === '--request') method = value;
    else if (flag === '--url') url = value;
    else if (flag === '--header') headers.append(value.slice(0, value.indexOf(':')), value.slice(value.indexOf(':') + 1).trim());
    else if (flag === '--data') data.push(value);
    else assert.fail(`curl flag ${flag} is not handled here`);
  }
  return fetch(url, { method, headers, body: data.join('&') });
}

describe('acceptance on real listeners', () => {
  let dir: string;
  let upstream: Upstream;
  let running: RunningPortcullis;
  let admin: (method: string, path: string, body?: unknown) => Promise<any>;
  let consumer: any;
  let postClient: any;
  let defaultClient: any;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'portcullis-oauth-'));
    upstream = await startUpstream();
    const config = validateConfig(
      {
        store: `sqlite:${join(dir, 'p.db')}`,
        listen: { host: '127.0.0.1', port: 0 },
        admin: { port: 0 },
        log: { level: 'silent' },
        issuer: ISSUER,
        oauth: { masterKey: generateMasterKey() },
        apis: [{ name: 'orders', basePath: '/orders', upstream: upstream.url, auth: ['jwt', 'api-key'], audience: AUDIENCE, scopes: ['orders:read'] }],
      },
      'test',
    );
    running = await startPortcullis({ loaded: { config, path: null, demo: false }, logger: testLogger(), print: () => {} });
    admin = async (method, path, body) => {
      const response = await fetch(`${running.adminUrl}${path}`, {
        method,
        headers: { authorization: `Bearer ${running.firstAdminKey}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await response.text();
      return text ? JSON.parse(text) : null;
    };
    consumer = await admin('POST', '/admin/v1/consumers', { name: 'acme', scopes: ['orders:read'], metadata: { accountId: 'acct_42', plan: 'pro' } });
    postClient = await admin('POST', `/admin/v1/consumers/${consumer.id}/clients`, {
      name: 'article',
      authMethod: 'client_secret_post',
      audiences: [AUDIENCE],
    });
    defaultClient = await admin('POST', `/admin/v1/consumers/${consumer.id}/clients`, { name: 'helper', audiences: [AUDIENCE] });
  });

  after(async () => {
    await running?.close();
    await upstream?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** The article's request, field for field (curl --data ⇒ application/x-www-form-urlencoded). */
  const articleRequest = () =>
    fetch(`${running.gatewayUrl}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `grant_type=client_credentials&client_id=${postClient.clientId}&client_secret=${postClient.clientSecret}&audience=${encodeURIComponent(AUDIENCE)}`,
    });

  test('the article’s request works verbatim and the token gets 200 through the gateway as the consumer', async () => {
    const response = await articleRequest();
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('cache-control'), 'no-store');
    const body: any = await response.json();
    assert.equal(body.token_type, 'Bearer');
    assert.equal(body.expires_in, 3600);

    const api = await fetch(`${running.gatewayUrl}/orders/42`, { headers: { authorization: `Bearer ${body.access_token}` } });
    assert.equal(api.status, 200, await api.clone().text());
    const seen = upstream.last!.headers;
    assert.equal(seen['x-credential-type'], 'jwt');
    assert.equal(seen['x-consumer-id'], consumer.id);
    assert.equal(seen['x-consumer-name'], 'acme');
    assert.equal(seen['x-credential-id'], postClient.clientId);
    assert.equal(seen['x-scopes'], 'orders:read');
    assert.deepEqual(JSON.parse(Buffer.from(String(seen['x-consumer-metadata']), 'base64url').toString()), { accountId: 'acct_42', plan: 'pro' });
    assert.equal(seen.authorization, undefined, 'the token never reaches the upstream');
  });

  test('the seed article’s curl, placeholders filled in, gets a token for a client created with defaults (both secret methods)', async () => {
    const command = ARTICLE_CURL.replace('https://YOUR_DOMAIN', running.gatewayUrl)
      .replace('YOUR_CLIENT_ID', defaultClient.clientId)
      .replace('YOUR_CLIENT_SECRET', defaultClient.clientSecret)
      .replace('YOUR_API_IDENTIFIER', AUDIENCE);
    assert.equal(defaultClient.authMethod, null);
    const response = await sendCurl(command);
    const body: any = await response.json();
    assert.equal(response.status, 200, JSON.stringify(body));
    assert.deepEqual(Object.keys(body).sort(), ['access_token', 'expires_in', 'scope', 'token_type']);
    const claims = JSON.parse(Buffer.from(body.access_token.split('.')[1], 'base64url').toString());
    assert.equal(claims.aud, AUDIENCE, 'audience = the API identifier, as the article expects');
    const api = await fetch(`${running.gatewayUrl}/orders/42`, { headers: { authorization: `Bearer ${body.access_token}` } });
    assert.equal(api.status, 200);
  });

  test('/.well-known/openid-configuration serves the RFC 8414 document', async () => {
    const rfc8414 = await fetch(`${running.gatewayUrl}/.well-known/oauth-authorization-server`);
    const openid = await fetch(`${running.gatewayUrl}/.well-known/openid-configuration`);
    assert.equal(openid.status, 200);
    assert.equal(await openid.text(), await rfc8414.text());
    assert.equal(openid.headers.get('content-type'), rfc8414.headers.get('content-type'));
  });

  test('the token passes an independent RFC 9068 check against the served JWKS', async () => {
    const { access_token: token } = (await (await articleRequest()).json()) as { access_token: string };
    const jwks = createRemoteJWKSet(new URL(`${running.gatewayUrl}/.well-known/jwks.json`));
    const { payload, protectedHeader } = await jwtVerify(token, jwks, {
      issuer: ISSUER,
      audience: AUDIENCE,
      typ: 'at+jwt',
      requiredClaims: ['exp', 'iat', 'jti', 'client_id', 'sub'],
    });
    assert.equal(protectedHeader.typ, 'at+jwt');
    assert.equal(payload.client_id, postClient.clientId);
    const metadata: any = await (await fetch(`${running.gatewayUrl}/.well-known/oauth-authorization-server`)).json();
    assert.equal(metadata.issuer, ISSUER);
  });

  test('revocation (RFC 7009), revoke-tokens and disabling the consumer each take effect within one second', async () => {
    const token = async () => ((await (await articleRequest()).json()) as { access_token: string }).access_token;
    const call = (t: string) => fetch(`${running.gatewayUrl}/orders/1`, { headers: { authorization: `Bearer ${t}` } }).then((r) => r.status);

    const one = await token();
    assert.equal(await call(one), 200);
    let started = Date.now();
    await fetch(`${running.gatewayUrl}/oauth/revoke`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `token=${one}&client_id=${postClient.clientId}&client_secret=${postClient.clientSecret}`,
    });
    assert.equal(await call(one), 401);
    assert.ok(Date.now() - started < 1000);

    const a = await token();
    const b = await token();
    assert.equal(await call(a), 200);
    started = Date.now();
    await admin('POST', `/admin/v1/clients/${postClient.clientId}/revoke-tokens`);
    assert.equal(await call(a), 401);
    assert.equal(await call(b), 401);
    const fresh = await token();
    assert.equal(await call(fresh), 200);
    assert.ok(Date.now() - started < 1000);

    started = Date.now();
    await admin('PATCH', `/admin/v1/consumers/${consumer.id}`, { enabled: false });
    assert.equal(await call(fresh), 401);
    assert.ok(Date.now() - started < 1000);
    await admin('PATCH', `/admin/v1/consumers/${consumer.id}`, { enabled: true });
    assert.equal(await call(fresh), 200);
  });

  test('portcullis/client: fetches once, caches, refreshes shortly before expiry, authorises fetch', async () => {
    let requests = 0;
    let clock = Date.now();
    const counting: typeof fetch = (input, init) => {
      if (String(input).endsWith('/oauth/token')) requests++;
      return fetch(input, init);
    };
    const client = createTokenClient({
      issuer: running.gatewayUrl,
      clientId: defaultClient.clientId,
      clientSecret: defaultClient.clientSecret,
      audience: AUDIENCE,
      fetch: counting,
      now: () => clock,
    });
    const [t1, t2] = await Promise.all([client.getToken(), client.getToken()]);
    assert.equal(t1, t2);
    assert.equal(requests, 1, 'concurrent callers share one request');
    assert.equal(await client.getToken(), t1);
    clock += 3600_000 - 61_000;
    assert.equal(await client.getToken(), t1, 'still well before expiry');
    clock += 2000;
    const t3 = await client.getToken();
    assert.notEqual(t3, t1, 'refreshed within the last minute');
    assert.equal(requests, 2);
    const response = await client.fetch(`${running.gatewayUrl}/orders/7`);
    assert.equal(response.status, 200);
    assert.equal(upstream.last!.headers['x-credential-id'], defaultClient.clientId);

    const wrong = createTokenClient({ tokenUrl: `${running.gatewayUrl}/oauth/token`, clientId: defaultClient.clientId, clientSecret: 'pcs_wrong' });
    await assert.rejects(wrong.getToken(), (e) => e instanceof TokenRequestError && e.error === 'invalid_client' && e.status === 401);
  });

  test('portcullis/client without authMethod: basic, then post once for a client pinned to post, and post from then on', async () => {
    let requests = 0;
    let clock = Date.now();
    const counting: typeof fetch = (input, init) => {
      if (String(input).endsWith('/oauth/token')) requests++;
      return fetch(input, init);
    };
    const client = createTokenClient({
      issuer: running.gatewayUrl,
      clientId: postClient.clientId,
      clientSecret: postClient.clientSecret,
      fetch: counting,
      now: () => clock,
    });
    assert.equal(client.authMethod, 'client_secret_basic');
    const token = await client.getAccessToken();
    assert.equal(requests, 2, 'one refused basic request, then post');
    assert.equal(client.authMethod, 'client_secret_post');
    assert.deepEqual(Object.keys(token.response).sort(), ['access_token', 'expires_in', 'scope', 'token_type']);
    clock += 3600_000;
    await client.getToken();
    assert.equal(requests, 3, 'the refresh goes straight to post');

    const named = createTokenClient({
      issuer: running.gatewayUrl,
      clientId: postClient.clientId,
      clientSecret: postClient.clientSecret,
      authMethod: 'client_secret_basic',
      fetch: counting,
    });
    await assert.rejects(named.getToken(), (e) => e instanceof TokenRequestError && e.error === 'invalid_client');
    assert.equal(requests, 4, 'a named method is the only one tried');
  });

  // Through the executable (launch.cjs), as the docs print it; the other `token` cases run in-process.
  test('portcullis token works for a client pinned to post without --auth-method (the docs’ own example)', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [CLI, 'token', '--client-id', postClient.clientId, '--issuer', running.gatewayUrl], {
      env: { ...process.env, PORTCULLIS_CLIENT_SECRET: postClient.clientSecret },
    });
    const token = stdout.trim();
    assert.match(token, /^eyJ[\w-]+\.[\w-]+\.[\w-]+$/);
    assert.equal((await fetch(`${running.gatewayUrl}/orders/1`, { headers: { authorization: `Bearer ${token}` } })).status, 200);
  });

  test('portcullis token --json prints the token response as the server sent it', async () => {
    const { stdout } = await cli(process.cwd(), ['token', '--client-id', defaultClient.clientId, '--issuer', running.gatewayUrl, '--json'], {
      PORTCULLIS_CLIENT_SECRET: defaultClient.clientSecret,
    });
    const answer = JSON.parse(stdout);
    assert.deepEqual(Object.keys(answer).sort(), ['access_token', 'expires_in', 'scope', 'token_type']);
    assert.equal(answer.expires_in, 3600);
    assert.equal(answer.token_type, 'Bearer');
  });

  test('portcullis token: when the server refuses the named method, the error names the flag to use', async () => {
    const refused = await cli(
      process.cwd(),
      ['token', '--client-id', postClient.clientId, '--issuer', running.gatewayUrl, '--auth-method', 'client_secret_basic'],
      {
        PORTCULLIS_CLIENT_SECRET: postClient.clientSecret,
      },
    );
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /invalid_client/);
    assert.match(refused.stderr, /pass --auth-method client_secret_post/);

    const wrong = await cli(process.cwd(), ['token', '--client-id', defaultClient.clientId, '--issuer', running.gatewayUrl], {
      PORTCULLIS_CLIENT_SECRET: 'pcs_wrong',
    });
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /neither client_secret_basic nor client_secret_post was accepted: check --client-id and the secret/);
  });

  test('portcullis token prints a token the gateway accepts', async () => {
    const { stdout } = await cli(
      process.cwd(),
      ['token', '--client-id', defaultClient.clientId, '--issuer', running.gatewayUrl, '--audience', AUDIENCE, '--scope', 'orders:read'],
      {
        PORTCULLIS_CLIENT_SECRET: defaultClient.clientSecret,
      },
    );
    const token = stdout.trim();
    assert.match(token, /^eyJ[\w-]+\.[\w-]+\.[\w-]+$/);
    assert.equal((await fetch(`${running.gatewayUrl}/orders/1`, { headers: { authorization: `Bearer ${token}` } })).status, 200);
  });
});
