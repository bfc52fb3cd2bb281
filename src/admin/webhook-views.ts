// Webhook records → the JSON the admin API and the portal answer with: ISO times, never a secret.

import type { WebhookEndpointRecord } from '../store/webhooks-types.js';
import type { DeliveryWithAttempts } from '../webhooks/service.js';

const iso = (ms: number) => new Date(ms).toISOString();
const isoOrNull = (ms: number | null) => (ms === null ? null : iso(ms));

export function webhookView(e: WebhookEndpointRecord) {
  return {
    id: e.id,
    consumerId: e.consumerId,
    url: e.url,
    description: e.description,
    events: e.events,
    enabled: e.enabled,
    allowPrivateNetworks: e.allowPrivateNetworks,
    disabledReason: e.disabledReason,
    consecutiveFailures: e.consecutiveFailures,
    secrets: e.secrets.map((s) => ({ id: s.id, createdAt: iso(s.createdAt), expiresAt: isoOrNull(s.expiresAt) })),
    createdAt: iso(e.createdAt),
    updatedAt: iso(e.updatedAt),
  };
}

export function webhookDeliveryView({ message: m, attempts }: DeliveryWithAttempts) {
  return {
    id: m.id,
    webhookId: m.endpointId,
    eventType: m.eventType,
    status: m.status,
    attempts: m.attempts,
    nextAttemptAt: m.status === 'pending' ? iso(m.nextAttemptAt) : null,
    lastAttemptAt: isoOrNull(m.lastAttemptAt),
    createdAt: iso(m.createdAt),
    payload: JSON.parse(m.payload) as Record<string, unknown>,
    attemptLog: attempts.map((a) => ({ id: a.id, at: iso(a.at), statusCode: a.statusCode, error: a.error, durationMs: a.durationMs })),
  };
}
