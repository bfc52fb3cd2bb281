// Last-used times are collected in memory and written in batches: a busy key costs one write per
// flush interval, not one per request.
import { periodicFlush } from '../lib/periodic.js';
import type { Store } from '../store/types.js';

export interface LastUsedTracker {
  touch(keyId: string, at: number): void;
  flush(): Promise<number>;
  start(intervalMs: number): void;
  stop(): Promise<void>;
  readonly pending: number;
}

export function createLastUsedTracker(store: Store, onError: (error: unknown) => void): LastUsedTracker {
  let pending = new Map<string, number>();

  async function flush(): Promise<number> {
    if (pending.size === 0) return 0;
    const batch = pending;
    pending = new Map();
    try {
      await store.recordKeyUsage([...batch].map(([id, lastUsedAt]) => ({ id, lastUsedAt })));
    } catch (error) {
      // Keep the times for the next flush rather than lose them.
      for (const [id, at] of batch) if ((pending.get(id) ?? 0) < at) pending.set(id, at);
      onError(error);
      return 0;
    }
    return batch.size;
  }

  return {
    touch(keyId, at) {
      pending.set(keyId, at);
    },
    flush,
    ...periodicFlush(flush),
    get pending() {
      return pending.size;
    },
  };
}
