// Issue #23, webhooks: endpoints through the admin API, events from audited changes signed as
// Standard Webhooks (checked by the `standardwebhooks` library in a real receiver), retries with
// backoff on the injected clock, disabling, manual redelivery, leases, and the SSRF rule.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { generateMasterKey } from '../../src/oauth/master-key.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { type Receiver, startReceiver } from './receiver.js';

const ALL_EVENTS = ['key.created', 'key.rolled', 'key.revoked', 'client.created', 'client.secret_rotated', 'client.tokens_revoked', 'consumer.disabled'];

describe('webhooks over the admin API', () => {
  let t: TestApp;
  let receiver: Receiver;

  /** Runs the delivery worker until nothing is due now. */
  async function drain(): Promise<number> {
    let total = 0;
    for (let i = 0; i < 20; i++) {
      const n = await t.app.webhookDelivery.runOnce();
      total += n;
      if (n === 0) return total;
    }
    throw new Error('the outbox did not drain');
  }

  async function register(body: Record<string, unknown>) {
    const created = await t.call('POST', '/admin/v1/webhooks', { url: receiver.url, allowPrivateNetworks: true, events: ALL_EVENTS, ...body });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    receiver.secrets = [created.body.secret];
    return created.body as { id: string; secret: string };
  }

  before(async () => {
    t = await createTestApp({ config: { oauth: { masterKey: generateMasterKey() }, webhooks: { maxAttempts: 3, disableAfterFailures: 4, timeout: '5s' } } });
    // The receiver checks signature timestamps against the real time (5 minutes' tolerance).
    t.clock.set(Date.now());
    receiver = await startReceiver();
  });
  after(async () => {
    await receiver.close();
    await t.close();
  });
  beforeEach(async () => {
    for (const endpoint of (await t.call('GET', '/admin/v1/webhooks')).body.items) await t.call('DELETE', `/admin/v1/webhooks/${endpoint.id}`);
    receiver.received.length = 0;
    receiver.ids.length = 0;
    receiver.status = 200;
    t.clock.set(Date.now());
  });

  it('refuses URLs that reach loopback, link-local or private addresses unless allowed, and non-http(s) URLs', async () => {
    const port = new URL(receiver.url).port;
    for (const url of [
      `http://127.0.0.1:${port}/`,
      'http://169.254.169.254/latest/meta-data/',
      `http://[::1]:${port}/`,
      `http://[::ffff:127.0.0.1]:${port}/`,
      `http://[::ffff:a9fe:a9fe]/`,
      'http://10.1.2.3/',
      'http://[fd00::1]/',
      'http://0.0.0.0/',
      `http://localhost:${port}/`,
      'ftp://example.com/',
      'https://user:pw@example.com/',
    ]) {
      const answer = await t.call('POST', '/admin/v1/webhooks', { url, events: ['key.created'] });
      assert.equal(answer.status, 400, url);
      assert.equal(answer.body.code, 'WEBHOOK_URL_NOT_ALLOWED', url);
    }
    assert.equal((await t.call('GET', '/admin/v1/webhooks')).body.items.length, 0);
    // Allowed per endpoint; and holding an endpoint to the rule again checks its URL again.
    const allowed = await register({ url: `http://localhost:${port}/x?token=receiver-secret` });
    const [audited] = (await t.call('GET', `/admin/v1/audit-events?action=webhook.created&targetId=${allowed.id}`)).body.items;
    assert.equal(audited.details.origin, `http://localhost:${port}`, 'the trail keeps the origin only');
    assert.ok(!JSON.stringify(audited).includes('receiver-secret'));
    const held = await t.call('PATCH', `/admin/v1/webhooks/${allowed.id}`, { allowPrivateNetworks: false });
    assert.equal(held.body.code, 'WEBHOOK_URL_NOT_ALLOWED');
    const unknownEvent = await t.call('POST', '/admin/v1/webhooks', { url: receiver.url, events: ['key.nope'], allowPrivateNetworks: true });
    assert.equal(unknownEvent.status, 400);
  });

  it('sends each lifecycle event once, signed (standardwebhooks verifies it), with no secret in any payload', async () => {
    const endpoint = await register({});
    assert.match(endpoint.secret, /^whsec_[A-Za-z0-9+/]{43}=$/);
    const listed = (await t.call('GET', `/admin/v1/webhooks/${endpoint.id}`)).body;
    assert.equal(listed.secret, undefined, 'the secret is shown once');

    const consumer = (await t.call('POST', '/admin/v1/consumers', { name: 'acme', scopes: ['read'] })).body;
    const key = (await t.call('POST', `/admin/v1/consumers/${consumer.id}/keys`, { name: 'k' })).body;
    const rolled = (await t.call('POST', `/admin/v1/keys/${key.id}/roll`, { expireOldInSeconds: 60 })).body;
    await t.call('POST', `/admin/v1/keys/${rolled.id}/revoke`);
    await t.call('PATCH', `/admin/v1/keys/${key.id}`, { name: 'renamed' }); // key.updated: no event
    const client = (await t.call('POST', `/admin/v1/consumers/${consumer.id}/clients`, { name: 'c' })).body;
    const rotated = (await t.call('POST', `/admin/v1/clients/${client.clientId}/secrets`, { expireOldInSeconds: 0 })).body;
    await t.call('POST', `/admin/v1/clients/${client.clientId}/revoke-tokens`);
    await t.call('PATCH', `/admin/v1/consumers/${consumer.id}`, { scopes: ['read', 'write'] }); // no event
    await t.call('PATCH', `/admin/v1/consumers/${consumer.id}`, { enabled: false });

    assert.equal(await drain(), 7);
    assert.deepEqual(
      receiver.received.map((r) => r.json.type),
      ['key.created', 'key.rolled', 'key.revoked', 'client.created', 'client.secret_rotated', 'client.tokens_revoked', 'consumer.disabled'],
    );
    for (const r of receiver.received) {
      assert.deepEqual(r.verifiedBy, [0], `${r.json.type} verifies`);
      assert.equal(r.json.data.consumerId, consumer.id);
      assert.equal(r.json.data.consumerName, 'acme');
      for (const secret of [key.key, rolled.key, client.clientSecret, rotated.clientSecret, endpoint.secret]) {
        assert.ok(!r.body.includes(secret), `${r.json.type} carries no secret`);
      }
    }
    assert.equal(receiver.received[0]!.json.data.keyId, key.id);
    assert.equal(receiver.received[0]!.json.data.masked, key.masked);
    assert.equal(new Set(receiver.ids).size, 7, 'each message once');

    const log = (await t.call('GET', `/admin/v1/webhooks/${endpoint.id}/deliveries`)).body;
    assert.equal(log.items.length, 7);
    assert.equal(log.items[0].status, 'delivered');
    assert.equal(log.items[0].attemptLog[0].statusCode, 200);
  });

  it('key.expiring, key.expired and key.leaked come from the hygiene scheduler and leak reports, like any audited change', async () => {
    // This consumer's events only: keys of the tests before expire too.
    const consumer = (await t.call('POST', '/admin/v1/consumers', { name: 'lifecycle' })).body;
    await register({ events: ['key.expiring', 'key.expired', 'key.leaked'], consumerId: consumer.id });
    const soon = new Date(t.clock.now() + 3 * 86_400_000).toISOString();
    const now = new Date(t.clock.now() + 1000).toISOString();
    const expiring = (await t.call('POST', `/admin/v1/consumers/${consumer.id}/keys`, { name: 'soon', expiresAt: soon })).body;
    const expiring2 = (await t.call('POST', `/admin/v1/consumers/${consumer.id}/keys`, { name: 'now', expiresAt: now })).body;
    const leaked = (await t.call('POST', `/admin/v1/consumers/${consumer.id}/keys`, { name: 'leaked' })).body;

    assert.ok(await t.app.hygiene.runOnce());
    t.clock.advance(2000);
    assert.ok(await t.app.hygiene.runOnce());
    const report = await t.call('POST', '/admin/v1/keys/leaked', { keys: [leaked.key], source: 'test', url: 'https://example.com/paste' });
    assert.equal(report.status, 200, JSON.stringify(report.body));

    assert.equal(await drain(), 4);
    const got = receiver.received.map((r) => `${r.json.type} ${r.json.data.keyId}`).sort();
    assert.deepEqual(got, [`key.expired ${expiring2.id}`, `key.expiring ${expiring.id}`, `key.expiring ${expiring2.id}`, `key.leaked ${leaked.id}`].sort());
    for (const r of receiver.received) {
      assert.deepEqual(r.verifiedBy, [0], `${r.json.type} verifies`);
      assert.ok(!r.body.includes(leaked.key), `${r.json.type} carries no key`);
    }
  });

  it('a consumer’s endpoint gets only that consumer’s events; an operator’s endpoint gets all', async () => {
    const a = (await t.call('POST', '/admin/v1/consumers', { name: 'a-corp' })).body;
    const b = (await t.call('POST', '/admin/v1/consumers', { name: 'b-corp' })).body;
    const own = await register({ consumerId: a.id, events: ['key.created'] });
    const operator = await register({ events: ['key.created'] });
    await t.call('POST', `/admin/v1/consumers/${a.id}/keys`, {});
    await t.call('POST', `/admin/v1/consumers/${b.id}/keys`, {});
    await drain();
    const byEndpoint = async (id: string) =>
      (await t.call('GET', `/admin/v1/webhooks/${id}/deliveries`)).body.items.map(
        (d: { payload: { data: { consumerId: string } } }) => d.payload.data.consumerId,
      );
    assert.deepEqual(await byEndpoint(own.id), [a.id]);
    assert.deepEqual((await byEndpoint(operator.id)).sort(), [a.id, b.id].sort());
    const mine = (await t.call('GET', `/admin/v1/webhooks?consumer=${a.id}`)).body.items.map((e: { id: string }) => e.id);
    assert.deepEqual(mine, [own.id]);
  });

  it('rolls the secret with overlap: both signatures during it, only the new one after', async () => {
    const endpoint = await register({ events: ['consumer.disabled'] });
    const rolled = await t.call('POST', `/admin/v1/webhooks/${endpoint.id}/secret`, { expireOldInSeconds: 60 });
    assert.equal(rolled.status, 201);
    receiver.secrets = [endpoint.secret, rolled.body.secret];
    const c = (await t.call('POST', '/admin/v1/consumers', { name: 'rolling' })).body;
    await t.call('PATCH', `/admin/v1/consumers/${c.id}`, { enabled: false });
    await drain();
    assert.deepEqual(receiver.received[0]!.verifiedBy, [0, 1]);
    assert.equal(receiver.received[0]!.signature.split(' ').length, 2);
    t.clock.advance(61_000);
    await t.call('PATCH', `/admin/v1/consumers/${c.id}`, { enabled: false });
    await drain();
    assert.deepEqual(receiver.received[1]!.verifiedBy, [1]);
  });

  it('retries a failed delivery with exponential backoff and jitter, then gives up after maxAttempts', async () => {
    const endpoint = await register({ events: ['key.created'] });
    const c = (await t.call('POST', '/admin/v1/consumers', { name: 'flaky' })).body;
    receiver.status = 500;
    await t.call('POST', `/admin/v1/consumers/${c.id}/keys`, {});
    const started = t.clock.now();
    assert.equal(await drain(), 1);
    let [delivery] = (await t.call('GET', `/admin/v1/webhooks/${endpoint.id}/deliveries`)).body.items;
    assert.equal(delivery.status, 'pending');
    assert.equal(delivery.attemptLog[0].error, 'HTTP 500');
    const firstWait = Date.parse(delivery.nextAttemptAt) - started;
    assert.ok(firstWait >= 22_500 && firstWait <= 37_500, `first retry after 30 s ± 25 % (${firstWait} ms)`);
    assert.equal(await drain(), 0, 'not due before its time');
    t.clock.set(Date.parse(delivery.nextAttemptAt));
    assert.equal(await drain(), 1);
    delivery = (await t.call('GET', `/admin/v1/webhooks/${endpoint.id}/deliveries`)).body.items[0];
    const secondWait = Date.parse(delivery.nextAttemptAt) - t.clock.now();
    assert.ok(secondWait >= 45_000 && secondWait <= 75_000, `second retry after 60 s ± 25 % (${secondWait} ms)`);
    t.clock.set(Date.parse(delivery.nextAttemptAt));
    await drain();
    delivery = (await t.call('GET', `/admin/v1/webhooks/${endpoint.id}/deliveries`)).body.items[0];
    assert.equal(delivery.status, 'failed', 'maxAttempts (3) used up');
    assert.equal(delivery.attemptLog.length, 3);
    assert.equal(receiver.ids.length, 3);
    assert.equal(new Set(receiver.ids).size, 1, 'every attempt carries the same webhook-id');

    // Manual redelivery: due at once, delivered now that the receiver answers.
    receiver.status = 204;
    const retried = await t.call('POST', `/admin/v1/webhooks/${endpoint.id}/deliveries/${delivery.id}/retry`);
    assert.equal(retried.status, 202);
    assert.equal(retried.body.status, 'pending');
    assert.equal(await drain(), 1);
    delivery = (await t.call('GET', `/admin/v1/webhooks/${endpoint.id}/deliveries`)).body.items[0];
    assert.equal(delivery.status, 'delivered');
    assert.equal(delivery.attemptLog.length, 4);
    const missing = await t.call('POST', `/admin/v1/webhooks/${endpoint.id}/deliveries/msg_0000000000000000000000/retry`);
    assert.equal(missing.body.code, 'WEBHOOK_DELIVERY_NOT_FOUND');
  });

  it('disables an endpoint after disableAfterFailures failed attempts in a row, with an audit event', async () => {
    const endpoint = await register({ events: ['key.created'] });
    const c = (await t.call('POST', '/admin/v1/consumers', { name: 'down' })).body;
    receiver.status = 503;
    for (let i = 0; i < 4; i++) await t.call('POST', `/admin/v1/consumers/${c.id}/keys`, {});
    await drain();
    const after = (await t.call('GET', `/admin/v1/webhooks/${endpoint.id}`)).body;
    assert.equal(after.enabled, false);
    assert.match(after.disabledReason, /4 delivery attempts failed in a row/);
    const audit = (await t.call('GET', `/admin/v1/audit-events?action=webhook.disabled&targetId=${endpoint.id}`)).body.items;
    assert.equal(audit.length, 1);
    assert.equal(audit[0].actor, 'system');
    // A disabled endpoint gets no new messages and its pending ones wait; enabling it resets the count.
    await t.call('POST', `/admin/v1/consumers/${c.id}/keys`, {});
    t.clock.advance(3_600_000);
    assert.equal(await drain(), 0);
    receiver.status = 200;
    const enabled = (await t.call('PATCH', `/admin/v1/webhooks/${endpoint.id}`, { enabled: true })).body;
    assert.equal(enabled.consecutiveFailures, 0);
    assert.equal(enabled.disabledReason, null);
  });

  it('a message claimed by a node that died is delivered by another once the lease has passed', async () => {
    await register({ events: ['key.created'] });
    const c = (await t.call('POST', '/admin/v1/consumers', { name: 'lease' })).body;
    await t.call('POST', `/admin/v1/consumers/${c.id}/keys`, {});
    const now = t.clock.now();
    // The dead node's claim: taken, never finished.
    const claimed = await t.app.store.claimWebhookMessages({ now, leaseUntil: now + 15_000, claimToken: 'dead-node', limit: 10 });
    assert.equal(claimed.length, 1);
    assert.equal(await drain(), 0, 'held while the lease lasts');
    t.clock.advance(15_000);
    assert.equal(await drain(), 1);
    assert.equal(receiver.received.length, 1);
    assert.deepEqual(receiver.received[0]!.verifiedBy, [0]);
    // The dead node's late report changes nothing.
    const late = await t.app.store.finishWebhookAttempt({
      claimToken: 'dead-node',
      attempt: { id: 'att_late', messageId: claimed[0]!.message.id, endpointId: claimed[0]!.endpoint.id, at: now, statusCode: 500, error: 'x', durationMs: 1 },
      outcome: { status: 'failed' },
    });
    assert.equal(late.recorded, false);
  });

  it('checks the address actually connected to at delivery time (a name that now resolves to loopback is refused)', async () => {
    const port = new URL(receiver.url).port;
    const endpoint = await register({ url: `http://localhost:${port}/hooks`, events: ['key.created'] });
    // As if DNS had answered with a public address at registration: the flag is dropped behind the check's back.
    await t.app.store.updateWebhookEndpoint(endpoint.id, { allowPrivateNetworks: false, updatedAt: t.clock.now() });
    const literal = await register({ url: `http://127.0.0.1:${port}/hooks`, events: ['key.created'] });
    await t.app.store.updateWebhookEndpoint(literal.id, { allowPrivateNetworks: false, updatedAt: t.clock.now() });
    const c = (await t.call('POST', '/admin/v1/consumers', { name: 'rebind' })).body;
    await t.call('POST', `/admin/v1/consumers/${c.id}/keys`, {});
    assert.equal(await drain(), 2);
    assert.equal(receiver.received.length, 0, 'nothing reached the receiver');
    const errors = async (id: string) => (await t.call('GET', `/admin/v1/webhooks/${id}/deliveries`)).body.items[0].attemptLog[0].error;
    assert.match(await errors(endpoint.id), /^refused: localhost resolves to a loopback address$/);
    assert.match(await errors(literal.id), /^refused: 127\.0\.0\.1 is a loopback address$/);
  });
});
