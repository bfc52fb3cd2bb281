// The Store port: what the domain needs from persistence, in domain terms. Adapters (SQLite,
// PostgreSQL) implement it over one Kysely query layer; one contract suite tests both.
import type { HygieneStore } from './hygiene-types.js';
import type { IdempotencyStore } from './idempotency-types.js';
import type { ImportsStore } from './imports-types.js';
import type { MembersStore } from './members-types.js';
import type { OAuthStore } from './oauth-types.js';
import type { AuditEventRecord, ConsumerRecord, KeyRecord, Page, PageRequest } from './records.js';
import type { UsageStore } from './usage-types.js';
import type { WebhooksStore } from './webhooks-types.js';

export type { JsonObject } from '../lib/json.js';
export type { AuditEventRecord, ConsumerRecord, KeyFormat, KeyPolicy, KeyRecord, Page, PageRequest, QuotaPolicy, RateLimitPolicy } from './records.js';

/** `storeTimeout`'s default: how long a store call may take before it fails with 503. */
export const DEFAULT_STORE_TIMEOUT_MS = 2000;

/** The embedded default, relative to the folder Portcullis starts in. */
export const DEFAULT_STORE = 'sqlite:./.portcullis/portcullis.db';

/** A consumer without its external ids: what key verification needs. */
export type ConsumerSummary = Omit<ConsumerRecord, 'externalIds'>;

/** What verification needs of a key and its consumer: the answer of the hot-path lookup, nothing more. */
export interface KeyVerificationRecord {
  key: Pick<KeyRecord, 'id' | 'consumerId' | 'scopes' | 'metadata' | 'expiresAt' | 'enabled' | 'revokedAt' | 'rateLimit' | 'quota' | 'allowedIps'>;
  consumer: Pick<ConsumerSummary, 'id' | 'name' | 'metadata' | 'scopes' | 'enabled' | 'rateLimit' | 'quota' | 'allowedIps' | 'updatedAt'>;
}

export interface AuditFilter extends PageRequest {
  actor?: string | undefined;
  action?: string | undefined;
  targetType?: string | undefined;
  targetId?: string | undefined;
  from?: number | undefined;
  to?: number | undefined;
  /**
   * Only the consumer's trail: events on the consumer itself and on its current keys and clients (a
   * deleted client's events stay in the global trail only).
   */
  consumerId?: string | undefined;
}

export interface ConsumerFilter extends PageRequest {
  /** Consumers whose id is this text, or whose name contains it (case-insensitive for ASCII letters). */
  search?: string | undefined;
}

export type ConsumerPatch = Partial<
  Pick<ConsumerRecord, 'name' | 'metadata' | 'scopes' | 'enabled' | 'externalIds' | 'rateLimit' | 'quota' | 'allowedIps' | 'keyPolicy'>
> & {
  updatedAt: number;
};
export type KeyPatch = Partial<
  Pick<KeyRecord, 'name' | 'scopes' | 'metadata' | 'expiresAt' | 'enabled' | 'revokedAt' | 'rateLimit' | 'quota' | 'allowedIps'>
> & {
  updatedAt: number;
};

export interface StoreStats {
  /** Statements sent to the database since the store opened. */
  queries: number;
}

export interface Store extends OAuthStore, UsageStore, IdempotencyStore, MembersStore, ImportsStore, HygieneStore, WebhooksStore {
  readonly kind: 'sqlite' | 'postgres';
  readonly stats: StoreStats;
  migrate(): Promise<string[]>;
  ping(): Promise<void>;
  close(): Promise<void>;
  /** Runs `work` atomically; the store passed to it is bound to the transaction. */
  transaction<T>(work: (store: Store) => Promise<T>): Promise<T>;

  insertConsumer(consumer: ConsumerRecord): Promise<void>;
  getConsumer(id: string): Promise<ConsumerRecord | undefined>;
  findConsumerByName(name: string): Promise<ConsumerRecord | undefined>;
  findConsumerByExternalId(externalId: string): Promise<ConsumerRecord | undefined>;
  listConsumers(filter: ConsumerFilter): Promise<Page<ConsumerRecord>>;
  updateConsumer(id: string, patch: ConsumerPatch): Promise<ConsumerRecord | undefined>;
  deleteConsumer(id: string): Promise<boolean>;

  insertKey(key: KeyRecord): Promise<void>;
  getKey(id: string): Promise<KeyRecord | undefined>;
  /** The hot path of verification: one query joining the key to its consumer, reading only what verification needs. */
  findKeyByHash(hash: string): Promise<KeyVerificationRecord | undefined>;
  listKeys(consumerId: string, page: PageRequest): Promise<Page<KeyRecord>>;
  listKeyHashesOfConsumer(consumerId: string): Promise<string[]>;
  updateKey(id: string, patch: KeyPatch): Promise<KeyRecord | undefined>;
  /** Writes last-used times in one batch; never moves a time backwards. */
  recordKeyUsage(entries: ReadonlyArray<{ id: string; lastUsedAt: number }>): Promise<void>;

  insertAuditEvent(event: AuditEventRecord): Promise<void>;
  /** Newest first. */
  listAuditEvents(filter: AuditFilter): Promise<Page<AuditEventRecord>>;
  /** Targets (type and id) of audit events recorded at or after `since`, with the event's id: what other nodes changed. */
  listChangedTargetsSince(since: number, targetTypes: readonly string[]): Promise<Array<{ eventId: string; type: string; id: string }>>;
  /** The hashes of the keys with these ids (ids of deleted keys are skipped). */
  listKeyHashes(ids: readonly string[]): Promise<string[]>;
}
