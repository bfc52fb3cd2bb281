// How a change reaches this node, and what it drops here. A change made on this node is applied at
// once by the service that made it and published on the change channel (changes.ts). A change made
// on another node comes by two paths, both handled here:
// - the change channel (with Redis): the other node's message, applied at once; after an interrupted
//   subscription every cached entry is asked for again, since changes may have been missed;
// - the store sync, every `oauth.syncInterval`, with or without Redis: token revocations, and from the
//   audit log (it records every change in the transaction that makes it, so it is the change feed) the
//   keys, consumers, clients and signing keys changed since the last pass. Without Redis this is the
//   only path; with Redis, the second one, for a node that missed a message.
// Either way a change drops the same state: key cache entries, cached client and consumer principals
// (the cached token verdicts are judged against them afresh), a revoked jti goes on the denylist, and
// a signing-key change reloads the ring (its removed keys' cached tokens are refused at once).
// Library mode's in-process verifier is no node: it reads only token revocations, on the same
// interval (src/library/verifier.ts), and its cached keys live for their TTL (10 s by default).
import type { KeyCache } from '../keys/cache.js';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../logger.js';
import { SYNC_OVERLAP_MS, type TokenVerification } from '../oauth/token-verification.js';
import type { Store } from '../store/types.js';
import type { Change, ChangeBus } from './changes.js';

/** Between two runs of `housekeeping`, in store-sync passes that read everything. */
const HOUSEKEEPING_EVERY_PASSES = 30;

export interface StoreSyncDeps {
  store: Store;
  clock: Clock;
  log: Logger;
  /** Other nodes' changes, as they make them (a local bus without Redis: nothing comes). */
  changes: ChangeBus;
  /** The API-key verification cache. */
  keyCache: KeyCache;
  /** The token checks' state a change can make stale. */
  tokens: Pick<TokenVerification, 'ring' | 'principals' | 'revocations' | 'readRevocations'>;
  /** Clean-ups of expired rows and the scheduled signing-key rotation, run every few passes. */
  housekeeping: () => Promise<void>;
  /** `oauth.syncInterval`. */
  intervalMs: number;
  /** Told when a pass saw keys or consumers changed elsewhere (an import there may have added foreign keys). */
  onKeysChanged?: () => Promise<void>;
}

export interface StoreSync {
  /** Drops what a change makes stale on this node (the service that made it publishes it). */
  apply(change: Change): void;
  /** One pass of the store sync; the timer runs one every `intervalMs`. */
  pass(): Promise<void>;
  /** Passes finished (well or not) since the node started. */
  readonly passes: number;
  /** Stops the timer and waits for a pass under way. */
  stop(): Promise<void>;
}

/** Listens on the change channel and starts the store sync's timer (it does not keep the process alive). */
export function startStoreSync({ store, clock, log, changes, keyCache, tokens, housekeeping, intervalMs, onKeysChanged }: StoreSyncDeps): StoreSync {
  const { ring, principals, revocations } = tokens;

  function apply(change: Change): void {
    switch (change.kind) {
      case 'key':
        keyCache.delete(change.hash);
        return;
      case 'consumer':
        keyCache.deleteConsumer(change.id);
        principals.invalidateConsumer(change.id);
        return;
      case 'client':
        principals.invalidateClient(change.id);
        return;
      case 'token':
        revocations.add(change.jti, change.expiresAt);
        return;
      case 'signing-keys':
        return void ring.load().catch((error: Error) => log.warn({ err: { message: error.message } }, 'could not reload signing keys'));
    }
  }

  // Each pass reads back over a few seconds already read (a change committed late); an audit event is
  // acted on once, so the overlap does not evict the same cached keys again on every pass.
  const appliedEvents = new Map<string, number>();
  async function dropChangedElsewhere(since: number): Promise<void> {
    const targets = await store.listChangedTargetsSince(since, ['key', 'consumer', 'client', 'signing-key']);
    // An event first read at or before `since` happened before it, so no later pass returns it.
    for (const [eventId, readAt] of appliedEvents) if (readAt < since) appliedEvents.delete(eventId);
    const readAt = clock.now();
    const keyIds: string[] = [];
    let signingKeysChanged = false;
    let consumersChanged = false;
    for (const target of targets) {
      if (appliedEvents.has(target.eventId)) continue;
      appliedEvents.set(target.eventId, readAt);
      if (target.type === 'key') keyIds.push(target.id);
      else if (target.type === 'consumer') {
        consumersChanged = true;
        apply({ kind: 'consumer', id: target.id });
      } else if (target.type === 'signing-key') signingKeysChanged = true;
      else apply({ kind: 'client', id: target.id });
    }
    for (const hash of await store.listKeyHashes(keyIds)) keyCache.delete(hash);
    if (keyIds.length > 0 || consumersChanged) await onKeysChanged?.();
    // A rotation elsewhere (an immediate one removes keys): reloading refuses the removed keys' cached tokens.
    if (signingKeysChanged) await ring.load();
  }

  let lastPassAt = clock.now();
  let readThrough = 0;
  let passes = 0;
  async function pass(): Promise<void> {
    try {
      const startedAt = clock.now();
      const since = lastPassAt - SYNC_OVERLAP_MS;
      await tokens.readRevocations(since, startedAt);
      await dropChangedElsewhere(since);
      revocations.prune(startedAt);
      lastPassAt = startedAt;
      if (++readThrough % HOUSEKEEPING_EVERY_PASSES === 0) await housekeeping();
    } finally {
      passes++;
    }
  }

  changes.listen({
    apply,
    resync() {
      // Changes may have been missed: every entry is asked for again, and stays for stale-if-error.
      keyCache.expireAll();
      principals.expireAll();
      void pass().catch((error: Error) => log.warn({ err: { message: error.message } }, 'oauth sync failed; will retry'));
    },
  });

  let running: Promise<void> | undefined;
  const timer = setInterval(() => {
    if (running) return;
    running = pass()
      .catch((error) => log.warn({ err: { code: (error as { code?: string }).code, message: (error as Error).message } }, 'oauth sync failed; will retry'))
      .finally(() => {
        running = undefined;
      });
  }, intervalMs);
  timer.unref();

  return {
    apply,
    pass,
    get passes() {
      return passes;
    },
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
