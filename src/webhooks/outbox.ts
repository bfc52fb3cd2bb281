// The outbox writer: an event becomes one message per enabled endpoint subscribed to it, inserted
// with the store it is given — inside a change's transaction, the change's own (audit/log.ts calls
// `fromAudit` from `record()`), so a message exists exactly when its change committed. Payloads
// carry ids, names, masked keys and times, never a secret.
import { newId } from '../lib/ids.js';
import type { JsonObject } from '../lib/json.js';
import type { AuditEventRecord, Store } from '../store/types.js';
import type { WebhookMessageRecord, WebhookSubscription } from '../store/webhooks-types.js';
import { type WebhookEventType, webhookEventOf } from './events.js';

/** Anything shaped like a Portcullis key or client secret (`<prefix>_<36 base62>`), or a webhook secret. */
const SECRET_SHAPE = /(?<![0-9A-Za-z])([a-z][a-z0-9]{0,15}_[0-9A-Za-z]{36}|whsec_[A-Za-z0-9+/=]{16,})(?![0-9A-Za-z])/;

/** The details without any value that looks like a secret (audit details never hold one; this is the second line). */
function withoutSecrets(value: unknown): unknown {
  if (typeof value === 'string') return SECRET_SHAPE.test(value) ? undefined : value;
  if (Array.isArray(value)) return value.map(withoutSecrets).filter((v) => v !== undefined);
  if (value && typeof value === 'object') {
    const out: JsonObject = {};
    for (const [name, child] of Object.entries(value)) {
      const kept = withoutSecrets(child);
      if (kept !== undefined) out[name] = kept;
    }
    return out;
  }
  return value;
}

export interface WebhookEvent {
  type: WebhookEventType;
  at: number;
  /** The consumer the event is about: its owners' endpoints receive it (operators' endpoints receive all). */
  consumerId: string | null;
  data: JsonObject;
}

/** Inserts the event's messages; one read of the enabled endpoints when there is nothing to send. */
export async function enqueueWebhookEvent(store: Store, event: WebhookEvent, subscriptions?: WebhookSubscription[]): Promise<number> {
  const subscribed = (subscriptions ?? (await store.listWebhookSubscriptions())).filter(
    (s) => s.events.includes(event.type) && (s.consumerId === null || s.consumerId === event.consumerId),
  );
  if (subscribed.length === 0) return 0;
  const payload = JSON.stringify({ type: event.type, timestamp: new Date(event.at).toISOString(), data: withoutSecrets(event.data) });
  const messages: WebhookMessageRecord[] = subscribed.map((s) => ({
    id: newId('msg', event.at),
    endpointId: s.id,
    eventType: event.type,
    payload,
    status: 'pending',
    attempts: 0,
    nextAttemptAt: event.at,
    windowStart: event.at,
    claimedUntil: null,
    lastAttemptAt: null,
    createdAt: event.at,
  }));
  await store.insertWebhookMessages(messages);
  return messages.length;
}

/** The consumer an audited change belongs to: the target itself, or the owner of the key or client. */
async function consumerOfTarget(store: Store, event: AuditEventRecord): Promise<string | null> {
  if (event.targetType === 'consumer') return event.targetId;
  if (typeof event.details.consumerId === 'string') return event.details.consumerId;
  if (event.targetType === 'key') return (await store.getKey(event.targetId))?.consumerId ?? null;
  if (event.targetType === 'client') return (await store.getClient(event.targetId))?.consumerId ?? null;
  return null;
}

const TARGET_FIELD: Readonly<Record<string, string>> = { key: 'keyId', client: 'clientId', consumer: 'consumerId' };

/**
 * Writes the messages of an audited change, if its action is a webhook event (events.ts) that an
 * enabled endpoint subscribes to; the number written. Actions that are no event cost nothing; events
 * nobody subscribes to, one read.
 */
export async function webhooksFromAudit(store: Store, event: AuditEventRecord): Promise<number> {
  const type = webhookEventOf(event.action, event.details);
  if (!type) return 0;
  const subscribers = (await store.listWebhookSubscriptions()).filter((s) => s.events.includes(type));
  if (subscribers.length === 0) return 0;
  const consumerId = await consumerOfTarget(store, event);
  const consumer = consumerId ? await store.getConsumer(consumerId) : undefined;
  const data = {
    ...event.details,
    [TARGET_FIELD[event.targetType] ?? 'targetId']: event.targetId,
    consumerId,
    consumerName: consumer?.name ?? null,
    actor: event.actor,
    auditEventId: event.id,
  };
  return enqueueWebhookEvent(store, { type, at: event.at, consumerId, data }, subscribers);
}
