// `quota.threshold` and `ratelimit.exceeded` from the gateway's limits path, kept off the request
// path: the limiter's answer is looked at (a loop over its quota decisions, only when a quota
// applies, and a Map lookup on a refusal), what it finds is queued in memory, and a timer writes the
// queue as webhook events in one transaction, like usage counts. A quota crossing 80 % or 100 % is
// seen by exactly one request (the limiter counts atomically, cluster-wide with Redis), so it is one
// event; refusals by a rate limit are debounced per credential and policy (one a minute per node).
import type { Clock } from '../lib/clock.js';
import { periodicFlush } from '../lib/periodic.js';
import type { LimitSubject, NamedLimitCheck } from '../limits/policies.js';
import type { LimitResult } from '../ratelimit/interface.js';
import type { Store } from '../store/types.js';
import { enqueueWebhookEvent, type WebhookEvent } from './outbox.js';

/** The shares of a quota that raise `quota.threshold`. */
export const QUOTA_THRESHOLDS = [0.8, 1] as const;
/** A credential refused by the same rate limit raises `ratelimit.exceeded` at most once per this. */
export const RATE_EVENT_DEBOUNCE_MS = 60_000;
/** Queued events beyond this are dropped (and counted) until the next flush: memory stays bounded. */
const MAX_QUEUED = 10_000;

export type LimitNotice = (subject: LimitSubject, check: NamedLimitCheck, result: LimitResult) => void;

export interface LimitEventsDeps {
  store: Store;
  clock: Clock;
  onError: (error: unknown) => void;
  /** Told when a flush wrote messages (the delivery worker wakes up). */
  onWritten?: () => void;
}

export function createLimitEvents({ store, clock, onError, onWritten }: LimitEventsDeps) {
  let queue: WebhookEvent[] = [];
  let dropped = 0;
  const lastRateEvent = new Map<string, number>();

  /** Queues an event about the subject's consumer and credential. */
  function push(type: 'quota.threshold' | 'ratelimit.exceeded', subject: LimitSubject, at: number, data: Record<string, unknown>): void {
    if (queue.length >= MAX_QUEUED) {
      dropped++;
      return;
    }
    const { consumerId, credentialId, api } = subject;
    queue.push({ type, at, consumerId, data: { consumerId, credentialId, api, ...data } });
  }

  /** Called by the gateway with each limiter answer; returns at once. */
  const notice: LimitNotice = (subject, check, result) => {
    const now = clock.now();
    for (let i = 0; i < result.quotas.length; i++) {
      const d = result.quotas[i]!;
      if (!result.allowed || d.limit === 0) continue;
      for (const share of QUOTA_THRESHOLDS) {
        const mark = Math.ceil(d.limit * share);
        if (d.used >= mark && d.used - d.cost < mark) {
          push('quota.threshold', subject, now, { quota: check.quotas[i]!.name, threshold: share * 100, limit: d.limit, used: d.used, period: d.period });
        }
      }
    }
    if (result.allowed || result.code !== 'RATE_LIMITED') return;
    result.rates.forEach((d, i) => {
      if (d.allowed) return;
      const name = check.rates[i]!.name;
      const debounceKey = `${subject.credentialId}\u0000${d.key}`;
      const last = lastRateEvent.get(debounceKey);
      if (last !== undefined && now - last < RATE_EVENT_DEBOUNCE_MS) return;
      lastRateEvent.set(debounceKey, now);
      push('ratelimit.exceeded', subject, now, { route: subject.route, limit: name, max: d.limit, windowMs: d.windowMs });
    });
  };

  async function flush(): Promise<number> {
    const now = clock.now();
    for (const [key, at] of lastRateEvent) if (now - at >= RATE_EVENT_DEBOUNCE_MS) lastRateEvent.delete(key);
    if (queue.length === 0) return 0;
    const batch = queue;
    queue = [];
    try {
      const written = await store.transaction(async (tx) => {
        const subscriptions = await tx.listWebhookSubscriptions();
        let count = 0;
        for (const event of batch) count += await enqueueWebhookEvent(tx, event, subscriptions);
        return count;
      });
      if (written > 0) onWritten?.();
    } catch (error) {
      // Kept for the next flush (newest dropped first when the queue is full).
      queue = [...batch, ...queue].slice(0, MAX_QUEUED);
      onError(error);
    }
    if (dropped > 0) {
      onError(new Error(`${dropped} limit events dropped: the queue was full`));
      dropped = 0;
    }
    return batch.length;
  }

  const timer = periodicFlush(flush);
  return { notice, flush, start: timer.start, stop: timer.stop };
}

export type LimitEvents = ReturnType<typeof createLimitEvents>;
