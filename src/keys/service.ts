// API key lifecycle: create, change, revoke, roll. The plaintext exists only in the value returned
// by create and roll; the store gets its SHA-256 and a masked form.
import type { Actor, AuditLog } from '../audit/log.js';
import { PortcullisError } from '../errors/codes.js';
import { expiryWithinLifetime, type HygieneRules, rulesFor } from '../hygiene/policy.js';
import type { Clock } from '../lib/clock.js';
import { decodeCursor, encodeCursor } from '../lib/cursor.js';
import { newId } from '../lib/ids.js';
import { normaliseAllowedIps } from '../lib/ip-allowlist.js';
import { checkMetadata, uniqueStrings } from '../lib/validate.js';
import type { ConsumerRecord, JsonObject, KeyRecord, Page, QuotaPolicy, RateLimitPolicy, Store } from '../store/types.js';
import type { KeyCache } from './cache.js';
import { generateKey, hashKey, maskKey } from './format.js';

export interface KeyInput {
  name?: string;
  scopes?: string[];
  metadata?: JsonObject;
  /** Milliseconds since the epoch; null = never. */
  expiresAt?: number | null;
  enabled?: boolean;
  rateLimit?: RateLimitPolicy | null;
  quota?: QuotaPolicy | null;
  /** Addresses and CIDR blocks the key may be used from; empty = any (normalised here). */
  allowedIps?: string[];
}

export interface IssuedKey {
  key: string;
  record: KeyRecord;
}

export interface KeyServiceDeps {
  store: Store;
  clock: Clock;
  audit: AuditLog;
  cache: KeyCache;
  prefix: string;
  /** The global key hygiene rules (config `hygiene`); a consumer's keyPolicy overrides them. None by default. */
  hygiene?: HygieneRules;
}

const NO_RULES: HygieneRules = { maxKeyLifetimeMs: null, warnBeforeExpiryMs: null, disableUnusedAfterMs: null };

export const MAX_ROLL_OVERLAP_SECONDS = 366 * 86_400;

export function createKeyService({ store, clock, audit, cache, prefix, hygiene = NO_RULES }: KeyServiceDeps) {
  function checkScopes(scopes: string[], consumer: ConsumerRecord): string[] {
    const allowed = new Set(consumer.scopes);
    const extra = scopes.filter((s) => !allowed.has(s));
    if (extra.length > 0) {
      throw new PortcullisError('SCOPES_NOT_ALLOWED', `consumer ${consumer.id} does not allow: ${extra.join(', ')}`, {
        scopes: extra,
      });
    }
    return uniqueStrings(scopes);
  }

  async function consumerOf(tx: Store, consumerId: string): Promise<ConsumerRecord> {
    const consumer = await tx.getConsumer(consumerId);
    if (!consumer) throw new PortcullisError('CONSUMER_NOT_FOUND', `no consumer ${consumerId}`);
    return consumer;
  }

  async function keyOf(tx: Store, keyId: string): Promise<KeyRecord> {
    const key = await tx.getKey(keyId);
    if (!key) throw new PortcullisError('KEY_NOT_FOUND', `no key ${keyId}`);
    return key;
  }

  function mint(consumer: ConsumerRecord, input: KeyInput, now: number): IssuedKey {
    const key = generateKey(prefix);
    const record: KeyRecord = {
      id: newId('key', now),
      consumerId: consumer.id,
      name: input.name ?? '',
      hash: hashKey(key),
      masked: maskKey(key, prefix),
      scopes: checkScopes(input.scopes ?? consumer.scopes, consumer),
      metadata: checkMetadata(input.metadata ?? {}),
      expiresAt: expiryWithinLifetime(rulesFor(hygiene, consumer.keyPolicy), now, input.expiresAt),
      enabled: input.enabled ?? true,
      revokedAt: null,
      lastUsedAt: null,
      rateLimit: input.rateLimit ?? null,
      quota: input.quota ?? null,
      allowedIps: normaliseAllowedIps(input.allowedIps ?? []),
      createdAt: now,
      updatedAt: now,
    };
    return { key, record };
  }

  return {
    async create(consumerId: string, input: KeyInput, actor: Actor): Promise<IssuedKey> {
      const issued = await store.transaction(async (tx) => {
        const consumer = await consumerOf(tx, consumerId);
        const minted = mint(consumer, input, clock.now());
        await tx.insertKey(minted.record);
        await audit.record(
          tx,
          actor,
          'key.created',
          { type: 'key', id: minted.record.id },
          {
            consumerId,
            masked: minted.record.masked,
          },
        );
        return minted;
      });
      cache.delete(issued.record.hash); // a negative entry may exist for this hash
      return issued;
    },

    async get(keyId: string): Promise<KeyRecord> {
      return keyOf(store, keyId);
    },

    async list(consumerId: string, cursor: string | undefined, limit: number): Promise<Page<KeyRecord>> {
      await consumerOf(store, consumerId);
      const result = await store.listKeys(consumerId, { after: decodeCursor(cursor), limit });
      return { items: result.items, nextCursor: encodeCursor(result.nextCursor) };
    },

    async update(keyId: string, input: KeyInput, actor: Actor): Promise<KeyRecord> {
      const updated = await store.transaction(async (tx) => {
        const key = await keyOf(tx, keyId);
        if (key.revokedAt !== null) throw new PortcullisError('KEY_REVOKED', `key ${keyId} is revoked`);
        const needsConsumer = input.scopes !== undefined || input.expiresAt !== undefined;
        const consumer = needsConsumer ? await consumerOf(tx, key.consumerId) : undefined;
        const scopes = input.scopes ? checkScopes(input.scopes, consumer!) : undefined;
        if (input.metadata !== undefined) checkMetadata(input.metadata);
        // A key's lifetime counts from its creation: moving its expiry never outlasts the maximum.
        const expiresAt =
          input.expiresAt !== undefined ? expiryWithinLifetime(rulesFor(hygiene, consumer!.keyPolicy), key.createdAt, input.expiresAt) : undefined;
        const allowedIps = input.allowedIps !== undefined ? normaliseAllowedIps(input.allowedIps) : undefined;
        const result = await tx.updateKey(keyId, {
          ...input,
          ...(scopes ? { scopes } : {}),
          ...(expiresAt !== undefined ? { expiresAt } : {}),
          ...(allowedIps ? { allowedIps } : {}),
          updatedAt: clock.now(),
        });
        await audit.record(tx, actor, 'key.updated', { type: 'key', id: keyId }, { fields: Object.keys(input).sort() });
        return result!;
      });
      cache.delete(updated.hash);
      return updated;
    },

    async revoke(keyId: string, actor: Actor): Promise<KeyRecord> {
      const revoked = await store.transaction(async (tx) => {
        const key = await keyOf(tx, keyId);
        if (key.revokedAt !== null) return key;
        const now = clock.now();
        const result = await tx.updateKey(keyId, { revokedAt: now, updatedAt: now });
        await audit.record(tx, actor, 'key.revoked', { type: 'key', id: keyId }, { masked: key.masked });
        return result!;
      });
      cache.delete(revoked.hash);
      return revoked;
    },

    /**
     * A new key with the old one's name, scopes, metadata and state; the old key expires after
     * `expireOldInSeconds` (0 = now). Rolling never extends an old key's expiry.
     */
    async roll(
      keyId: string,
      { expireOldInSeconds, expiresAt }: { expireOldInSeconds: number; expiresAt?: number | null },
      actor: Actor,
    ): Promise<{ issued: IssuedKey; old: KeyRecord }> {
      if (!Number.isInteger(expireOldInSeconds) || expireOldInSeconds < 0 || expireOldInSeconds > MAX_ROLL_OVERLAP_SECONDS) {
        throw new PortcullisError('VALIDATION_FAILED', `expireOldInSeconds must be an integer from 0 to ${MAX_ROLL_OVERLAP_SECONDS}`);
      }
      const result = await store.transaction(async (tx) => {
        const old = await keyOf(tx, keyId);
        if (old.revokedAt !== null) throw new PortcullisError('KEY_REVOKED', `key ${keyId} is revoked`);
        const consumer = await consumerOf(tx, old.consumerId);
        const now = clock.now();
        const overlapEnd = now + expireOldInSeconds * 1000;
        const oldExpiresAt = old.expiresAt === null ? overlapEnd : Math.min(old.expiresAt, overlapEnd);
        const issued = mint(
          consumer,
          {
            name: old.name,
            scopes: old.scopes.filter((s) => consumer.scopes.includes(s)),
            metadata: old.metadata,
            enabled: old.enabled,
            rateLimit: old.rateLimit,
            quota: old.quota,
            allowedIps: old.allowedIps,
            ...(expiresAt !== undefined ? { expiresAt } : {}),
          },
          now,
        );
        await tx.insertKey(issued.record);
        const updatedOld = await tx.updateKey(keyId, { expiresAt: oldExpiresAt, updatedAt: now });
        await audit.record(
          tx,
          actor,
          'key.rolled',
          { type: 'key', id: keyId },
          {
            newKeyId: issued.record.id,
            oldExpiresAt,
            masked: issued.record.masked,
          },
        );
        return { issued, old: updatedOld! };
      });
      cache.delete(result.old.hash);
      cache.delete(result.issued.record.hash);
      return result;
    },
  };
}

export type KeyService = ReturnType<typeof createKeyService>;
