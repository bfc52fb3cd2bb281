// Row shapes as the database holds them: times as integer milliseconds, booleans as 0/1,
// JSON as text — one representation both SQLite and PostgreSQL store and compare alike.
import type { ColumnType, Generated } from 'kysely';
import type { IdempotencyDatabase } from './idempotency-tables.js';
import type { MembersDatabase } from './members-tables.js';
import type { OAuthDatabase } from './oauth-tables.js';
import type { UsageDatabase } from './usage-tables.js';
import type { WebhooksDatabase } from './webhooks-tables.js';

export interface ConsumersTable {
  id: string;
  name: string;
  metadata: string;
  scopes: string;
  enabled: number;
  rate_limit: string | null;
  quota: string | null;
  allowed_ips: string | null;
  key_policy: string | null;
  created_at: number;
  updated_at: number;
}

export interface ConsumerExternalIdsTable {
  external_id: string;
  consumer_id: string;
}

export interface ApiKeysTable {
  id: string;
  consumer_id: string;
  name: string;
  hash: string;
  masked: string;
  scopes: string;
  metadata: string;
  expires_at: number | null;
  enabled: number;
  revoked_at: number | null;
  last_used_at: number | null;
  rate_limit: string | null;
  quota: string | null;
  allowed_ips: string | null;
  expiry_warned_for: number | null;
  expired_noted_for: number | null;
  created_at: number;
  updated_at: number;
  /** `portcullis`, or `foreign` for a key imported as the SHA-256 of another system's key (migration 0011). */
  format: Generated<string>;
  /** The id an import gave the key (migration 0011); null for keys made here. */
  external_id: ColumnType<string | null, string | null | undefined, string | null>;
}

export interface AuditEventsTable {
  id: string;
  at: number;
  actor: string;
  action: string;
  target_type: string;
  target_id: string;
  source_ip: string | null;
  details: string;
}

export interface LeasesTable {
  name: string;
  holder: string;
  expires_at: number;
}

export interface Database extends OAuthDatabase, UsageDatabase, IdempotencyDatabase, MembersDatabase, WebhooksDatabase {
  consumers: ConsumersTable;
  consumer_external_ids: ConsumerExternalIdsTable;
  api_keys: ApiKeysTable;
  audit_events: AuditEventsTable;
  leases: LeasesTable;
}
