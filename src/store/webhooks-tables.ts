// Row shapes of the webhook tables (migration 0007): endpoints, the outbox of messages, the delivery log.
export interface WebhookEndpointsTable {
  id: string;
  /** Null: an operator's endpoint (every consumer's events). */
  consumer_id: string | null;
  url: string;
  description: string;
  events: string;
  enabled: number;
  allow_private_networks: number;
  /** JSON array of sealed secrets with their expiry. */
  secrets: string;
  consecutive_failures: number;
  disabled_reason: string | null;
  created_at: number;
  updated_at: number;
}

export interface WebhookMessagesTable {
  id: string;
  endpoint_id: string;
  event_type: string;
  payload: string;
  status: string;
  attempts: number;
  next_attempt_at: number;
  window_start: number;
  claimed_until: number | null;
  claim_token: string | null;
  last_attempt_at: number | null;
  created_at: number;
}

export interface WebhookAttemptsTable {
  id: string;
  message_id: string;
  endpoint_id: string;
  at: number;
  status_code: number | null;
  error: string | null;
  duration_ms: number;
}

export interface WebhooksDatabase {
  webhook_endpoints: WebhookEndpointsTable;
  webhook_messages: WebhookMessagesTable;
  webhook_attempts: WebhookAttemptsTable;
}
