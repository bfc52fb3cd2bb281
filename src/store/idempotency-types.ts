// The Idempotency-Key part of the Store port: one record per (admin key, Idempotency-Key) that
// lets a client retry an admin write safely (src/admin/idempotency.ts). Composed into `Store`.

/**
 * `pending`: claimed, nothing committed yet. `committed`: the write committed (marked in its own
 * transaction) and the response is not recorded yet. `done`: the response is recorded, or
 * deliberately not (it carried a secret).
 */
export type IdempotencyState = 'pending' | 'committed' | 'done';

export interface IdempotentResponse {
  status: number;
  contentType: string | null;
  body: string;
}

export interface IdempotencyRecord {
  /** Whose key this is: the admin key's id (keys of different callers never meet). */
  scope: string;
  /** SHA-256 of the Idempotency-Key value, hex. */
  keyHash: string;
  /** SHA-256 over method, path, caller and body: the same key must come with the same request. */
  fingerprint: string;
  state: IdempotencyState;
  /** Fences the request holding the claim: only it may mark, complete or release the record. */
  claimToken: string;
  /** Until then the claim is in flight; after it, a retry of a still-pending claim takes it over. */
  lockedUntil: number;
  expiresAt: number;
  createdAt: number;
  /** The recorded answer; null until `done`, and null for good when it carried a secret. */
  response: IdempotentResponse | null;
  /** The object the write changed (from its first audit event), for a client that cannot get a replay. */
  target: { type: string; id: string } | null;
}

/** A claim, as it travels with the actor into the write's transaction (audit/log.ts marks it there). */
export interface IdempotentWrite {
  scope: string;
  keyHash: string;
  claimToken: string;
}

export type IdempotencyClaim = { claimed: true } | { claimed: false; record: IdempotencyRecord };

export interface IdempotencyStore {
  /**
   * Claims the key for this request: a key never seen (or expired), or a pending claim with the same
   * fingerprint whose lock has lapsed (its request died or was answered 503). Otherwise returns the
   * record, for the caller to replay or refuse.
   */
  claimIdempotencyKey(input: {
    scope: string;
    keyHash: string;
    fingerprint: string;
    claimToken: string;
    now: number;
    lockedUntil: number;
    expiresAt: number;
  }): Promise<IdempotencyClaim>;
  /**
   * Marks the claim's write as committed, in the write's own transaction; false when the claim
   * was taken over (the caller then rolls back). `target` is the object the write changed.
   */
  markIdempotentWrite(write: IdempotentWrite, target: { type: string; id: string }): Promise<boolean>;
  /** Records the final answer (null: deliberately not recorded). */
  completeIdempotencyKey(write: IdempotentWrite, response: IdempotentResponse | null): Promise<void>;
  /** Gives a claim whose write did not commit back, so that a retry runs afresh. */
  releaseIdempotencyKey(write: IdempotentWrite): Promise<void>;
  deleteIdempotencyKeysExpiredBefore(time: number): Promise<number>;
}
