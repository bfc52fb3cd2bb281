// The key-hygiene scheduler: every `hygiene.interval`, on one node of the cluster (the one holding the
// `hygiene` lease in the store), it records `key.expiring` for keys inside their warning window,
// `key.expired` for keys whose expiry passed, and disables keys unused for longer than allowed
// (`key.disabled_unused`). Each event is a conditional write and its audit event in one transaction,
// so even two nodes acting at once (a lease that lapsed mid-run) record it once. The audit events
// are what webhooks deliver and what other nodes' store sync reads to drop a disabled key.

import { randomUUID } from 'node:crypto';
import { type AuditAction, type AuditLog, SYSTEM_ACTOR } from '../audit/log.js';
import { ADMIN_SCOPE } from '../auth/admin-credential.js';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../logger.js';
import type { HygieneKeyRecord, HygienePage } from '../store/hygiene-types.js';
import type { JsonObject, Store } from '../store/types.js';
import { type HygieneRules, rulesFor } from './policy.js';

export const HYGIENE_LEASE = 'hygiene';
/** Keys read per query: a run over many keys goes page by page. */
const PAGE_SIZE = 500;

export interface HygieneRun {
  expiring: number;
  expired: number;
  disabled: number;
}

export interface HygieneSchedulerDeps {
  store: Store;
  clock: Clock;
  audit: AuditLog;
  rules: HygieneRules;
  log: Logger;
  intervalMs: number;
  /** A key this run disabled: drop it from this node's cache and tell the other nodes. */
  onKeyDisabled: (hash: string) => void;
  /** Who holds the lease; a random id per scheduler by default. */
  holder?: string;
}

const iso = (ms: number) => new Date(ms).toISOString();

export function createHygieneScheduler({ store, clock, audit, rules, log, intervalMs, onKeyDisabled, holder = randomUUID() }: HygieneSchedulerDeps) {
  // Long enough that a run finishes inside it; a node that stops renewing (it died) hands over after it.
  const leaseTtlMs = Math.max(3 * intervalMs, 10_000);
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> | undefined;

  async function eachKey(list: (page: HygienePage) => Promise<HygieneKeyRecord[]>, act: (key: HygieneKeyRecord) => Promise<void>): Promise<void> {
    let after: string | undefined;
    for (;;) {
      const keys = await list({ after, limit: PAGE_SIZE });
      for (const key of keys) await act(key);
      if (keys.length < PAGE_SIZE) return;
      after = keys[keys.length - 1]!.id;
    }
  }

  /** `change` (a conditional write) and, if it changed something, its audit event, in one transaction. */
  function recordOnce(change: (tx: Store) => Promise<boolean>, action: AuditAction, key: HygieneKeyRecord, details: JsonObject): Promise<boolean> {
    return store.transaction(async (tx) => {
      if (!(await change(tx))) return false;
      await audit.record(tx, SYSTEM_ACTOR, action, { type: 'key', id: key.id }, { consumerId: key.consumerId, masked: key.masked, ...details });
      return true;
    });
  }

  /** The widest warning window and the shortest unused period any consumer has: what the queries must reach. */
  async function reach(): Promise<{ warnMs: number | null; unusedMs: number | null }> {
    let warnMs = rules.warnBeforeExpiryMs;
    let unusedMs = rules.disableUnusedAfterMs;
    for (const policy of await store.listKeyPolicies()) {
      const own = rulesFor(rules, policy);
      if (own.warnBeforeExpiryMs !== null) warnMs = Math.max(warnMs ?? 0, own.warnBeforeExpiryMs);
      if (own.disableUnusedAfterMs !== null) unusedMs = Math.min(unusedMs ?? Infinity, own.disableUnusedAfterMs);
    }
    return { warnMs, unusedMs };
  }

  async function run(now: number): Promise<HygieneRun> {
    const done: HygieneRun = { expiring: 0, expired: 0, disabled: 0 };
    const { warnMs, unusedMs } = await reach();

    if (warnMs !== null) {
      await eachKey(
        (page) => store.listKeysToWarn(now, now + warnMs, page),
        async (key) => {
          const window = rulesFor(rules, key.keyPolicy).warnBeforeExpiryMs;
          const expiresAt = key.expiresAt!;
          if (window === null || expiresAt - now > window) return;
          const recorded = await recordOnce((tx) => tx.markExpiryWarned(key.id, expiresAt), 'key.expiring', key, {
            expiresAt: iso(expiresAt),
            expiresInSeconds: Math.round((expiresAt - now) / 1000),
          });
          if (recorded) done.expiring++;
        },
      );
    }

    await eachKey(
      (page) => store.listKeysExpiredUnnoted(now, page),
      async (key) => {
        const expiresAt = key.expiresAt!;
        const recorded = await recordOnce((tx) => tx.markExpiredNoted(key.id, expiresAt), 'key.expired', key, { expiredAt: iso(expiresAt) });
        if (recorded) done.expired++;
      },
    );

    if (unusedMs !== null) {
      await eachKey(
        (page) => store.listKeysUnusedSince(now - unusedMs, now, page),
        async (key) => {
          // An admin key used seldom (a deploy script, a break-glass key) is not locked out by the
          // global rule: only its consumer's own keyPolicy disables it for disuse.
          if (key.scopes.includes(ADMIN_SCOPE) && key.keyPolicy?.disableUnusedAfter === undefined) return;
          const allowed = rulesFor(rules, key.keyPolicy).disableUnusedAfterMs;
          const lastActivity = Math.max(key.lastUsedAt ?? 0, key.updatedAt);
          if (allowed === null || now - lastActivity <= allowed) return;
          const disabled = await recordOnce((tx) => tx.disableKeyUnusedSince(key.id, now - allowed, now), 'key.disabled_unused', key, {
            lastUsedAt: key.lastUsedAt === null ? null : iso(key.lastUsedAt),
            unusedForSeconds: Math.round((now - lastActivity) / 1000),
          });
          if (disabled) {
            done.disabled++;
            onKeyDisabled(key.hash);
          }
        },
      );
    }
    return done;
  }

  /** One run, if this node gets (or keeps) the lease: what it recorded, or null when another node holds it. */
  async function runOnce(): Promise<HygieneRun | null> {
    const now = clock.now();
    if (!(await store.tryAcquireLease(HYGIENE_LEASE, holder, leaseTtlMs, now))) return null;
    const done = await run(now);
    if (done.expiring + done.expired + done.disabled > 0) log.info({ ...done }, 'key hygiene run');
    return done;
  }

  return {
    holder,
    runOnce,

    start(): void {
      if (timer) return;
      timer = setInterval(() => {
        if (running) return;
        running = runOnce()
          .catch((error: unknown) =>
            log.warn({ err: { message: (error as Error).message, code: (error as { code?: string }).code } }, 'key hygiene run failed; will retry'),
          )
          .finally(() => {
            running = undefined;
          });
      }, intervalMs);
      timer.unref();
    },

    /** Stops the timer, waits for a run in progress and gives the lease up for another node. */
    async stop(): Promise<void> {
      if (timer) clearInterval(timer);
      const wasStarted = timer !== undefined;
      timer = undefined;
      await running;
      if (wasStarted) await store.releaseLease(HYGIENE_LEASE, holder).catch(() => undefined);
    },
  };
}

export type HygieneScheduler = ReturnType<typeof createHygieneScheduler>;
