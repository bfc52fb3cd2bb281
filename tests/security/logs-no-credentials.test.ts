// Credentials in a query string never reach a log line: not for a request no route matches, not on
// the OAuth endpoints, not on an API route, on either listener. (The end-of-suite search in
// scripts/check-log-secrets.mjs covers every other test's logs the same way.)
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { validateConfig } from '../../src/config/load.js';
import { generateMasterKey } from '../../src/oauth/master-key.js';
import { type RunningPortcullis, startPortcullis } from '../../src/server/start.js';
import { startUpstream, type Upstream } from '../gateway/helpers.js';
import { noteSecret, testLogger } from '../helpers/logs.js';

describe('credentials in query strings', () => {
  let dir: string;
  let upstream: Upstream;
  let running: RunningPortcullis;
  const logger = testLogger('trace');

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'portcullis-logs-'));
    upstream = await startUpstream();
    const config = validateConfig(
      {
        store: `sqlite:${join(dir, 'p.db')}`,
        listen: { host: '127.0.0.1', port: 0 },
        admin: { port: 0 },
        oauth: { masterKey: generateMasterKey() },
        apis: [{ name: 'orders', basePath: '/orders', upstream: upstream.url, auth: ['api-key'] }],
      },
      'test',
    );
    running = await startPortcullis({ loaded: { config, path: null, demo: false }, logger, print: () => {} });
    noteSecret(running.firstAdminKey);
  });

  after(async () => {
    await running?.close();
    await upstream?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('query-string credentials appear in no log line, routed or not, on either listener', async () => {
    const adminKey = running.firstAdminKey!;
    const headers = { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' };
    const consumer = (await (
      await fetch(`${running.adminUrl}/admin/v1/consumers`, { method: 'POST', headers, body: JSON.stringify({ name: 'acme' }) })
    ).json()) as any;
    const created = (await (await fetch(`${running.adminUrl}/admin/v1/consumers/${consumer.id}/keys`, { method: 'POST', headers, body: '{}' })).json()) as any;
    const client = (await (
      await fetch(`${running.adminUrl}/admin/v1/consumers/${consumer.id}/clients`, { method: 'POST', headers, body: '{"name":"c"}' })
    ).json()) as any;
    const key: string = created.key;
    const secret: string = client.clientSecret;
    noteSecret(key, secret);

    const targets = [
      `${running.gatewayUrl}/nowhere?api_key=${key}`,
      `${running.gatewayUrl}/orders/1?api_key=${key}`,
      `${running.gatewayUrl}/oauth/token?client_id=${client.clientId}&client_secret=${secret}`,
      `${running.gatewayUrl}/oauth/introspect?client_secret=${secret}&token=${key}`,
      `${running.gatewayUrl}/.well-known/jwks.json?api_key=${key}`,
      `${running.adminUrl}/nowhere?api_key=${key}`,
      `${running.adminUrl}/admin/v1/consumers?api_key=${key}`,
    ];
    for (const url of targets) {
      await (await fetch(url)).arrayBuffer();
      await (
        await fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=client_credentials' })
      ).arrayBuffer();
    }
    await new Promise((resolve) => setImmediate(() => setImmediate(resolve)));

    const text = logger.captured.join('');
    assert.ok(text.includes('"path":"/nowhere"'), 'unrouted requests are logged, by path');
    assert.ok(text.includes('"path":"/oauth/token"'), 'OAuth endpoint requests are logged, by path');
    for (const secretValue of [key, secret, key.slice(4, 34), secret.slice(4, 34)]) {
      assert.ok(!text.includes(secretValue), 'a credential from a query string reached a log line');
    }
  });
});
