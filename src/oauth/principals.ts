// Who a token or a client authentication stands for, kept in memory: a client with its consumer and
// secret hashes, or the consumer an external IdP subject maps to. Entries expire after the key-cache
// TTL and are dropped at once when this node changes them (or learns of a change from the store).
import { LRUCache } from 'lru-cache';
import type { ClientSecretRecord, OAuthClientRecord } from '../store/oauth-types.js';
import type { ConsumerRecord, Store } from '../store/types.js';

export interface ClientPrincipal {
  client: OAuthClientRecord;
  consumer: ConsumerRecord;
  secrets: ClientSecretRecord[];
  /** Scopes the client may hold now: its own that its consumer still allows. */
  scopes: string[];
  scopeSet: ReadonlySet<string>;
}

export interface ExternalPrincipal {
  consumer: ConsumerRecord;
  scopeSet: ReadonlySet<string>;
}

const UNKNOWN = Symbol('unknown');
type Entry = ClientPrincipal | ExternalPrincipal | typeof UNKNOWN;

export interface PrincipalCacheOptions {
  store: Store;
  now: () => number;
  ttlMs: number;
  negativeTtlMs: number;
  maxEntries?: number;
}

export function toClientPrincipal(client: OAuthClientRecord, consumer: ConsumerRecord, secrets: ClientSecretRecord[]): ClientPrincipal {
  const allowed = new Set(consumer.scopes);
  const scopes = client.scopes.filter((s) => allowed.has(s));
  return { client, consumer, secrets, scopes, scopeSet: new Set(scopes) };
}

export function createPrincipalCache({ store, now, ttlMs, negativeTtlMs, maxEntries = 100_000 }: PrincipalCacheOptions) {
  const byConsumer = new Map<string, Set<string>>();
  const lru = new LRUCache<string, Entry>({
    max: Math.max(1, maxEntries),
    ttl: Math.max(1, ttlMs),
    perf: { now },
    ttlResolution: 0,
    dispose: (entry, cacheKey) => {
      if (entry === UNKNOWN) return;
      const keys = byConsumer.get(entry.consumer.id);
      keys?.delete(cacheKey);
      if (keys?.size === 0) byConsumer.delete(entry.consumer.id);
    },
  });

  function remember(cacheKey: string, entry: ClientPrincipal | ExternalPrincipal): void {
    lru.set(cacheKey, entry);
    let keys = byConsumer.get(entry.consumer.id);
    if (!keys) byConsumer.set(entry.consumer.id, (keys = new Set()));
    keys.add(cacheKey);
  }

  // Subjects no consumer maps to, apart: giving a consumer an external id must end them all at once.
  const unmapped = new LRUCache<string, true>({ max: 10_000, ttl: Math.max(1, negativeTtlMs), perf: { now }, ttlResolution: 0 });

  function peek<T>(cacheKey: string): T | null | undefined {
    const entry = lru.get(cacheKey);
    if (entry === UNKNOWN) return null;
    return entry as T | undefined;
  }

  return {
    /** Synchronous look-up: the entry, null when known not to exist, undefined when not cached. */
    peekClient: (clientId: string) => peek<ClientPrincipal>(`c:${clientId}`),

    async client(clientId: string): Promise<ClientPrincipal | undefined> {
      const cached = peek<ClientPrincipal>(`c:${clientId}`);
      if (cached !== undefined) return cached ?? undefined;
      const found = await store.findClientWithSecrets(clientId);
      if (!found) {
        if (negativeTtlMs > 0) lru.set(`c:${clientId}`, UNKNOWN, { ttl: negativeTtlMs });
        return undefined;
      }
      const principal = toClientPrincipal(found.client, found.consumer, found.secrets);
      remember(`c:${clientId}`, principal);
      return principal;
    },

    peekExternal(issuer: string, subject: string): ExternalPrincipal | null | undefined {
      const cacheKey = `x:${issuer}\u0000${subject}`;
      return unmapped.has(cacheKey) ? null : peek<ExternalPrincipal>(cacheKey);
    },

    /** The consumer whose externalIds hold `subject` (an external IdP claim value). */
    async external(issuer: string, subject: string): Promise<ExternalPrincipal | undefined> {
      const cacheKey = `x:${issuer}\u0000${subject}`;
      if (unmapped.has(cacheKey)) return undefined;
      const cached = peek<ExternalPrincipal>(cacheKey);
      if (cached) return cached;
      const consumer = await store.findConsumerByExternalId(subject);
      if (!consumer) {
        if (negativeTtlMs > 0) unmapped.set(cacheKey, true);
        return undefined;
      }
      const principal = { consumer, scopeSet: new Set(consumer.scopes) };
      remember(cacheKey, principal);
      return principal;
    },

    invalidateClient(clientId: string): void {
      lru.delete(`c:${clientId}`);
    },

    invalidateConsumer(consumerId: string): void {
      for (const cacheKey of [...(byConsumer.get(consumerId) ?? [])]) lru.delete(cacheKey);
      byConsumer.delete(consumerId);
      unmapped.clear();
    },

    clear(): void {
      lru.clear();
      unmapped.clear();
      byConsumer.clear();
    },
  };
}

export type PrincipalCache = ReturnType<typeof createPrincipalCache>;
