// The token denylist in memory: jti → the token's own expiry. An entry is useless once the token has
// expired, so it is dropped then. Filled from the store at start and by the sync loop; local
// revocations land here at once.
export interface RevocationList {
  add(jti: string, expiresAt: number): void;
  has(jti: string): boolean;
  prune(now: number): void;
  readonly size: number;
}

export function createRevocationList(): RevocationList {
  const entries = new Map<string, number>();
  return {
    add(jti, expiresAt) {
      const existing = entries.get(jti);
      if (existing === undefined || existing < expiresAt) entries.set(jti, expiresAt);
    },
    has: (jti) => entries.has(jti),
    prune(now) {
      for (const [jti, expiresAt] of entries) if (expiresAt <= now) entries.delete(jti);
    },
    get size() {
      return entries.size;
    },
  };
}
