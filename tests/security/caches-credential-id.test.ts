// A trusted issuer's tokens get an issuer-qualified credential id (`<issuer>#<client id>`), so no
// external client can pass for a local one: not in X-Credential-Id, not in usage, not in the rate-limit
// counters kept per credential — even when its client_id claim is, character for character, the id
// of one of our own clients.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type App, createApp } from '../../src/app.js';
import { validateConfig } from '../../src/config/load.js';
import { type RunningGateway, startGateway } from '../../src/gateway/start.js';
import { createManualClock } from '../../src/lib/clock.js';
import { generateMasterKey } from '../../src/oauth/master-key.js';
import { startUpstream, type Upstream } from '../gateway/helpers.js';
import { testLogger } from '../helpers/logs.js';
import { basic } from '../oauth/helpers.js';
import { startTestIdp, type TestIdp } from '../oauth/idp.js';

const actor = { id: 'test', sourceIp: null };
const AUDIENCE = 'https://api.example.com';

describe('trusted-issuer credential ids never equal a local client id', () => {
  let dir: string;
  let idp: TestIdp;
  let upstream: Upstream;
  let app: App;
  let gateway: RunningGateway;
  let clock: ReturnType<typeof createManualClock>;
  let localClientId: string;
  let localToken: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'portcullis-credid-'));
    idp = await startTestIdp();
    idp.addKey('ES256');
    upstream = await startUpstream();
    clock = createManualClock(Date.UTC(2026, 2, 3, 10));
    const config = validateConfig(
      {
        store: `sqlite:${join(dir, 'p.db')}`,
        issuer: 'https://auth.portcullis.test',
        log: { level: 'silent' },
        oauth: { masterKey: generateMasterKey() },
        trustedIssuers: [{ issuer: idp.issuer, jwksUri: idp.jwksUri, audience: AUDIENCE, algorithms: ['ES256'] }],
        apis: [{ name: 'orders', basePath: '/orders', upstream: upstream.url, auth: ['jwt'], rateLimit: { limit: 2, window: '1m', by: 'credential' } }],
      },
      'test',
    );
    app = await createApp({ config, clock, logger: testLogger() });
    gateway = await startGateway({ app, baseDir: dir, host: '127.0.0.1', port: 0 });

    const local = await app.consumers.create({ name: 'local', scopes: ['orders:read'] }, actor);
    const { client, secret } = await app.oauth.clients.create(local.id, { audiences: [AUDIENCE] }, actor);
    localClientId = client.id;
    const issued = await app.oauth.token({
      authorization: basic(client.id, secret!.secret),
      params: new Map([['grant_type', ['client_credentials']]]),
      ip: '127.0.0.1',
    });
    assert.ok(issued.ok);
    localToken = issued.response.access_token;
    await app.consumers.create({ name: 'external', scopes: ['orders:read'], externalIds: ['svc-ext'] }, actor);
  });

  after(async () => {
    await gateway?.close();
    await app?.close();
    await upstream?.close();
    await idp?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const call = async (token: string) => {
    const response = await fetch(`${gateway.url}/orders/1`, { headers: { authorization: `Bearer ${token}` } });
    const body = (await response.json()) as { headers?: Record<string, string> };
    return { status: response.status, credentialId: body.headers?.['x-credential-id'], credentialType: body.headers?.['x-credential-type'] };
  };

  test('X-Credential-Id, usage and per-credential limits keep the two apart', async () => {
    const now = Math.floor(clock.now() / 1000);
    // The IdP's client calls itself by our client's id.
    const external = idp.sign({ iss: idp.issuer, sub: 'svc-ext', client_id: localClientId, aud: AUDIENCE, iat: now, exp: now + 600, jti: randomUUID() });

    const fromLocal = await call(localToken);
    assert.deepEqual(fromLocal, { status: 200, credentialId: localClientId, credentialType: 'jwt' });
    const fromExternal = await call(external);
    assert.equal(fromExternal.status, 200);
    assert.equal(fromExternal.credentialId, `${idp.issuer}#${localClientId}`);
    assert.notEqual(fromExternal.credentialId, localClientId);

    // The API allows 2 a minute per credential: the local client's second call is its own, not shared.
    assert.equal((await call(localToken)).status, 200);
    assert.equal((await call(localToken)).status, 429, 'the local client used its 2');
    assert.equal((await call(external)).status, 200, 'the external client has its own counter');
    assert.equal((await call(external)).status, 429);

    await app.usage.flush();
    const usage = async (credentialId: string) =>
      (await app.store.queryUsage({ credentialId, from: 0, to: clock.now() + 60_000, granularityMs: 86_400_000 })).reduce((n, p) => n + p.count, 0);
    assert.equal(await usage(localClientId), 3);
    assert.equal(await usage(`${idp.issuer}#${localClientId}`), 3);
  });

  test('the identity keeps the IdP’s own client id and issuer for library users', async () => {
    const now = Math.floor(clock.now() / 1000);
    const token = idp.sign({ iss: idp.issuer, sub: 'svc-ext', azp: 'idp-client', aud: AUDIENCE, iat: now, exp: now + 600 });
    const outcome = await app.authMethods.get('jwt')!.authenticate(token, { scopes: [] });
    assert.ok(outcome.ok);
    assert.deepEqual(outcome.identity.credential, { type: 'jwt', clientId: 'idp-client', jti: '', issuer: idp.issuer });
    assert.equal(outcome.identity.credentialId, `${idp.issuer}#idp-client`);
  });

  test('an issuer containing "#" is refused at boot (the separator stays unambiguous)', () => {
    const trustedIssuers = [{ issuer: 'https://idp.example#tenant', jwksUri: idp.jwksUri, audience: AUDIENCE, algorithms: ['ES256'] }];
    assert.throws(() => validateConfig({ trustedIssuers }, 'test'), /trustedIssuers\.0\.issuer/);
  });
});
