// What a resource route does once it knows who may act on what: the admin API and the developer
// portal (each its own edge) call these, so both write the same changes and answer in the same shapes.
import type { Static } from '@sinclair/typebox';
import type { App } from '../app.js';
import type { Actor } from '../audit/log.js';
import { PortcullisError } from '../errors/codes.js';
import { hashKey, isWellFormedKey } from '../keys/format.js';
import { decodeCursor, encodeCursor } from '../lib/cursor.js';
import { quotaStatus } from '../limits/quota-status.js';
import type { ConsumerRecord, KeyRecord } from '../store/types.js';
import { usageReport } from '../usage/report.js';
import { LEAK_REPORT_MAX_ITEMS, type LeakReport } from './leak-schemas.js';
import type { ClientCreate, SecretRotate } from './oauth-schemas.js';
import type { AuditQuery, KeyCreate, KeyRoll, UsageQuery } from './schemas.js';
import { auditEventView, clientView, consumerView, keyView, leakView, parseTime, secretView, signingKeyView } from './views.js';

const iso = (ms: number) => new Date(ms).toISOString();

/** A create or update body's `expiresAt` (ISO time, null = never) as the key service takes it. */
function keyInput<T extends { expiresAt?: string | null | undefined }>(body: T) {
  const { expiresAt, ...rest } = body;
  return expiresAt === undefined ? rest : { ...rest, expiresAt: parseTime(expiresAt) };
}

export async function createKey(app: App, consumerId: string, body: Static<typeof KeyCreate>, actor: Actor) {
  const issued = await app.keys.create(consumerId, keyInput(body), actor);
  return { ...keyView(issued.record), key: issued.key };
}

export async function updateKey(app: App, keyId: string, body: Static<typeof KeyCreate>, actor: Actor) {
  return keyView(await app.keys.update(keyId, keyInput(body), actor));
}

export async function rollKey(app: App, keyId: string, body: Static<typeof KeyRoll>, actor: Actor) {
  const { expireOldInSeconds = 0, expiresAt } = body;
  const { issued, old } = await app.keys.roll(
    keyId,
    expiresAt === undefined ? { expireOldInSeconds } : { expireOldInSeconds, expiresAt: parseTime(expiresAt) },
    actor,
  );
  return { ...keyView(issued.record), key: issued.key, oldKey: keyView(old) };
}

/** A key with its remaining usage credits (read, not consumed). */
export async function keyWithQuota(app: App, key: KeyRecord) {
  return { ...keyView(key), quotaStatus: await quotaStatus(app.limiters.requests, 'credential', key.id, key.quota, app.clock.now()) };
}

/** A consumer with its remaining usage credits (read, not consumed). */
export async function consumerWithQuota(app: App, consumer: ConsumerRecord) {
  return { ...consumerView(consumer), quotaStatus: await quotaStatus(app.limiters.requests, 'consumer', consumer.id, consumer.quota, app.clock.now()) };
}

export async function createClient(app: App, consumerId: string, body: Static<typeof ClientCreate>, actor: Actor) {
  const { client, secret } = await app.oauth.clients.create(consumerId, body, actor);
  const view = clientView(client, secret ? [secret.record] : []);
  return secret ? { ...view, clientSecret: secret.secret } : view;
}

export async function rotateClientSecret(app: App, clientId: string, body: Static<typeof SecretRotate>, actor: Actor) {
  const { issued, oldSecretsExpireAt } = await app.oauth.clients.rotateSecret(clientId, body.expireOldInSeconds ?? 0, actor);
  return { clientId, clientSecret: issued.secret, secret: secretView(issued.record), oldSecretsExpireAt: iso(oldSecretsExpireAt) };
}

export async function listSigningKeys(app: App) {
  await app.oauth.ring.load();
  return { items: app.oauth.ring.list(app.clock.now()).map(signingKeyView) };
}

/** A page of audit events, newest first; with `consumerId`, only that consumer's trail. */
export async function listAuditEvents(app: App, q: Static<typeof AuditQuery> & { limit: number }, consumerId?: string) {
  const page = await app.store.listAuditEvents({
    actor: q.actor,
    action: q.action,
    targetType: q.targetType,
    targetId: q.targetId,
    from: parseTime(q.from) ?? undefined,
    to: parseTime(q.to) ?? undefined,
    after: decodeCursor(q.cursor),
    limit: q.limit,
    consumerId,
  });
  return { items: page.items.map(auditEventView), nextCursor: encodeCursor(page.nextCursor) };
}

/** The admin API's usage report: any consumer, key, client or API. */
export async function usage(app: App, q: Static<typeof UsageQuery> & { granularity: 'minute' | 'hour' | 'day' }) {
  if (q.key && q.client) throw new PortcullisError('VALIDATION_FAILED', 'give key or client, not both');
  return usageReport(
    { store: app.store, clock: app.clock, flush: () => app.usage.flush() },
    { consumerId: q.consumer, credentialId: q.key ?? q.client, api: q.api, from: q.from, to: q.to, granularity: q.granularity },
  );
}

/** Another scanner's report: each plaintext key or hash gets the leak policy when it is one of ours. */
export async function reportLeakedKeys(app: App, body: Static<typeof LeakReport>, actor: Actor) {
  const keys = body.keys ?? [];
  const hashes = body.hashes ?? [];
  if (keys.length + hashes.length > LEAK_REPORT_MAX_ITEMS)
    throw new PortcullisError('VALIDATION_FAILED', `at most ${LEAK_REPORT_MAX_ITEMS} keys and hashes in all`);
  const where = { source: body.source, url: body.url ?? null };
  const items = [];
  for (const [index, key] of keys.entries()) {
    const wellFormed = isWellFormedKey(key, app.config.keys.prefix);
    const hash = wellFormed ? hashKey(key) : undefined;
    items.push({
      input: 'key' as const,
      index,
      ...(hash ? { hash } : {}),
      wellFormed,
      ...leakView(hash ? await app.leaks.reportHash(hash, where, actor) : { found: false }),
    });
  }
  for (const [index, hash] of hashes.entries()) {
    items.push({ input: 'hash' as const, index, hash, wellFormed: true, ...leakView(await app.leaks.reportHash(hash, where, actor)) });
  }
  return { policy: app.leaks.policy, items };
}
