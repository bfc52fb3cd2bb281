// Verified tokens by SHA-256 of the token, so a client reusing its token costs no signature check.
// An entry is good until its token's exp: the evaluator refuses it from then on and deletes it, so
// the LRU needs no clock of its own (one clock read per request, not three).
import { hash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { lruWithRoom } from '../../lib/lru-room.js';
import type { VerifiedToken } from './verified-token.js';

export interface TokenCache {
  get(tokenHash: string): VerifiedToken | undefined;
  set(tokenHash: string, token: VerifiedToken): void;
  delete(tokenHash: string): void;
  clear(): void;
  readonly size: number;
}

export const tokenHashOf = (token: string) => hash('sha256', token, 'base64url');

export function createTokenCache(options: { maxEntries: number }): TokenCache {
  const enabled = options.maxEntries > 0;
  // Made when the first token is cached, small, and grown to maxEntries as it fills (lib/lru-room.ts).
  let lru: LRUCache<string, VerifiedToken> | undefined;
  return {
    get: (tokenHash) => lru?.get(tokenHash),
    set(tokenHash, token) {
      if (!enabled) return;
      lru = lruWithRoom(lru, options.maxEntries, (max) => new LRUCache<string, VerifiedToken>({ max }));
      lru.set(tokenHash, token);
    },
    delete: (tokenHash) => void lru?.delete(tokenHash),
    clear: () => lru?.clear(),
    get size() {
      return lru?.size ?? 0;
    },
  };
}
