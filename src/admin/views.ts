// Records → the JSON the admin API (and the portal, which answers in the same shapes) returns: ISO
// times, masked keys, never a hash.

import { PortcullisError } from '../errors/codes.js';
import type { VerifyResult } from '../keys/verify-result.js';
import type { LeakOutcome } from '../leaks/service.js';
import type { QuotaStatus } from '../limits/quota-status.js';
import type { ClientSecretRecord, OAuthClientRecord, SigningKeyRecord } from '../store/oauth-types.js';
import type { AuditEventRecord, ConsumerRecord, KeyRecord } from '../store/types.js';
import type { ClientJwks } from './oauth-schemas.js';

const iso = (ms: number) => new Date(ms).toISOString();
const isoOrNull = (ms: number | null) => (ms === null ? null : iso(ms));

export function consumerView(c: ConsumerRecord) {
  return {
    id: c.id,
    name: c.name,
    metadata: c.metadata,
    scopes: c.scopes,
    enabled: c.enabled,
    externalIds: c.externalIds,
    rateLimit: c.rateLimit,
    quota: c.quota,
    allowedIps: c.allowedIps,
    keyPolicy: c.keyPolicy,
    createdAt: iso(c.createdAt),
    updatedAt: iso(c.updatedAt),
  };
}

export function keyView(k: KeyRecord) {
  return {
    id: k.id,
    consumerId: k.consumerId,
    name: k.name,
    masked: k.masked,
    scopes: k.scopes,
    metadata: k.metadata,
    expiresAt: isoOrNull(k.expiresAt),
    enabled: k.enabled,
    revokedAt: isoOrNull(k.revokedAt),
    lastUsedAt: isoOrNull(k.lastUsedAt),
    rateLimit: k.rateLimit,
    quota: k.quota,
    allowedIps: k.allowedIps,
    createdAt: iso(k.createdAt),
    updatedAt: iso(k.updatedAt),
  };
}

export function secretView(s: ClientSecretRecord) {
  return { id: s.id, masked: s.masked, expiresAt: isoOrNull(s.expiresAt), createdAt: iso(s.createdAt) };
}

/** A client as the admin API shows it: never a secret hash. */
export function clientView(c: OAuthClientRecord, secrets?: ClientSecretRecord[]) {
  return {
    clientId: c.id,
    consumerId: c.consumerId,
    name: c.name,
    scopes: c.scopes,
    audiences: c.audiences,
    tokenTtlSeconds: c.tokenTtlSeconds,
    authMethod: c.authMethods.length === 1 ? c.authMethods[0]! : null,
    authMethods: c.authMethods,
    // Stored only after the create/update schema accepted it.
    jwks: c.jwks as ClientJwks | null,
    enabled: c.enabled,
    tokensRevokedBefore: isoOrNull(c.tokensRevokedBefore),
    rateLimit: c.rateLimit,
    quota: c.quota,
    allowedIps: c.allowedIps,
    ...(secrets ? { secrets: secrets.map(secretView) } : {}),
    createdAt: iso(c.createdAt),
    updatedAt: iso(c.updatedAt),
  };
}

export function signingKeyView(k: SigningKeyRecord & { state: 'pending' | 'active' | 'retired' }) {
  return {
    kid: k.id,
    alg: k.alg,
    state: k.state,
    createdAt: iso(k.createdAt),
    activatesAt: iso(k.activatesAt),
    retiresAt: isoOrNull(k.retiresAt),
    removeAfter: isoOrNull(k.removeAfter),
  };
}

export function auditEventView(e: AuditEventRecord) {
  return { ...e, at: iso(e.at) };
}

export function verifyView(r: VerifyResult & { quotas?: { consumer?: QuotaStatus; key?: QuotaStatus } }) {
  const { expiresAt, limits: _internal, allowlist: _compiled, ...rest } = r;
  return expiresAt === undefined ? rest : { ...rest, expiresAt: isoOrNull(expiresAt) };
}

/** ISO time or null from the API → milliseconds; undefined stays undefined. */
export function parseTime(value: string | null): number | null;
export function parseTime(value: string | null | undefined): number | null | undefined;
export function parseTime(value: string | null | undefined): number | null | undefined {
  if (value === undefined || value === null) return value;
  const ms = Date.parse(value);
  if (!Number.isFinite(ms)) throw new PortcullisError('INVALID_TIME', `not a valid time: ${value.slice(0, 40)}`);
  return ms;
}

/** What a leak report did to one key, in the admin API's shape. */
export function leakView(outcome: LeakOutcome) {
  if (!outcome.found) return { found: false, policyApplied: 'none' as const };
  const { keyId, consumerId, masked, state, applied } = outcome;
  return { found: true, keyId, consumerId, masked, state, policyApplied: applied };
}
