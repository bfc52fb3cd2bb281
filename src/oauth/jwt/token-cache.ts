// Verified tokens by SHA-256 of the token, so a client reusing its token costs no signature check.
// An entry expires with its token; revocation and the principal's state are checked on every use.
import { hash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { VerifiedToken } from './verified-token.js';

export interface TokenCache {
  get(tokenHash: string): VerifiedToken | undefined;
  set(tokenHash: string, token: VerifiedToken): void;
  clear(): void;
  readonly size: number;
}

export const tokenHashOf = (token: string) => hash('sha256', token, 'base64url');

export function createTokenCache(options: { maxEntries: number; now: () => number }): TokenCache {
  const enabled = options.maxEntries > 0;
  const lru = new LRUCache<string, VerifiedToken>({ max: Math.max(1, options.maxEntries), ttl: 1, perf: { now: options.now }, ttlResolution: 0 });
  return {
    get: (tokenHash) => (enabled ? lru.get(tokenHash) : undefined),
    set(tokenHash, token) {
      const ttl = token.expiresAt - options.now();
      if (enabled && ttl > 0) lru.set(tokenHash, token, { ttl });
    },
    clear: () => lru.clear(),
    get size() {
      return lru.size;
    },
  };
}
