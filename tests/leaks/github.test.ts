// GitHub's secret-scanning partner endpoint on a real public listener (startPortcullis), against a
// local GitHub-like key server: signatures over the raw body, key rotation with a rate-limited
// refetch, labels per token, the revoke policy seen at the gateway and in the audit trail.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type AdminClient, createAdminClient } from '../../src/admin-client/index.js';
import { validateConfig } from '../../src/config/load.js';
import { checksumOf, generateKey } from '../../src/keys/format.js';
import { createManualClock } from '../../src/lib/clock.js';
import { type RunningPortcullis, startPortcullis } from '../../src/server/start.js';
import { rawRequest, startUpstream, type Upstream } from '../gateway/helpers.js';
import { noteSecret, testLogger } from '../helpers/logs.js';
import { type KeyServer, newSigningKey, type SigningKey, signAsGithub, startKeyServer } from './helpers.js';

const REPO_URL = 'https://github.com/octocat/hello-world/blob/abc123/config.env';

describe('GitHub secret-scanning endpoint', () => {
  let dir: string;
  let upstream: Upstream;
  let keyServer: KeyServer;
  let running: RunningPortcullis;
  let current: SigningKey;
  const clock = createManualClock(Date.UTC(2026, 5, 1));
  const logger = testLogger('info');
  let admin: AdminClient;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'portcullis-leaks-'));
    upstream = await startUpstream();
    current = newSigningKey('a1'.repeat(32));
    keyServer = await startKeyServer([current]);
    const config = validateConfig(
      {
        store: `sqlite:${join(dir, 'p.db')}`,
        listen: { host: '127.0.0.1', port: 0 },
        admin: { port: 0 },
        log: { level: 'info' },
        apis: [{ name: 'orders', basePath: '/orders', upstream: upstream.url }],
        portal: { enabled: false },
        leaks: { github: { enabled: true, keysUrl: keyServer.url } },
      },
      'test',
    );
    running = await startPortcullis({ loaded: { config, path: null, demo: false }, clock, logger, print: () => {} });
    noteSecret(running.firstAdminKey!);
    admin = createAdminClient({ url: running.adminUrl, adminKey: running.firstAdminKey! });
  });
  after(async () => {
    await running?.close();
    await keyServer?.close();
    await upstream?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function issueKey(name: string): Promise<{ key: string; id: string }> {
    const consumer = await admin.createConsumer({ name });
    const issued = await admin.createKey(consumer.id, {});
    noteSecret(issued.key);
    return { key: issued.key, id: issued.id };
  }

  const report = (body: string | Buffer, headers: Record<string, string> = {}) =>
    fetch(`${running.gatewayUrl}/leaks/github`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });

  async function problemOf(response: Response): Promise<string> {
    assert.match(response.headers.get('content-type') ?? '', /^application\/problem\+json/);
    return ((await response.json()) as { code: string }).code;
  }

  const batch = (...tokens: string[]) => JSON.stringify(tokens.map((token) => ({ token, type: 'portcullis_api_key', url: REPO_URL, source: 'content' })));

  test('an unsigned report is refused with 401 before anything is fetched or parsed', async () => {
    const response = await report(batch('anything'));
    assert.equal(response.status, 401);
    assert.equal(await problemOf(response), 'LEAK_REPORT_UNSIGNED');
    const onlyIdentifier = await report('not even json', { 'github-public-key-identifier': current.identifier });
    assert.equal(await problemOf(onlyIdentifier), 'LEAK_REPORT_UNSIGNED');
    // Whatever the content type (or none), the body stays raw bytes: still 401, never 415 or 500.
    for (const headers of [{}, { 'content-type': 'text/plain' }, { 'content-type': 'application/json', 'content-encoding': 'gzip' }]) {
      const raw = await rawRequest(`${running.gatewayUrl}/leaks/github`, { method: 'POST', headers, body: '[]' });
      assert.equal(raw.status, 401, JSON.stringify(headers));
      assert.equal(raw.json().code, 'LEAK_REPORT_UNSIGNED');
    }
    assert.equal(keyServer.fetches, 0);
  });

  test('GitHub’s keys unreachable and none cached: 503 LEAK_KEYS_UNAVAILABLE with Retry-After, never a 401', async () => {
    keyServer.failing = true;
    try {
      const body = batch('x');
      const response = await report(body, signAsGithub(body, current));
      assert.equal(response.status, 503);
      assert.ok(response.headers.get('retry-after'));
      assert.equal(await problemOf(response), 'LEAK_KEYS_UNAVAILABLE');
      assert.equal(keyServer.fetches, 1);
    } finally {
      keyServer.failing = false;
      clock.advance(31_000); // past the cooldown of the failed fetch
    }
  });

  test('a wrong signature is refused with 401: another key, or the body changed after signing', async () => {
    const body = batch('pcl_x');
    const impostor = { ...newSigningKey(current.identifier) };
    const forged = await report(body, signAsGithub(body, impostor));
    assert.equal(forged.status, 401);
    assert.equal(await problemOf(forged), 'LEAK_REPORT_SIGNATURE_INVALID');
    const tampered = await report(`${body} `, signAsGithub(body, current));
    assert.equal(await problemOf(tampered), 'LEAK_REPORT_SIGNATURE_INVALID');
    const garbage = await report(body, { 'github-public-key-identifier': current.identifier, 'github-public-key-signature': 'bm90IGEgc2lnbmF0dXJl' });
    assert.equal(await problemOf(garbage), 'LEAK_REPORT_SIGNATURE_INVALID');
  });

  test('a signed batch: our live key is revoked and labelled true_positive, others false_positive', async () => {
    const leaked = await issueKey('leaky');
    const gatewayBefore = await fetch(`${running.gatewayUrl}/orders/x`, { headers: { 'x-api-key': leaked.key } });
    assert.equal(gatewayBefore.status, 200);

    const wellFormedUnknown = generateKey('pcl');
    const badChecksum = `${leaked.key.slice(0, -6)}${leaked.key.slice(-6) === 'AAAAAA' ? 'BBBBBB' : 'AAAAAA'}`;
    const clientSecretShape = generateKey('pcs');
    const body = batch(leaked.key, wellFormedUnknown, badChecksum, clientSecretShape, 'ghp_notours');
    const response = await report(body, signAsGithub(body, current));
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
    assert.deepEqual(await response.json(), [
      { token_raw: leaked.key, token_type: 'portcullis_api_key', label: 'true_positive' },
      { token_raw: wellFormedUnknown, token_type: 'portcullis_api_key', label: 'true_positive' },
      { token_raw: badChecksum, token_type: 'portcullis_api_key', label: 'false_positive' },
      { token_raw: clientSecretShape, token_type: 'portcullis_api_key', label: 'true_positive' },
      { token_raw: 'ghp_notours', token_type: 'portcullis_api_key', label: 'false_positive' },
    ]);

    const gatewayAfter = await fetch(`${running.gatewayUrl}/orders/x`, { headers: { 'x-api-key': leaked.key } });
    assert.equal(gatewayAfter.status, 401);
    assert.notEqual((await admin.getKey(leaked.id)).revokedAt, null);

    const events = await admin.listAuditEvents({ targetId: leaked.id });
    const leakedEvent = events.items.find((e) => e.action === 'key.leaked')!;
    assert.equal(leakedEvent.actor, 'github:secret-scanning');
    assert.deepEqual(
      { url: leakedEvent.details.url, source: leakedEvent.details.source, policy: leakedEvent.details.policy, state: leakedEvent.details.state },
      { url: REPO_URL, source: 'github:content', policy: 'revoke', state: 'live' },
    );
    assert.ok(events.items.some((e) => e.action === 'key.revoked' && e.details.reason === 'leaked'));

    // Reported again (another repository): still ours, nothing left to apply.
    const again = batch(leaked.key);
    assert.equal((await ((await report(again, signAsGithub(again, current))).json() as Promise<any>))[0].label, 'true_positive');
    const trail = await admin.listAuditEvents({ targetId: leaked.id, action: 'key.leaked' });
    assert.deepEqual(trail.items.map((e) => e.details.policy).sort(), ['none', 'revoke'], 'both reports are in the trail');
    const logText = logger.captured.join('');
    assert.ok(!logText.includes(leaked.key) && !logText.includes(wellFormedUnknown), 'no token in the logs');
    assert.match(logText, /secret-scanning report from GitHub/);
  });

  test('an unknown identifier makes one refetch, then 401; more unknown ones wait for the cooldown', async () => {
    clock.advance(31_000); // past the cooldown of the last fetch
    const fetchesBefore = keyServer.fetches;
    const stranger = newSigningKey('ff'.repeat(32));
    const body = batch('x');
    const response = await report(body, signAsGithub(body, stranger));
    assert.equal(response.status, 401);
    assert.equal(await problemOf(response), 'LEAK_REPORT_KEY_UNKNOWN');
    assert.equal(keyServer.fetches, fetchesBefore + 1);
    const another = newSigningKey('ee'.repeat(32));
    assert.equal(await problemOf(await report(body, signAsGithub(body, another))), 'LEAK_REPORT_KEY_UNKNOWN');
    assert.equal(keyServer.fetches, fetchesBefore + 1, 'no second fetch within the cooldown');
  });

  test('a rotated key is fetched once the cooldown has passed, and accepted', async () => {
    const rotated = newSigningKey('b2'.repeat(32));
    keyServer.published = [current, rotated];
    clock.advance(31_000);
    const fetchesBefore = keyServer.fetches;
    const body = batch('nothing-of-ours');
    const response = await report(body, signAsGithub(body, rotated));
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), [{ token_raw: 'nothing-of-ours', token_type: 'portcullis_api_key', label: 'false_positive' }]);
    assert.equal(keyServer.fetches, fetchesBefore + 1);
    // The old key still verifies while GitHub publishes it.
    const old = await report(body, signAsGithub(body, current));
    assert.equal(old.status, 200);
    current = rotated;
  });

  test('bad JSON is 400, a body of the wrong shape 400, an oversized body 413', async () => {
    const notJson = '[{"token": ';
    const bad = await report(notJson, signAsGithub(notJson, current));
    assert.equal(bad.status, 400);
    assert.equal(await problemOf(bad), 'INVALID_JSON');
    for (const shape of ['{"token":"x"}', '[{"type":"t"}]', '[{"token":"x","type":"t","url":5}]', '[42]']) {
      const response = await report(shape, signAsGithub(shape, current));
      assert.equal(response.status, 400, shape);
      assert.equal(await problemOf(response), 'VALIDATION_FAILED');
    }
    const huge = batch(...Array.from({ length: 3000 }, (_, i) => `token-${i}-${'x'.repeat(80)}`));
    const tooLarge = await report(huge, signAsGithub(huge, current));
    assert.equal(tooLarge.status, 413);
    assert.equal(await problemOf(tooLarge), 'PAYLOAD_TOO_LARGE');
  });

  test('the checksum decides: a key-shaped token with a valid checksum of another prefix is not ours', async () => {
    const head = `abc_${'A'.repeat(30)}`;
    const foreign = head + checksumOf(head);
    const body = batch(foreign);
    const labels = (await (await report(body, signAsGithub(body, current))).json()) as any[];
    assert.equal(labels[0].label, 'false_positive');
  });
});
