// The webhook event types, and the one table saying which recorded audit actions are webhook events.
// An audit action named like an event type (`key.leaked`, `key.expiring`, …) is that event with no
// further code; a few others map through a function of the audit details.
import type { JsonObject } from '../lib/json.js';

export const WEBHOOK_EVENT_TYPES = [
  'key.created',
  'key.rolled',
  'key.revoked',
  'key.expiring',
  'key.expired',
  'key.leaked',
  'client.created',
  'client.secret_rotated',
  'client.tokens_revoked',
  'consumer.disabled',
  'quota.threshold',
  'ratelimit.exceeded',
] as const;

export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

const EVENT_TYPES: ReadonlySet<string> = new Set(WEBHOOK_EVENT_TYPES);

export function isWebhookEventType(name: string): name is WebhookEventType {
  return EVENT_TYPES.has(name);
}

/** Audit actions whose event depends on the details (the rest map by name). */
const FROM_AUDIT: Readonly<Record<string, (details: JsonObject) => WebhookEventType | undefined>> = {
  'consumer.updated': (details) => (details.enabled === false ? 'consumer.disabled' : undefined),
};

/** The webhook event a recorded audit action is, if any. */
export function webhookEventOf(action: string, details: JsonObject): WebhookEventType | undefined {
  const mapped = FROM_AUDIT[action];
  if (mapped) return mapped(details);
  return isWebhookEventType(action) ? action : undefined;
}
