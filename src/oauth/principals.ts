// Who a token or a client authentication stands for, kept in memory: a client with its consumer and
// secret hashes, or the consumer an external IdP subject maps to. Entries are fresh for the key-cache
// TTL (jittered, src/auth/freshness.ts) and dropped at once when this node changes them (or learns of
// a change from the store). For the gateway's token checks, an entry past its TTL still answers for
// keys.cache.staleIfError while the store is unreachable, if it is enabled (stale-if-error); client
// authentication at the token endpoint always asks the store.
import { LRUCache } from 'lru-cache';
import { createStoreFaultState, freshUntil } from '../auth/freshness.js';
import { type AddressAllowlist, bothAllowlists, compileAllowlist } from '../lib/ip-allowlist.js';
import { lruWithRoom } from '../lib/lru-room.js';
import { isStoreUnavailable } from '../store/errors.js';
import type { ClientSecretRecord, OAuthClientRecord } from '../store/oauth-types.js';
import type { ConsumerRecord, Store } from '../store/types.js';

export interface ClientPrincipal {
  client: OAuthClientRecord;
  consumer: ConsumerRecord;
  secrets: ClientSecretRecord[];
  /** Scopes the client may hold now: its own that its consumer still allows. */
  scopes: string[];
  scopeSet: ReadonlySet<string>;
  /** The client's and its consumer's allowedIps, compiled once per cache fill; undefined = any address. */
  allowlist: AddressAllowlist | undefined;
}

export interface ExternalPrincipal {
  consumer: ConsumerRecord;
  scopeSet: ReadonlySet<string>;
  /** The consumer's allowedIps, compiled; undefined = any address. */
  allowlist: AddressAllowlist | undefined;
}

const UNKNOWN = Symbol('unknown');
type Entry = ClientPrincipal | ExternalPrincipal | typeof UNKNOWN;
/** An entry and the instant it stops being fresh. */
interface Slot {
  entry: Entry;
  freshUntil: number;
}

export interface PrincipalCacheOptions {
  store: Store;
  now: () => number;
  ttlMs: number;
  negativeTtlMs: number;
  /** How long past its freshness an entry may answer while the store is unreachable; 0 = never. */
  staleIfErrorMs?: number;
  /** Told of each answer given from a stale entry. */
  onStale?: () => void;
  maxEntries?: number;
}

/** For look-ups that may answer from a stale entry while the store is unreachable (the gateway's). */
export interface LookupOptions {
  staleIfError?: boolean;
}

export function toClientPrincipal(client: OAuthClientRecord, consumer: ConsumerRecord, secrets: ClientSecretRecord[]): ClientPrincipal {
  const allowed = new Set(consumer.scopes);
  const scopes = client.scopes.filter((s) => allowed.has(s));
  const allowlist = bothAllowlists(compileAllowlist(client.allowedIps), compileAllowlist(consumer.allowedIps));
  return { client, consumer, secrets, scopes, scopeSet: new Set(scopes), allowlist };
}

export function createPrincipalCache({ store, now, ttlMs, negativeTtlMs, staleIfErrorMs = 0, onStale, maxEntries = 100_000 }: PrincipalCacheOptions) {
  const byConsumer = new Map<string, Set<string>>();
  const storeFaults = createStoreFaultState(now);
  // No lru-cache TTL: each slot carries its freshness, and outlives it for stale-if-error.
  // Made when the first entry is set, small, and grown to maxEntries as it fills (lib/lru-room.ts).
  let lru: LRUCache<string, Slot> | undefined;
  const filled = () =>
    (lru = lruWithRoom(
      lru,
      Math.max(1, maxEntries),
      (max) =>
        new LRUCache<string, Slot>({
          max,
          dispose: (slot, cacheKey) => {
            if (slot.entry === UNKNOWN) return;
            const keys = byConsumer.get(slot.entry.consumer.id);
            keys?.delete(cacheKey);
            if (keys?.size === 0) byConsumer.delete(slot.entry.consumer.id);
          },
        }),
    ));

  function remember(cacheKey: string, entry: ClientPrincipal | ExternalPrincipal): void {
    filled().set(cacheKey, { entry, freshUntil: freshUntil(now(), ttlMs) });
    let keys = byConsumer.get(entry.consumer.id);
    if (!keys) {
      keys = new Set();
      byConsumer.set(entry.consumer.id, keys);
    }
    keys.add(cacheKey);
  }

  // Subjects no consumer maps to, apart: giving a consumer an external id must end them all at once.
  const unmapped = new LRUCache<string, true>({ max: 10_000, ttl: Math.max(1, negativeTtlMs), perf: { now }, ttlResolution: 0 });
  // lru-cache's clear() resets every slot of its 10,000 even when it holds none: 55–72 µs a call, and
  // the store sync calls this once per consumer event, which stalled the loop 60–90 ms a second
  // in the soak (docs/reliability.md); skipping an empty cache took the longest stalls to 27–37 ms.
  const forgetUnmapped = () => {
    if (unmapped.size > 0) unmapped.clear();
  };

  /** A fresh entry, null when known not to exist, undefined when not cached (or stale). */
  function peek<T>(cacheKey: string): T | null | undefined {
    const slot = lru?.get(cacheKey);
    if (slot === undefined) return undefined;
    const at = now();
    if (slot.freshUntil > at) return slot.entry === UNKNOWN ? null : (slot.entry as T);
    if (slot.entry === UNKNOWN || slot.freshUntil + staleIfErrorMs <= at) lru?.delete(cacheKey);
    return undefined;
  }

  /** A stale entry that may answer: one that would accept (client and consumer enabled), never a negative one. */
  function stale<T extends ClientPrincipal | ExternalPrincipal>(cacheKey: string): T | undefined {
    const slot = lru?.peek(cacheKey);
    if (!slot || slot.entry === UNKNOWN || slot.freshUntil + staleIfErrorMs <= now()) return undefined;
    const entry = slot.entry;
    if (!entry.consumer.enabled || ('client' in entry && !entry.client.enabled)) return undefined;
    onStale?.();
    return entry as T;
  }

  /** Asks the store; while it fails, a stale entry answers when the caller allows it. */
  async function lookUp<T extends ClientPrincipal | ExternalPrincipal, R>(
    cacheKey: string,
    options: LookupOptions | undefined,
    query: () => Promise<R>,
  ): Promise<{ stale: T } | { found: R }> {
    if (options?.staleIfError && storeFaults.skipStore()) {
      const entry = stale<T>(cacheKey);
      if (entry) return { stale: entry };
    }
    try {
      const found = await query();
      storeFaults.succeeded();
      return { found };
    } catch (error) {
      if (!isStoreUnavailable(error)) throw error;
      storeFaults.failed();
      const entry = options?.staleIfError ? stale<T>(cacheKey) : undefined;
      if (entry) return { stale: entry };
      throw error;
    }
  }

  return {
    /** Synchronous look-up: the entry, null when known not to exist, undefined when not cached. */
    peekClient: (clientId: string) => peek<ClientPrincipal>(`c:${clientId}`),

    async client(clientId: string, options?: LookupOptions): Promise<ClientPrincipal | undefined> {
      const cacheKey = `c:${clientId}`;
      const cached = peek<ClientPrincipal>(cacheKey);
      if (cached !== undefined) return cached ?? undefined;
      const result = await lookUp<ClientPrincipal, Awaited<ReturnType<Store['findClientWithSecrets']>>>(cacheKey, options, () =>
        store.findClientWithSecrets(clientId),
      );
      if ('stale' in result) return result.stale;
      const found = result.found;
      if (!found) {
        if (negativeTtlMs > 0) filled().set(cacheKey, { entry: UNKNOWN, freshUntil: now() + negativeTtlMs });
        return undefined;
      }
      const principal = toClientPrincipal(found.client, found.consumer, found.secrets);
      remember(cacheKey, principal);
      return principal;
    },

    peekExternal(issuer: string, subject: string): ExternalPrincipal | null | undefined {
      const cacheKey = `x:${issuer}\u0000${subject}`;
      return unmapped.has(cacheKey) ? null : peek<ExternalPrincipal>(cacheKey);
    },

    /** The consumer whose externalIds hold `subject` (an external IdP claim value). */
    async external(issuer: string, subject: string, options?: LookupOptions): Promise<ExternalPrincipal | undefined> {
      const cacheKey = `x:${issuer}\u0000${subject}`;
      if (unmapped.has(cacheKey)) return undefined;
      const cached = peek<ExternalPrincipal>(cacheKey);
      if (cached) return cached;
      const result = await lookUp<ExternalPrincipal, Awaited<ReturnType<Store['findConsumerByExternalId']>>>(cacheKey, options, () =>
        store.findConsumerByExternalId(subject),
      );
      if ('stale' in result) return result.stale;
      const consumer = result.found;
      if (!consumer) {
        if (negativeTtlMs > 0) unmapped.set(cacheKey, true);
        return undefined;
      }
      const principal = { consumer, scopeSet: new Set(consumer.scopes), allowlist: compileAllowlist(consumer.allowedIps) };
      remember(cacheKey, principal);
      return principal;
    },

    invalidateClient(clientId: string): void {
      lru?.delete(`c:${clientId}`);
    },

    invalidateConsumer(consumerId: string): void {
      for (const cacheKey of [...(byConsumer.get(consumerId) ?? [])]) lru?.delete(cacheKey);
      byConsumer.delete(consumerId);
      forgetUnmapped();
    },

    /** Every entry stops being fresh now (it is asked for again), but stays for stale-if-error. */
    expireAll(): void {
      const at = now();
      for (const slot of lru?.values() ?? []) if (slot.freshUntil > at) slot.freshUntil = at;
      forgetUnmapped();
    },

    clear(): void {
      lru?.clear();
      forgetUnmapped();
      byConsumer.clear();
    },
  };
}

export type PrincipalCache = ReturnType<typeof createPrincipalCache>;
