// The webhook part of the Store port: endpoints, the outbox of messages (one row per endpoint and
// event, written in the same transaction as the change), and the log of delivery attempts. Composed into `Store`.
import type { Page, PageRequest } from './records.js';

/** A signing secret at rest: sealed under the master key (src/lib/seal.ts), never stored in plaintext. */
export interface WebhookSecretRecord {
  id: string;
  sealed: string;
  createdAt: number;
  /** Set on the old secrets when the secret is rolled: they sign alongside the new one until then. */
  expiresAt: number | null;
}

export interface WebhookEndpointRecord {
  id: string;
  /** Null for an operator's endpoint, which receives every consumer's events. */
  consumerId: string | null;
  url: string;
  description: string;
  events: string[];
  enabled: boolean;
  allowPrivateNetworks: boolean;
  secrets: WebhookSecretRecord[];
  /** Failed attempts in a row; reset by a success. */
  consecutiveFailures: number;
  /** Why Portcullis disabled the endpoint (null when enabled, or disabled by a person). */
  disabledReason: string | null;
  createdAt: number;
  updatedAt: number;
}

export type WebhookEndpointPatch = Partial<
  Pick<WebhookEndpointRecord, 'url' | 'description' | 'events' | 'enabled' | 'allowPrivateNetworks' | 'secrets' | 'consecutiveFailures' | 'disabledReason'>
> & { updatedAt: number };

/** `pending`: to be sent at `nextAttemptAt`; `delivered`: a 2xx came back; `failed`: retries used up. */
export type WebhookMessageStatus = 'pending' | 'delivered' | 'failed';

export interface WebhookMessageRecord {
  id: string;
  endpointId: string;
  eventType: string;
  /** The JSON body as sent, byte for byte (its signature covers these bytes). */
  payload: string;
  status: WebhookMessageStatus;
  attempts: number;
  nextAttemptAt: number;
  /** Retries stop `retryWindow` after this: the message's creation, or its last manual retry. */
  windowStart: number;
  claimedUntil: number | null;
  lastAttemptAt: number | null;
  createdAt: number;
}

export interface WebhookAttemptRecord {
  id: string;
  messageId: string;
  endpointId: string;
  at: number;
  statusCode: number | null;
  error: string | null;
  durationMs: number;
}

/** What the outbox writer needs of every enabled endpoint to route an event. */
export type WebhookSubscription = Pick<WebhookEndpointRecord, 'id' | 'consumerId' | 'events'>;

/** A claimed message, with what sending it needs of its endpoint. */
export interface ClaimedWebhookMessage {
  message: WebhookMessageRecord;
  endpoint: WebhookEndpointRecord;
}

export type WebhookAttemptOutcome = { status: 'delivered' } | { status: 'pending'; nextAttemptAt: number } | { status: 'failed' };

export interface WebhooksStore {
  insertWebhookEndpoint(endpoint: WebhookEndpointRecord): Promise<void>;
  getWebhookEndpoint(id: string): Promise<WebhookEndpointRecord | undefined>;
  /** `consumerId` undefined: every endpoint; null: operators' endpoints only; a string: that consumer's. */
  listWebhookEndpoints(filter: PageRequest & { consumerId?: string | null | undefined }): Promise<Page<WebhookEndpointRecord>>;
  updateWebhookEndpoint(id: string, patch: WebhookEndpointPatch): Promise<WebhookEndpointRecord | undefined>;
  /** Deletes the endpoint with its messages and their attempts. */
  deleteWebhookEndpoint(id: string): Promise<boolean>;
  /** Every enabled endpoint's id, consumer and events: one indexed read per recorded change that maps to an event. */
  listWebhookSubscriptions(): Promise<WebhookSubscription[]>;

  insertWebhookMessages(messages: readonly WebhookMessageRecord[]): Promise<void>;
  /**
   * Claims up to `limit` due messages of enabled endpoints until `leaseUntil`, atomically (PostgreSQL:
   * `FOR UPDATE SKIP LOCKED`; SQLite: one UPDATE … RETURNING): two workers never hold the same message,
   * and a message whose claimer died is claimable again once its lease has passed.
   */
  claimWebhookMessages(input: { now: number; leaseUntil: number; claimToken: string; limit: number }): Promise<ClaimedWebhookMessage[]>;
  /**
   * Records an attempt and its outcome, fenced by the claim token (false: the claim was lost, nothing
   * written). Counts the endpoint's consecutive failures (reset on delivery) and returns the count.
   */
  finishWebhookAttempt(input: {
    claimToken: string;
    attempt: WebhookAttemptRecord;
    outcome: WebhookAttemptOutcome;
  }): Promise<{ recorded: boolean; consecutiveFailures: number }>;
  getWebhookMessage(id: string): Promise<WebhookMessageRecord | undefined>;
  /** Newest first. */
  listWebhookMessages(endpointId: string, page: PageRequest): Promise<Page<WebhookMessageRecord>>;
  /** Attempts of these messages, oldest first. */
  listWebhookAttempts(messageIds: readonly string[]): Promise<WebhookAttemptRecord[]>;
  /** Deletes delivered and failed messages created before `time`, with their attempts; the number deleted. */
  deleteWebhookMessagesBefore(time: number): Promise<number>;
  /** A manual redelivery: the message is due now with a fresh retry window (and any claim dropped). */
  retryWebhookMessage(id: string, now: number): Promise<WebhookMessageRecord | undefined>;
}
