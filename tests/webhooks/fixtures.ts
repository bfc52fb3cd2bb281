// Webhook records for tests that need a message in a delivery log without sending it.
import { newId } from '../../src/lib/ids.js';
import type { WebhookMessageRecord } from '../../src/store/webhooks-types.js';

/** A message of `endpointId` created at `at`: pending and due by default. */
export function webhookMessage(endpointId: string, at: number, extra: Partial<WebhookMessageRecord> = {}): WebhookMessageRecord {
  return {
    id: newId('msg', at),
    endpointId,
    eventType: 'key.created',
    payload: JSON.stringify({ type: 'key.created', timestamp: new Date(at).toISOString(), data: {} }),
    status: 'pending',
    attempts: 0,
    nextAttemptAt: at,
    windowStart: at,
    claimedUntil: null,
    lastAttemptAt: null,
    createdAt: at,
    ...extra,
  };
}

/** A message whose retries are used up: in the log, never sent again unless retried. */
export const failedMessage = (endpointId: string, at: number) => webhookMessage(endpointId, at, { status: 'failed', attempts: 1, lastAttemptAt: at });
