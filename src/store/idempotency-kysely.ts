// The IdempotencyStore methods over Kysely, spread into the one Store implementation (kysely-store.ts).
import type { Kysely, Selectable } from 'kysely';
import { atomically } from './atomically.js';
import type { IdempotencyKeysTable } from './idempotency-tables.js';
import type { IdempotencyRecord, IdempotencyState, IdempotencyStore, IdempotentWrite } from './idempotency-types.js';
import type { Database } from './tables.js';

function toRecord(row: Selectable<IdempotencyKeysTable>): IdempotencyRecord {
  return {
    scope: row.scope,
    keyHash: row.key_hash,
    fingerprint: row.fingerprint,
    state: row.state as IdempotencyState,
    claimToken: row.claim_token,
    lockedUntil: Number(row.locked_until),
    expiresAt: Number(row.expires_at),
    createdAt: Number(row.created_at),
    response:
      row.response_status === null || row.response_body === null
        ? null
        : { status: Number(row.response_status), contentType: row.response_type, body: row.response_body },
    target: row.target_type === null || row.target_id === null ? null : { type: row.target_type, id: row.target_id },
  };
}

export function createIdempotencyStoreMethods(db: Kysely<Database>): IdempotencyStore {
  const ofClaim = (write: IdempotentWrite) =>
    db.updateTable('idempotency_keys').where('scope', '=', write.scope).where('key_hash', '=', write.keyHash).where('claim_token', '=', write.claimToken);

  return {
    claimIdempotencyKey(input) {
      return atomically(db, async (trx) => {
        const thisKey = { scope: input.scope, key_hash: input.keyHash };
        await trx
          .deleteFrom('idempotency_keys')
          .where('scope', '=', thisKey.scope)
          .where('key_hash', '=', thisKey.key_hash)
          .where('expires_at', '<=', input.now)
          .execute();
        const inserted = await trx
          .insertInto('idempotency_keys')
          .values({
            ...thisKey,
            fingerprint: input.fingerprint,
            state: 'pending',
            claim_token: input.claimToken,
            locked_until: input.lockedUntil,
            expires_at: input.expiresAt,
            created_at: input.now,
            response_status: null,
            response_type: null,
            response_body: null,
            target_type: null,
            target_id: null,
          })
          .onConflict((oc) => oc.columns(['scope', 'key_hash']).doNothing())
          .executeTakeFirst();
        if (Number(inserted.numInsertedOrUpdatedRows ?? 0) > 0) return { claimed: true as const };
        const row = await trx
          .selectFrom('idempotency_keys')
          .selectAll()
          .where('scope', '=', thisKey.scope)
          .where('key_hash', '=', thisKey.key_hash)
          .executeTakeFirstOrThrow();
        const record = toRecord(row);
        if (record.state === 'pending' && record.lockedUntil <= input.now && record.fingerprint === input.fingerprint) {
          // The holder's lock lapsed without a commit: take the claim over (its token no longer matches).
          const taken = await trx
            .updateTable('idempotency_keys')
            .set({ claim_token: input.claimToken, locked_until: input.lockedUntil })
            .where('scope', '=', thisKey.scope)
            .where('key_hash', '=', thisKey.key_hash)
            .where('claim_token', '=', record.claimToken)
            .where('state', '=', 'pending')
            .executeTakeFirst();
          if (Number(taken.numUpdatedRows) === 1) return { claimed: true as const };
        }
        return { claimed: false as const, record };
      });
    },

    async markIdempotentWrite(write, target) {
      // The first write's target is kept: that is the object a retry should look up.
      const marked = await ofClaim(write)
        .set((eb) => ({
          state: 'committed',
          target_type: eb.fn.coalesce('target_type', eb.val(target.type)),
          target_id: eb.fn.coalesce('target_id', eb.val(target.id)),
        }))
        .where('state', 'in', ['pending', 'committed'])
        .executeTakeFirst();
      return Number(marked.numUpdatedRows) === 1;
    },

    async completeIdempotencyKey(write, response) {
      await ofClaim(write)
        .set({
          state: 'done',
          response_status: response?.status ?? null,
          response_type: response?.contentType ?? null,
          response_body: response?.body ?? null,
        })
        .where('state', 'in', ['pending', 'committed'])
        .execute();
    },

    async releaseIdempotencyKey(write) {
      await db
        .deleteFrom('idempotency_keys')
        .where('scope', '=', write.scope)
        .where('key_hash', '=', write.keyHash)
        .where('claim_token', '=', write.claimToken)
        .where('state', '=', 'pending')
        .execute();
    },

    async deleteIdempotencyKeysExpiredBefore(time) {
      const result = await db.deleteFrom('idempotency_keys').where('expires_at', '<', time).executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}
