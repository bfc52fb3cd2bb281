// quota.threshold (80 % and 100 %, once each) and ratelimit.exceeded (debounced per credential and
// limit) from real gateway traffic: queued off the request path, written by the flush, delivered
// signed to a real receiver.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { createApp } from '../../src/app.js';
import { validateConfig } from '../../src/config/load.js';
import { startGateway } from '../../src/gateway/start.js';
import { createManualClock } from '../../src/lib/clock.js';
import { generateMasterKey } from '../../src/oauth/master-key.js';
import { startUpstream } from '../gateway/helpers.js';
import { noteSecret, testLogger } from '../helpers/logs.js';
import { startReceiver } from './receiver.js';

test('quota thresholds and rate-limit refusals become webhook events, off the request path', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-limit-events-'));
  const upstream = await startUpstream();
  const receiver = await startReceiver();
  const clock = createManualClock(Date.now());
  const config = validateConfig(
    {
      store: `sqlite:${join(dir, 'p.db')}`,
      log: { level: 'silent' },
      oauth: { masterKey: generateMasterKey() },
      apis: [{ name: 'orders', basePath: '/orders', upstream: upstream.url, auth: ['api-key'], rateLimit: { limit: 3, window: '1m', by: 'credential' } }],
    },
    'test',
  );
  const app = await createApp({ config, clock, logger: testLogger() });
  const gateway = await startGateway({ app, baseDir: dir, host: '127.0.0.1', port: 0 });
  try {
    const actor = { id: 'test', sourceIp: null };
    const { endpoint, secret } = await app.webhooks.create(
      null,
      { url: receiver.url, events: ['quota.threshold', 'ratelimit.exceeded'], allowPrivateNetworks: true },
      actor,
    );
    noteSecret(secret);
    receiver.secrets = [secret];
    const consumer = await app.consumers.create({ name: 'metered' }, actor);
    const issued = await app.keys.create(consumer.id, { quota: { limit: 5, period: 'day' } }, actor);
    noteSecret(issued.key);
    const get = () => fetch(`${gateway.url}/orders/x`, { headers: { 'x-api-key': issued.key } });

    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await get()).status);
    clock.advance(121_000);
    for (let i = 0; i < 3; i++) statuses.push((await get()).status);
    assert.deepEqual(statuses, [200, 200, 200, 429, 200, 200, 429], 'the fourth is over the rate limit; the fifth uses the quota up');
    assert.equal((await app.store.listWebhookMessages(endpoint.id, { limit: 10 })).items.length, 0, 'nothing written on the request path');

    assert.equal(await app.limitEvents.flush(), 3);
    await app.webhookDelivery.runOnce();
    assert.deepEqual(
      receiver.received.map((r) => [r.json.type, r.json.data.threshold ?? null]),
      [
        ['ratelimit.exceeded', null],
        ['quota.threshold', 80],
        ['quota.threshold', 100],
      ],
    );
    assert.ok(receiver.received.every((r) => r.verifiedBy.length === 1 && !r.body.includes(issued.key)));
    assert.equal(receiver.received[1]!.json.data.credentialId, issued.record.id);
    assert.equal(receiver.received[1]!.json.data.used, 4);

    // Refused again and again within the minute: one event.
    const other = await app.keys.create(consumer.id, {}, actor);
    noteSecret(other.key);
    const statusesOfOther: number[] = [];
    for (let i = 0; i < 6; i++) statusesOfOther.push((await fetch(`${gateway.url}/orders/x`, { headers: { 'x-api-key': other.key } })).status);
    assert.deepEqual(statusesOfOther, [200, 200, 200, 429, 429, 429]);
    assert.equal(await app.limitEvents.flush(), 1, 'debounced per credential and limit');
  } finally {
    await gateway.close();
    await app.close();
    await receiver.close();
    await upstream.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
