// Usage counting: requests per consumer, credential, API and status class, summed per minute in
// memory and written in batches — never a store write per request.

import type { Clock } from '../lib/clock.js';
import { periodicFlush } from '../lib/periodic.js';
import type { Store } from '../store/types.js';
import type { StatusClass, UsageRow } from '../store/usage-types.js';

const MINUTE = 60_000;
const HOUR = 3_600_000;

export interface UsageEvent {
  consumerId: string;
  /** Key id or client id. */
  credentialId: string;
  api: string;
  status: number;
}

export interface UsageRecorderOptions {
  store: Store;
  clock: Clock;
  /** Counts older than this are deleted (checked at most hourly, on flush). */
  retentionMs: number;
  onError: (error: unknown) => void;
}

const STATUS_CLASSES: readonly StatusClass[] = ['1xx', '2xx', '3xx', '4xx', '5xx'];

/** 0–4 for 1xx–5xx; anything outside counts as 5xx. */
function statusSlot(status: number): number {
  const hundreds = Math.floor(status / 100);
  return hundreds >= 1 && hundreds <= 5 ? hundreds - 1 : 4;
}

export function statusClassOf(status: number): StatusClass {
  return STATUS_CLASSES[statusSlot(status)]!;
}

export function createUsageRecorder({ store, clock, retentionMs, onError }: UsageRecorderOptions) {
  let pending = new Map<string, UsageRow>();
  // The rows of `pending` by credential, API and status class, so that counting a request finds its
  // row without building the cell's key string. Rows of an earlier minute are simply replaced.
  let rowsByCredential = new Map<string, Map<string, Array<UsageRow | undefined>>>();
  let lastPrune = 0;
  let flushing: Promise<number> = Promise.resolve(0);

  function record(event: UsageEvent): void {
    const now = clock.now();
    const bucketStart = now - (now % MINUTE);
    const slot = statusSlot(event.status);
    let byApi = rowsByCredential.get(event.credentialId);
    if (!byApi) {
      byApi = new Map();
      rowsByCredential.set(event.credentialId, byApi);
    }
    let rows = byApi.get(event.api);
    if (!rows) {
      rows = [undefined, undefined, undefined, undefined, undefined];
      byApi.set(event.api, rows);
    }
    const known = rows[slot];
    if (known && known.bucketStart === bucketStart && known.consumerId === event.consumerId) {
      known.count++;
      return;
    }
    const statusClass = STATUS_CLASSES[slot]!;
    const cell = `${bucketStart}\u0001${event.consumerId}\u0001${event.credentialId}\u0001${event.api}\u0001${statusClass}`;
    let row = pending.get(cell);
    if (row) row.count++;
    else {
      row = { bucketStart, consumerId: event.consumerId, credentialId: event.credentialId, api: event.api, statusClass, count: 1 };
      pending.set(cell, row);
    }
    rows[slot] = row;
  }

  async function write(): Promise<number> {
    const batch = pending;
    pending = new Map();
    rowsByCredential = new Map();
    if (batch.size > 0) {
      try {
        await store.addUsage([...batch.values()]);
      } catch (error) {
        // Put the counts back so the next flush writes them; nothing counted is lost.
        for (const [cell, row] of batch) {
          const again = pending.get(cell);
          if (again) again.count += row.count;
          else pending.set(cell, row);
        }
        onError(error);
        return 0;
      }
    }
    const now = clock.now();
    if (retentionMs > 0 && now - lastPrune >= HOUR) {
      lastPrune = now;
      await store.pruneUsage(now - retentionMs).catch(onError);
    }
    return batch.size;
  }

  /**
   * Writes everything recorded before the call, one flush after another: a flush that finds the
   * periodic one still writing waits for it, then writes what came since. Returns the cells written.
   */
  function flush(): Promise<number> {
    const next = flushing.then(write);
    flushing = next.catch(() => 0);
    return next;
  }

  return {
    record,
    flush,
    ...periodicFlush(flush),
    get pending() {
      return pending.size;
    },
  };
}

export type UsageRecorder = ReturnType<typeof createUsageRecorder>;
