// The key-hygiene part of the Store port (docs/lifecycle.md, "Expiry and hygiene"): the keys the
// scheduler acts on, conditional writes that make each of its events happen once, and leases that
// let one node of a cluster run a periodic job. Composed into `Store` (store/types.ts).
import type { KeyPolicy } from './records.js';

/** What the hygiene scheduler needs of a key and its consumer's policy. */
export interface HygieneKeyRecord {
  id: string;
  consumerId: string;
  hash: string;
  masked: string;
  expiresAt: number | null;
  lastUsedAt: number | null;
  createdAt: number;
  /** The key's last change (creation, an update): enabling a disabled key starts its unused period anew. */
  updatedAt: number;
  keyPolicy: KeyPolicy | null;
  /** The key's own scopes: an admin key (portcullis:admin) is not disabled for disuse unless its consumer's policy says so. */
  scopes: string[];
}

/** One page of a hygiene listing: keys with ids after `after`, in id order. */
export interface HygienePage {
  after?: string | undefined;
  limit: number;
}

export interface HygieneStore {
  /**
   * Takes the lease `name` for `holder` until `now + ttlMs` when it is free, expired or already the
   * holder's (a renewal) — one atomic conditional insert-or-update; false when another holder has it.
   */
  tryAcquireLease(name: string, holder: string, ttlMs: number, now: number): Promise<boolean>;
  /** Gives the lease up if `holder` has it, so another node need not wait for it to expire. */
  releaseLease(name: string, holder: string): Promise<void>;
  /** Every consumer's keyPolicy that is set: the scheduler's widest windows come from them. */
  listKeyPolicies(): Promise<KeyPolicy[]>;
  /** Keys not revoked whose expiry is in (now, until] and that were not warned about that expiry. */
  listKeysToWarn(now: number, until: number, page: HygienePage): Promise<HygieneKeyRecord[]>;
  /** Marks the warning for this expiry; false when it was marked already (or the expiry changed). */
  markExpiryWarned(keyId: string, expiresAt: number): Promise<boolean>;
  /** Keys not revoked whose expiry passed (at or before now) and that were not told about it. */
  listKeysExpiredUnnoted(now: number, page: HygienePage): Promise<HygieneKeyRecord[]>;
  markExpiredNoted(keyId: string, expiresAt: number): Promise<boolean>;
  /** Enabled, unrevoked, unexpired keys neither used nor changed since `before`. */
  listKeysUnusedSince(before: number, now: number, page: HygienePage): Promise<HygieneKeyRecord[]>;
  /** Disables the key if it is still enabled, unrevoked, and neither used nor changed since `before`; false otherwise. */
  disableKeyUnusedSince(keyId: string, before: number, now: number): Promise<boolean>;
}
