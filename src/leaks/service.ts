// What a reported leak does: the key is found by its hash, the configured policy (revoke, disable or
// only notify) is applied to it, and `key.leaked` is recorded with the report's source and URL, in the
// same transaction. The plaintext key, when a report carries one, is hashed here and goes no further.
import type { Actor, AuditLog } from '../audit/log.js';
import type { KeyCache } from '../keys/cache.js';
import { hashKey, isWellFormedKey } from '../keys/format.js';
import type { Clock } from '../lib/clock.js';
import type { KeyRecord, Store } from '../store/types.js';

export type LeakPolicy = 'revoke' | 'disable' | 'notify';

/** Where a leak was seen: the scanner (`github`, `gitguardian`, a person) and, when known, the URL. */
export interface LeakSource {
  source: string;
  url: string | null;
}

/** The key's state when the report arrived. */
export type LeakedKeyState = 'live' | 'disabled' | 'expired' | 'revoked';

export type LeakOutcome =
  | { found: false }
  | {
      found: true;
      keyId: string;
      consumerId: string;
      masked: string;
      state: LeakedKeyState;
      /** What the report changed: the policy, or `none` when the key was revoked already. */
      applied: LeakPolicy | 'none';
    };

export interface LeakServiceDeps {
  store: Store;
  clock: Clock;
  audit: AuditLog;
  /** The key cache of this node; its `delete` also tells the other nodes. */
  cache: KeyCache;
  policy: LeakPolicy;
  prefix: string;
}

/** Reported URLs are kept in the audit trail up to this length. */
export const MAX_LEAK_URL_LENGTH = 2000;

function stateOf(key: KeyRecord, now: number): LeakedKeyState {
  if (key.revokedAt !== null) return 'revoked';
  if (key.expiresAt !== null && key.expiresAt <= now) return 'expired';
  return key.enabled ? 'live' : 'disabled';
}

export function createLeakService({ store, clock, audit, cache, policy, prefix }: LeakServiceDeps) {
  async function reportHash(hash: string, where: LeakSource, actor: Actor): Promise<LeakOutcome> {
    const found = await store.findKeyByHash(hash);
    if (!found) return { found: false };
    const outcome = await store.transaction(async (tx): Promise<LeakOutcome | undefined> => {
      const key = await tx.getKey(found.key.id);
      if (!key) return undefined;
      const now = clock.now();
      const state = stateOf(key, now);
      // Every key that is not revoked gets the policy, live or not: a disabled or expired key can be
      // enabled or extended again, and a leaked one must not be.
      const applied: LeakPolicy | 'none' = state === 'revoked' ? 'none' : policy;
      const target = { type: 'key', id: key.id } as const;
      if (applied === 'revoke') {
        await tx.updateKey(key.id, { revokedAt: now, updatedAt: now });
        await audit.record(tx, actor, 'key.revoked', target, { masked: key.masked, reason: 'leaked' });
      } else if (applied === 'disable' && key.enabled) {
        await tx.updateKey(key.id, { enabled: false, updatedAt: now });
        await audit.record(tx, actor, 'key.updated', target, { fields: ['enabled'], reason: 'leaked' });
      }
      await audit.record(tx, actor, 'key.leaked', target, {
        masked: key.masked,
        consumerId: key.consumerId,
        source: where.source,
        url: where.url,
        state,
        policy: applied,
      });
      return { found: true, keyId: key.id, consumerId: key.consumerId, masked: key.masked, state, applied };
    });
    if (!outcome) return { found: false }; // deleted between the lookup and the transaction
    if (outcome.found && (outcome.applied === 'revoke' || outcome.applied === 'disable')) cache.delete(hash);
    return outcome;
  }

  return {
    policy,
    reportHash,
    /** A plaintext key: one that is not well-formed is not ours and is never looked up. */
    async reportKey(key: string, where: LeakSource, actor: Actor): Promise<LeakOutcome & { wellFormed: boolean }> {
      if (!isWellFormedKey(key, prefix)) return { found: false, wellFormed: false };
      return { ...(await reportHash(hashKey(key), where, actor)), wellFormed: true };
    },
  };
}

export type LeakService = ReturnType<typeof createLeakService>;
