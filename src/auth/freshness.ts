// How long a cached credential verdict (a key, a client, a consumer) is fresh, and what a cache does
// while the store is unreachable. Shared by the key cache and the OAuth principal cache.

/**
 * Each entry is fresh for the configured TTL less up to this fraction, at random: entries filled
 * together (at start, after a cache clear) then expire spread over the TTL's last fifth, not in one
 * wave of store queries, and none outlives the TTL an operator set.
 */
export const TTL_JITTER = 0.2;

/** The instant an entry filled at `now` stops being fresh. */
export function freshUntil(now: number, ttlMs: number): number {
  return now + ttlMs - Math.floor(Math.random() * ttlMs * TTL_JITTER);
}

/**
 * After a store fault, for this long a credential with a stale entry is answered from it without
 * asking the store again; then one request probes the store while the others keep the stale answer.
 * A store that hangs (a silent partition) thus costs one request its timeout per second, not every one.
 */
export const STORE_RETRY_MS = 1000;

/** Tracks whether the store failed lately, for a cache that answers stale entries meanwhile. */
export function createStoreFaultState(now: () => number) {
  let failingUntil = -Infinity;
  return {
    /** True while stale entries should be answered without asking the store; otherwise this caller may ask it. */
    skipStore(): boolean {
      if (failingUntil === -Infinity) return false;
      const at = now();
      if (at < failingUntil) return true;
      failingUntil = at + STORE_RETRY_MS; // this caller probes; others answer stale meanwhile
      return false;
    },
    failed(): void {
      failingUntil = now() + STORE_RETRY_MS;
    },
    succeeded(): void {
      failingUntil = -Infinity;
    },
  };
}

export type StoreFaultState = ReturnType<typeof createStoreFaultState>;
