// The records the store's ports share (consumers, their limits, pages of a listing): their own module,
// so that each port (types.ts, oauth-types.ts, …) names them without importing another port.
import type { JsonObject } from '../lib/json.js';

/** A rate limit: at most `limit` requests per sliding `window` (a duration such as "1m"). */
export interface RateLimitPolicy {
  limit: number;
  window: string;
  /** What the limit counts by; on a consumer the default is `consumer`, on a key or client `credential`. */
  by?: 'consumer' | 'credential' | 'ip' | 'route';
}

/** Usage credits: at most `limit` requests per UTC day, per UTC month, or in total. */
export interface QuotaPolicy {
  limit: number;
  period: 'day' | 'month' | 'total';
}

/**
 * A consumer's key hygiene, each field overriding the global `hygiene` setting of the same name
 * (durations such as "90d"; "0s" turns the rule off for this consumer; absent = the global one).
 */
export interface KeyPolicy {
  maxKeyLifetime?: string;
  warnBeforeExpiry?: string;
  disableUnusedAfter?: string;
}

export interface ConsumerRecord {
  id: string;
  name: string;
  metadata: JsonObject;
  scopes: string[];
  enabled: boolean;
  externalIds: string[];
  rateLimit: RateLimitPolicy | null;
  quota: QuotaPolicy | null;
  /** Addresses and CIDR blocks its credentials may be used from (src/lib/ip-allowlist.ts); empty = any. */
  allowedIps: string[];
  keyPolicy: KeyPolicy | null;
  createdAt: number;
  updatedAt: number;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface PageRequest {
  /** Exclusive: items strictly after this id in the listing order. */
  after?: string | undefined;
  limit: number;
}

export interface KeyRecord {
  id: string;
  consumerId: string;
  name: string;
  hash: string;
  masked: string;
  scopes: string[];
  metadata: JsonObject;
  expiresAt: number | null;
  enabled: boolean;
  revokedAt: number | null;
  lastUsedAt: number | null;
  rateLimit: RateLimitPolicy | null;
  quota: QuotaPolicy | null;
  /** Addresses and CIDR blocks the key may be used from (src/lib/ip-allowlist.ts); empty = any. */
  allowedIps: string[];
  createdAt: number;
  updatedAt: number;
  /** `foreign`: the SHA-256 of another system's key, imported as it is (src/imports); absent = `portcullis`. */
  format?: KeyFormat;
  /** The id an import gave the key; absent or null for keys made here. */
  externalId?: string | null;
}

/** Our own format (`<prefix>_…` with a checksum), or a key imported from another system as its SHA-256. */
export type KeyFormat = 'portcullis' | 'foreign';

export interface AuditEventRecord {
  id: string;
  at: number;
  actor: string;
  action: string;
  targetType: string;
  targetId: string;
  sourceIp: string | null;
  details: JsonObject;
}
