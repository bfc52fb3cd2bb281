// POST /oauth/token on the real public listener is served by the raw node:http handler
// (src/oauth/token-http.ts); inject() reaches the Fastify route. Both must give the same answers.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type App, createApp } from '../../src/app.js';
import { validateConfig } from '../../src/config/load.js';
import { type RunningGateway, startGateway } from '../../src/gateway/start.js';
import { createManualClock } from '../../src/lib/clock.js';
import { generateMasterKey } from '../../src/oauth/master-key.js';
import { registerOAuthRoutes } from '../../src/oauth/routes.js';
import { testLogger } from '../helpers/logs.js';
import { basic } from './helpers.js';

const actor = { id: 'test', sourceIp: null };
const FORM = 'application/x-www-form-urlencoded';
const COMPARED_HEADERS = ['content-type', 'cache-control', 'pragma', 'www-authenticate', 'retry-after'];

interface Answer {
  status: number;
  headers: Record<string, string | undefined>;
  body: any;
}

describe('POST /oauth/token on the raw path answers like the Fastify route', () => {
  let dir: string;
  let app: App;
  let gateway: RunningGateway;
  let clientId: string;
  let secret: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'portcullis-token-raw-'));
    const config = validateConfig(
      { store: `sqlite:${join(dir, 'p.db')}`, issuer: 'https://auth.portcullis.test', log: { level: 'silent' }, oauth: { masterKey: generateMasterKey() } },
      'test',
    );
    app = await createApp({ config, clock: createManualClock(Date.UTC(2026, 5, 1)), logger: testLogger() });
    const consumer = await app.consumers.create({ name: 'raw', scopes: ['orders:read'] }, actor);
    const created = await app.oauth.clients.create(consumer.id, { audiences: ['https://api.example.com'] }, actor);
    clientId = created.client.id;
    secret = created.secret!.secret;
    gateway = await startGateway({ app, baseDir: dir, host: '127.0.0.1', port: 0, register: (server) => registerOAuthRoutes(server, { oauth: app.oauth }) });
  });

  after(async () => {
    await gateway.close();
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function overRaw(body: string, headers: Record<string, string>): Promise<Answer> {
    const response = await fetch(`${gateway.url}/oauth/token`, { method: 'POST', headers, body });
    const text = await response.text();
    return {
      status: response.status,
      headers: Object.fromEntries(COMPARED_HEADERS.map((h) => [h, response.headers.get(h) ?? undefined])),
      body: JSON.parse(text),
    };
  }

  async function overFastify(body: string, headers: Record<string, string>): Promise<Answer> {
    const response = await gateway.fastify.inject({ method: 'POST', url: '/oauth/token', headers, payload: body });
    return {
      status: response.statusCode,
      headers: Object.fromEntries(COMPARED_HEADERS.map((h) => [h, response.headers[h] === undefined ? undefined : String(response.headers[h])])),
      body: JSON.parse(response.body),
    };
  }

  /** Both answers, with the parts that differ by design (the token itself) blanked. */
  async function both(body: string, headers: Record<string, string>): Promise<[Answer, Answer]> {
    const answers = [await overRaw(body, headers), await overFastify(body, headers)] as [Answer, Answer];
    for (const a of answers) if (typeof a.body.access_token === 'string') a.body.access_token = 'jwt';
    return answers;
  }

  const cases: Array<[string, () => [string, Record<string, string>]]> = [
    ['a token', () => ['grant_type=client_credentials&scope=orders%3Aread', { authorization: basic(clientId, secret), 'content-type': FORM }]],
    [
      'a token, form type with a charset',
      () => ['grant_type=client_credentials', { authorization: basic(clientId, secret), 'content-type': `${FORM}; charset=UTF-8` }],
    ],
    ['grant_type missing', () => ['scope=orders%3Aread', { authorization: basic(clientId, secret), 'content-type': FORM }]],
    ['an empty body', () => ['', { authorization: basic(clientId, secret), 'content-type': FORM }]],
    ['grant_type not supported', () => ['grant_type=password', { authorization: basic(clientId, secret), 'content-type': FORM }]],
    ['a parameter twice', () => ['grant_type=client_credentials&scope=a&scope=b', { authorization: basic(clientId, secret), 'content-type': FORM }]],
    [
      'a scope the client may not have',
      () => ['grant_type=client_credentials&scope=orders%3Awrite', { authorization: basic(clientId, secret), 'content-type': FORM }],
    ],
    [
      'an audience the client may not have',
      () => ['grant_type=client_credentials&audience=https%3A%2F%2Fother', { authorization: basic(clientId, secret), 'content-type': FORM }],
    ],
    [
      'two authentication mechanisms',
      () => [`grant_type=client_credentials&client_id=${clientId}&client_secret=x`, { authorization: basic(clientId, secret), 'content-type': FORM }],
    ],
    ['a malformed Basic header', () => ['grant_type=client_credentials', { authorization: 'Basic !!!', 'content-type': FORM }]],
    [
      'JSON instead of a form',
      () => [JSON.stringify({ grant_type: 'client_credentials' }), { authorization: basic(clientId, secret), 'content-type': 'application/json' }],
    ],
    ['no content type', () => ['grant_type=client_credentials', { authorization: basic(clientId, secret) }]],
    [
      'a body over the limit',
      () => [`grant_type=client_credentials&pad=${'a'.repeat(20 * 1024)}`, { authorization: basic(clientId, secret), 'content-type': FORM }],
    ],
  ];

  for (const [name, request] of cases) {
    test(name, async () => {
      const [raw, viaFastify] = await both(...request());
      assert.deepEqual(raw, viaFastify);
      assert.equal(raw.headers['cache-control'], 'no-store');
    });
  }

  test('a wrong secret: 401 with a Basic challenge, then 429 slow_down with Retry-After once throttled', async () => {
    const wrong = () =>
      ['grant_type=client_credentials', { authorization: basic(clientId, 'pcs_wrongwrongwrongwrongwrongwrongwrong'), 'content-type': FORM }] as [
        string,
        Record<string, string>,
      ];
    const [raw, viaFastify] = await both(...wrong());
    assert.deepEqual(raw, viaFastify);
    assert.equal(raw.status, 401);
    assert.match(raw.headers['www-authenticate']!, /^Basic /);
    let last = raw;
    for (let i = 0; i < 10 && last.status !== 429; i++) last = await overRaw(...wrong());
    assert.equal(last.status, 429);
    assert.equal(last.body.error, 'slow_down');
    assert.ok(Number(last.headers['retry-after']) >= 1);
    assert.deepEqual(await overFastify(...wrong()), last);
  });

  test('the answer carries the request id, an acceptable incoming one or a new one', async () => {
    const given = await fetch(`${gateway.url}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': FORM, 'x-request-id': 'trace-123' },
      body: 'grant_type=password',
    });
    assert.equal(given.headers.get('x-request-id'), 'trace-123');
    const fresh = await fetch(`${gateway.url}/oauth/token?x=1`, { method: 'POST', headers: { 'content-type': FORM }, body: 'grant_type=password' });
    assert.match(fresh.headers.get('x-request-id')!, /^req_[0-9A-Za-z]{22}$/);
    assert.equal(((await fresh.json()) as { error: string }).error, 'unsupported_grant_type');
  });

  test('other methods still reach the Fastify side', async () => {
    const response = await fetch(`${gateway.url}/oauth/token`);
    assert.equal(response.status, 404);
  });
});
