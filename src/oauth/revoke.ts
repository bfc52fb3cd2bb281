// Token revocation: RFC 7009 (a client revokes one of its own tokens) and the operator's revoke by jti.
// A denylist entry lives until the token's own expiry; every node reads it from the store.
import type { Actor, AuditLog } from '../audit/log.js';
import type { Clock } from '../lib/clock.js';
import type { Store } from '../store/types.js';
import { type OAuthError, oauthError } from './errors.js';
import type { AccessTokenVerifier } from './jwt/verify-access-token.js';
import type { RevocationList } from './revocations.js';

export interface RevokeDeps {
  store: Store;
  clock: Clock;
  audit: AuditLog;
  revocations: RevocationList;
  verify: AccessTokenVerifier;
  /** The longest any accepted token can live: how long a revocation by jti alone is kept. */
  /** Read per revocation: a reload may add a trusted issuer whose tokens live longer. */
  longestTokenLifeMs: () => number;
  /** Told of each revocation this node made (so other nodes refuse the token at once). */
  onRevoked?: (jti: string, expiresAt: number) => void;
}

export function createRevoker({ store, clock, audit, revocations, verify, longestTokenLifeMs, onRevoked }: RevokeDeps) {
  async function denylist(jti: string, clientId: string, expiresAt: number, actor: Actor, via: string): Promise<void> {
    const now = clock.now();
    await store.transaction(async (tx) => {
      await tx.insertRevokedToken({ jti, clientId, expiresAt, revokedAt: now });
      await audit.record(tx, actor, 'token.revoked', { type: 'token', id: jti }, { clientId, via, expiresAt: new Date(expiresAt).toISOString() });
    });
    revocations.add(jti, expiresAt);
    onRevoked?.(jti, expiresAt);
  }

  return {
    /**
     * RFC 7009 §2.1: an invalid or expired token is answered as revoked (there is nothing to do); a
     * token of another client is refused.
     */
    async revokeOwnToken(token: string, clientId: string, actor: Actor): Promise<{ ok: true } | OAuthError> {
      const verified = await verify(token);
      if (!verified.ok) return { ok: true };
      const t = verified.token;
      if (t.kind !== 'local' || t.clientId !== clientId) return oauthError('unauthorized_client', 'the token was not issued to this client');
      if (!revocations.has(t.jti)) await denylist(t.jti, clientId, t.expiresAt, actor, 'rfc7009');
      return { ok: true };
    },

    /** The operator revokes one token by jti (ours or a trusted IdP's). */
    async revokeByJti(jti: string, actor: Actor): Promise<{ jti: string; expiresAt: number }> {
      const expiresAt = clock.now() + longestTokenLifeMs();
      await denylist(jti, '', expiresAt, actor, 'admin');
      return { jti, expiresAt };
    },
  };
}

export type Revoker = ReturnType<typeof createRevoker>;
