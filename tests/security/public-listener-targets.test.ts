// The public listener's own routes (/oauth/*, /.well-known/*) are matched by Fastify on the decoded
// path, so they get the gateway's rule: one spelling per path. A target another router could read
// differently is 400 BAD_PATH before any route runs, as on API base paths and the admin listener.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { validateConfig } from '../../src/config/load.js';
import { generateMasterKey } from '../../src/oauth/master-key.js';
import { type RunningPortcullis, startPortcullis } from '../../src/server/start.js';
import { sendRaw } from '../gateway/helpers.js';
import { testLogger } from '../helpers/logs.js';

describe('security: the public listener routes only canonical targets to its own routes', () => {
  let running: RunningPortcullis;
  let dir: string;
  let host: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'portcullis-targets-'));
    const config = validateConfig(
      { store: `sqlite:${join(dir, 'p.db')}`, listen: { host: '127.0.0.1', port: 0 }, admin: { port: 0 }, oauth: { masterKey: generateMasterKey() } },
      'test',
    );
    running = await startPortcullis({ loaded: { config, path: null, demo: false }, logger: testLogger(), print: () => undefined });
    host = new URL(running.gatewayUrl).host;
  });
  after(async () => {
    await running.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const get = (target: string) => sendRaw(running.gatewayUrl, `GET ${target} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
  const post = (target: string) => {
    const body = 'grant_type=client_credentials';
    return sendRaw(
      running.gatewayUrl,
      `POST ${target} HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
    );
  };

  it('the canonical spellings reach their routes', async () => {
    assert.equal((await get('/.well-known/jwks.json')).status, 200);
    assert.equal((await get('/.well-known/oauth-authorization-server')).status, 200);
    assert.equal((await get('/.well-known/openid-configuration')).status, 200);
    assert.equal((await post('/oauth/token')).status, 401, 'the token endpoint itself answers: no client authentication');
  });

  it('/.well-known/openid-configuration answers every method and spelling as the RFC 8414 route does', async () => {
    const request = (method: string, target: string) =>
      sendRaw(running.gatewayUrl, `${method} ${target} HTTP/1.1\r\nHost: ${host}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
    const bodyOf = (text: string) => text.slice(text.indexOf('\r\n\r\n') + 4);
    for (const method of ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'TRACE']) {
      for (const suffix of ['', '/', '?x=1', '/x', '.json']) {
        const rfc8414 = await request(method, `/.well-known/oauth-authorization-server${suffix}`);
        const openid = await request(method, `/.well-known/openid-configuration${suffix}`);
        assert.equal(openid.status, rfc8414.status, `${method} ${suffix}`);
        assert.notEqual(openid.status, 500, `${method} ${suffix}`);
        if (openid.status === 200 && method === 'GET') assert.equal(bodyOf(openid.text), bodyOf(rfc8414.text));
      }
    }
  });

  it('any other spelling is 400 BAD_PATH, never routed', async () => {
    const targets = [
      '/.well-known/jwks.json;x',
      '/.well-known/jwks.json#x',
      '/.well-known/%6Awks.json',
      '/.well-known/openid-configuration;x',
      '/.well-known/%6Fpenid-configuration',
      '/.well-known/openid-configuration%00',
      '/.well-known//openid-configuration',
      '/x/../.well-known/openid-configuration',
      '/.well-known%2fopenid-configuration',
      `http://${host}/.well-known/openid-configuration`,
      '//.well-known/jwks.json',
      '/.well-known/./jwks.json',
      '/x/../.well-known/jwks.json',
      '/.well-known%2fjwks.json',
      `http://${host}/.well-known/jwks.json`,
    ];
    for (const target of targets) {
      const answer = await get(target);
      assert.equal(answer.status, 400, target);
      assert.match(answer.text, /"code":"BAD_PATH"/, target);
    }
    for (const target of ['/oauth/%74oken', '/oauth//token', '/oauth/token;x', `http://${host}/oauth/token`]) {
      const answer = await post(target);
      assert.equal(answer.status, 400, target);
      assert.match(answer.text, /"code":"BAD_PATH"/, target);
    }
  });
});
