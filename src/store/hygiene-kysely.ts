// The HygieneStore methods over Kysely, spread into the one Store implementation (kysely-store.ts).
// Every write is one conditional statement, so two nodes running the same step record each event once.
import { type Kysely, sql } from 'kysely';
import type { HygieneKeyRecord, HygienePage, HygieneStore } from './hygiene-types.js';
import type { Database } from './tables.js';

const nullableNumber = (value: number | null) => (value === null ? null : Number(value));
/**
 * What "unused for N days" counts from: the key's last use or its last change (creation, an operator
 * enabling it again), whichever is later. CASE rather than max()/greatest(), which the dialects spell apart.
 */
const activityOf = (table: 'k.' | '') =>
  sql<number>`case when ${sql.raw(`${table}last_used_at`)} > ${sql.raw(`${table}updated_at`)} then ${sql.raw(`${table}last_used_at`)} else ${sql.raw(`${table}updated_at`)} end`;

interface Row {
  id: string;
  consumer_id: string;
  hash: string;
  masked: string;
  expires_at: number | null;
  last_used_at: number | null;
  created_at: number;
  updated_at: number;
  scopes: string;
  key_policy: string | null;
}

function toHygieneKey(row: Row): HygieneKeyRecord {
  return {
    id: row.id,
    consumerId: row.consumer_id,
    hash: row.hash,
    masked: row.masked,
    expiresAt: nullableNumber(row.expires_at),
    lastUsedAt: nullableNumber(row.last_used_at),
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
    keyPolicy: row.key_policy === null || row.key_policy === undefined ? null : JSON.parse(row.key_policy),
    scopes: JSON.parse(row.scopes),
  };
}

export function createHygieneStoreMethods(db: Kysely<Database>): HygieneStore {
  function liveKeys(page: HygienePage) {
    let query = db
      .selectFrom('api_keys as k')
      .innerJoin('consumers as c', 'c.id', 'k.consumer_id')
      .select(['k.id', 'k.consumer_id', 'k.hash', 'k.masked', 'k.expires_at', 'k.last_used_at', 'k.created_at', 'k.updated_at', 'k.scopes', 'c.key_policy'])
      .where('k.revoked_at', 'is', null)
      .orderBy('k.id')
      .limit(page.limit);
    if (page.after !== undefined) query = query.where('k.id', '>', page.after);
    return query;
  }

  /** Marks `column` with the key's current expiry; false when it held it already (or the expiry changed). */
  async function markOnce(column: 'expiry_warned_for' | 'expired_noted_for', keyId: string, expiresAt: number): Promise<boolean> {
    const result = await db
      .updateTable('api_keys')
      .set({ [column]: expiresAt })
      .where('id', '=', keyId)
      .where('expires_at', '=', expiresAt)
      .where((eb) => eb.or([eb(column, 'is', null), eb(column, '!=', expiresAt)]))
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  return {
    async tryAcquireLease(name, holder, ttlMs, now) {
      const result = await db
        .insertInto('leases')
        .values({ name, holder, expires_at: now + ttlMs })
        .onConflict((oc) =>
          oc
            .column('name')
            .doUpdateSet({ holder, expires_at: now + ttlMs })
            .where((eb) => eb.or([eb('leases.expires_at', '<=', now), eb('leases.holder', '=', holder)])),
        )
        .executeTakeFirst();
      return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
    },

    async releaseLease(name, holder) {
      await db.deleteFrom('leases').where('name', '=', name).where('holder', '=', holder).execute();
    },

    async listKeyPolicies() {
      const rows = await db.selectFrom('consumers').select('key_policy').where('key_policy', 'is not', null).execute();
      return rows.map((r) => JSON.parse(r.key_policy!));
    },

    async listKeysToWarn(now, until, page) {
      const rows = await liveKeys(page)
        .where('k.expires_at', '>', now)
        .where('k.expires_at', '<=', until)
        .where((eb) => eb.or([eb('k.expiry_warned_for', 'is', null), eb('k.expiry_warned_for', '!=', eb.ref('k.expires_at'))]))
        .execute();
      return rows.map(toHygieneKey);
    },

    markExpiryWarned: (keyId, expiresAt) => markOnce('expiry_warned_for', keyId, expiresAt),

    async listKeysExpiredUnnoted(now, page) {
      const rows = await liveKeys(page)
        .where('k.expires_at', '<=', now)
        .where((eb) => eb.or([eb('k.expired_noted_for', 'is', null), eb('k.expired_noted_for', '!=', eb.ref('k.expires_at'))]))
        .execute();
      return rows.map(toHygieneKey);
    },

    markExpiredNoted: (keyId, expiresAt) => markOnce('expired_noted_for', keyId, expiresAt),

    async listKeysUnusedSince(before, now, page) {
      const rows = await liveKeys(page)
        .where('k.enabled', '=', 1)
        .where((eb) => eb.or([eb('k.expires_at', 'is', null), eb('k.expires_at', '>', now)]))
        .where(activityOf('k.'), '<', before)
        .execute();
      return rows.map(toHygieneKey);
    },

    async disableKeyUnusedSince(keyId, before, now) {
      const result = await db
        .updateTable('api_keys')
        .set({ enabled: 0, updated_at: now })
        .where('id', '=', keyId)
        .where('enabled', '=', 1)
        .where('revoked_at', 'is', null)
        .where(activityOf(''), '<', before)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) > 0;
    },
  };
}
