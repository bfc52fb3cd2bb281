// Records → the rows the tables hold, for the writes that insert them one at a time (kysely-store.ts,
// oauth-kysely.ts) and in batches (imports-kysely.ts).
import type { Insertable } from 'kysely';
import type { OAuthClientsTable } from './oauth-tables.js';
import type { OAuthClientRecord } from './oauth-types.js';
import type { ApiKeysTable, AuditEventsTable, ConsumersTable } from './tables.js';
import type { AuditEventRecord, ConsumerRecord, KeyRecord } from './types.js';

/** Ids one `in (…)` list names at most (SQLite allows 32,766 parameters a statement). */
export const IN_LIST_SLICE = 500;

const json = (value: unknown) => JSON.stringify(value);
const jsonOrNull = (value: unknown) => (value === null || value === undefined ? null : JSON.stringify(value));
/** An allowlist: empty (any address) is stored as null. */
export const ipsOrNull = (ips: readonly string[]) => (ips.length === 0 ? null : JSON.stringify(ips));

export function consumerRow(c: ConsumerRecord): Insertable<ConsumersTable> {
  return {
    id: c.id,
    name: c.name,
    metadata: json(c.metadata),
    scopes: json(c.scopes),
    enabled: c.enabled ? 1 : 0,
    rate_limit: jsonOrNull(c.rateLimit),
    quota: jsonOrNull(c.quota),
    allowed_ips: ipsOrNull(c.allowedIps),
    key_policy: jsonOrNull(c.keyPolicy),
    created_at: c.createdAt,
    updated_at: c.updatedAt,
  };
}

export function keyRow(k: KeyRecord): Insertable<ApiKeysTable> {
  return {
    id: k.id,
    consumer_id: k.consumerId,
    name: k.name,
    hash: k.hash,
    masked: k.masked,
    scopes: json(k.scopes),
    metadata: json(k.metadata),
    expires_at: k.expiresAt,
    enabled: k.enabled ? 1 : 0,
    revoked_at: k.revokedAt,
    last_used_at: k.lastUsedAt,
    rate_limit: jsonOrNull(k.rateLimit),
    quota: jsonOrNull(k.quota),
    allowed_ips: ipsOrNull(k.allowedIps),
    created_at: k.createdAt,
    updated_at: k.updatedAt,
    format: k.format ?? 'portcullis',
    external_id: k.externalId ?? null,
  };
}

export function clientRow(c: OAuthClientRecord): Insertable<OAuthClientsTable> {
  return {
    id: c.id,
    consumer_id: c.consumerId,
    name: c.name,
    scopes: json(c.scopes),
    audiences: json(c.audiences),
    token_ttl_seconds: c.tokenTtlSeconds,
    auth_method: c.authMethods.join(' '),
    jwks: c.jwks === null ? null : json(c.jwks),
    enabled: c.enabled ? 1 : 0,
    tokens_revoked_before: c.tokensRevokedBefore,
    rate_limit: c.rateLimit === null ? null : json(c.rateLimit),
    quota: c.quota === null ? null : json(c.quota),
    allowed_ips: ipsOrNull(c.allowedIps),
    created_at: c.createdAt,
    updated_at: c.updatedAt,
    external_id: c.externalId ?? null,
  };
}

export function auditRow(e: AuditEventRecord): Insertable<AuditEventsTable> {
  return {
    id: e.id,
    at: e.at,
    actor: e.actor,
    action: e.action,
    target_type: e.targetType,
    target_id: e.targetId,
    source_ip: e.sourceIp,
    details: json(e.details),
  };
}
