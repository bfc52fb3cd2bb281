// The webhook part of the Store port against every adapter (SQLite; PostgreSQL when configured):
// claims are exclusive and leased, late reports of a lost claim change nothing, deleting a consumer
// deletes its endpoints — and two delivery workers on one store deliver each message exactly once.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createManualClock } from '../../src/lib/clock.js';
import { newId } from '../../src/lib/ids.js';
import { generateMasterKey, parseMasterKey } from '../../src/oauth/master-key.js';
import type { Store } from '../../src/store/types.js';
import type { WebhookEndpointRecord } from '../../src/store/webhooks-types.js';
import { createWebhookDelivery } from '../../src/webhooks/delivery.js';
import { generateWebhookSecret, sealWebhookSecret } from '../../src/webhooks/signing.js';
import { testLogger } from '../helpers/logs.js';
import { type OpenedStore, storeAdapters } from '../helpers/stores.js';
import { webhookMessage } from './fixtures.js';
import { type Receiver, startReceiver } from './receiver.js';

const masterKey = parseMasterKey(generateMasterKey());

function endpoint(now: number, url: string, extra: Partial<WebhookEndpointRecord> = {}): { record: WebhookEndpointRecord; secret: string } {
  const id = newId('whk', now);
  const secret = generateWebhookSecret();
  const secretId = newId('sec', now);
  return {
    secret,
    record: {
      id,
      consumerId: null,
      url,
      description: '',
      events: ['key.created'],
      enabled: true,
      allowPrivateNetworks: true,
      secrets: [{ id: secretId, sealed: sealWebhookSecret(masterKey, id, secretId, secret), createdAt: now, expiresAt: null }],
      consecutiveFailures: 0,
      disabledReason: null,
      createdAt: now,
      updatedAt: now,
      ...extra,
    },
  };
}

const message = (endpointId: string, now: number) => webhookMessage(endpointId, now);

for (const adapter of storeAdapters) {
  describe(`webhook store contract: ${adapter.name}`, { skip: adapter.skip }, () => {
    let opened: OpenedStore;
    let store: Store;
    let receiver: Receiver;
    const clock = createManualClock(Date.now());

    before(async () => {
      opened = await adapter.open();
      store = opened.store;
      receiver = await startReceiver();
    });
    after(async () => {
      await receiver.close();
      await opened.cleanup();
    });

    it('claims are exclusive and leased; a lost claim’s report is refused; attempts and outcomes are recorded', async () => {
      const now = clock.now();
      const { record } = endpoint(now, receiver.url);
      await store.insertWebhookEndpoint(record);
      const disabled = endpoint(now, receiver.url, { enabled: false }).record;
      await store.insertWebhookEndpoint(disabled);
      assert.deepEqual(
        (await store.listWebhookSubscriptions()).map((s) => s.id),
        [record.id],
      );
      const [first, second] = [message(record.id, now), message(record.id, now)];
      await store.insertWebhookMessages([first!, second!, message(disabled.id, now)]);

      const claimed = await store.claimWebhookMessages({ now, leaseUntil: now + 1000, claimToken: 'a', limit: 10 });
      assert.deepEqual(claimed.map((c) => c.message.id).sort(), [first!.id, second!.id].sort(), 'a disabled endpoint’s messages wait');
      assert.equal(claimed[0]!.endpoint.id, record.id);
      assert.equal((await store.claimWebhookMessages({ now, leaseUntil: now + 1000, claimToken: 'b', limit: 10 })).length, 0, 'held while leased');
      const taken = await store.claimWebhookMessages({ now: now + 1000, leaseUntil: now + 2000, claimToken: 'b', limit: 1 });
      assert.equal(taken.length, 1, 'claimable again once the lease has passed');

      const attempt = (messageId: string, statusCode: number | null) => ({
        id: newId('att', now),
        messageId,
        endpointId: record.id,
        at: now,
        statusCode,
        error: statusCode === 200 ? null : 'x',
        durationMs: 3,
      });
      const lost = await store.finishWebhookAttempt({ claimToken: 'a', attempt: attempt(taken[0]!.message.id, 500), outcome: { status: 'failed' } });
      assert.deepEqual(lost, { recorded: false, consecutiveFailures: 0 });
      const failed = await store.finishWebhookAttempt({
        claimToken: 'b',
        attempt: attempt(taken[0]!.message.id, 500),
        outcome: { status: 'pending', nextAttemptAt: now + 30_000 },
      });
      assert.deepEqual(failed, { recorded: true, consecutiveFailures: 1 });
      const other = claimed.find((c) => c.message.id !== taken[0]!.message.id)!;
      const delivered = await store.finishWebhookAttempt({ claimToken: 'a', attempt: attempt(other.message.id, 200), outcome: { status: 'delivered' } });
      assert.deepEqual(delivered, { recorded: true, consecutiveFailures: 0 });

      const log = await store.listWebhookMessages(record.id, { limit: 10 });
      assert.deepEqual(log.items.map((m) => m.status).sort(), ['delivered', 'pending']);
      const retrying = log.items.find((m) => m.status === 'pending')!;
      assert.equal(retrying.nextAttemptAt, now + 30_000);
      assert.equal(retrying.attempts, 1);
      assert.equal((await store.listWebhookAttempts([retrying.id])).length, 1);
      const again = await store.retryWebhookMessage(retrying.id, now + 5);
      assert.equal(again?.nextAttemptAt, now + 5);
      assert.equal(again?.windowStart, now + 5);

      assert.equal(await store.deleteWebhookMessagesBefore(now + 1), 1, 'the delivered message; the pending one stays');
      assert.equal((await store.listWebhookAttempts([other.message.id])).length, 0);
      assert.ok(await store.getWebhookMessage(retrying.id));
      assert.ok(await store.deleteWebhookEndpoint(record.id));
      assert.equal(await store.getWebhookMessage(retrying.id), undefined, 'messages go with their endpoint');
      assert.equal((await store.listWebhookAttempts([retrying.id])).length, 0);
      assert.ok(await store.deleteWebhookEndpoint(disabled.id));
    });

    it('deleting a consumer deletes its endpoints; listing filters by consumer', async () => {
      const now = clock.now();
      const consumerId = newId('con', now);
      const unlimited = { rateLimit: null, quota: null, metadata: {}, scopes: [], externalIds: [], allowedIps: [], keyPolicy: null };
      await store.insertConsumer({ ...unlimited, id: consumerId, name: `c-${consumerId}`, enabled: true, createdAt: now, updatedAt: now });
      const own = endpoint(now, receiver.url, { consumerId }).record;
      const operator = endpoint(now, receiver.url).record;
      await store.insertWebhookEndpoint(own);
      await store.insertWebhookEndpoint(operator);
      assert.deepEqual(
        (await store.listWebhookEndpoints({ consumerId, limit: 10 })).items.map((e) => e.id),
        [own.id],
      );
      assert.deepEqual(
        (await store.listWebhookEndpoints({ consumerId: null, limit: 10 })).items.map((e) => e.id),
        [operator.id],
      );
      await store.insertWebhookMessages([message(own.id, now)]);
      await store.deleteConsumer(consumerId);
      assert.equal(await store.getWebhookEndpoint(own.id), undefined);
      assert.equal((await store.listWebhookMessages(own.id, { limit: 10 })).items.length, 0);
      await store.deleteWebhookEndpoint(operator.id);
    });

    it('two delivery workers on one store deliver each message exactly once', async () => {
      const now = clock.now();
      const { record, secret } = endpoint(now, receiver.url);
      receiver.secrets = [secret];
      receiver.ids.length = 0;
      await store.insertWebhookEndpoint(record);
      const messages = Array.from({ length: 60 }, () => message(record.id, now));
      await store.insertWebhookMessages(messages);
      const settings = {
        timeoutMs: 5000,
        retryWindowMs: 86_400_000,
        maxAttempts: 5,
        disableAfterFailures: 50,
        allowPrivateNetworks: false,
        pollIntervalMs: 1000,
        batchSize: 7,
      };
      const worker = () => createWebhookDelivery({ store, clock, log: testLogger('warn'), masterKey, settings, onDisabled: async () => undefined });
      const [one, two] = [worker(), worker()];
      const handled: [number, number] = [0, 0];
      for (let round = 0; round < 30; round++) {
        const [a, b] = await Promise.all([one.runOnce(), two.runOnce()]);
        handled[0] += a;
        handled[1] += b;
        if (a === 0 && b === 0) break;
      }
      await Promise.all([one.stop(), two.stop()]);
      assert.equal(handled[0]! + handled[1]!, 60, 'sixty claims in all');
      assert.ok(handled[0]! > 0 && handled[1]! > 0, `both workers delivered (${handled.join(' + ')})`);
      assert.equal(receiver.ids.length, 60, 'sixty requests');
      assert.deepEqual([...receiver.ids].sort(), messages.map((m) => m.id).sort(), 'each message once');
      assert.ok(receiver.received.slice(-60).every((r) => r.verifiedBy.length === 1));
      const log = await store.listWebhookMessages(record.id, { limit: 100 });
      assert.ok(log.items.every((m) => m.status === 'delivered' && m.attempts === 1));
    });
  });
}
