// Portal sessions: a random id in the cookie, its hash in the store, an idle timeout (last seen +
// sessionIdleTimeout) and an absolute one (sessionMaxAge from sign-in), revocable server-side.
import type { Clock } from '../lib/clock.js';
import type { MembershipRecord, PortalUserRecord, SessionRecord } from '../store/members-types.js';
import type { Store } from '../store/types.js';
import { isWellFormedSecret, randomSecret, secretHash } from './secrets.js';

/** How stale `last_seen_at` may get before a request writes it again: a write per minute, not per request. */
const TOUCH_EVERY_MS = 60_000;
/** Ended sessions are deleted a day after their end, checked at most hourly, at a sign-in. */
const PRUNE_EVERY_MS = 60 * 60_000;
const KEEP_ENDED_MS = 24 * 60 * 60_000;

export interface ActiveSession {
  session: SessionRecord;
  user: PortalUserRecord;
  membership: MembershipRecord | null;
}

export interface SessionService {
  /** A new session for the user; the id is returned once, for the cookie. */
  start(userId: string): Promise<{ id: string; csrfToken: string; expiresAt: number }>;
  /** The live session of this cookie value, or undefined (unknown, revoked, idle or past its end, user disabled). */
  resolve(id: string): Promise<ActiveSession | undefined>;
  end(id: string): Promise<void>;
  endAllOf(userId: string): Promise<number>;
}

export function createSessionService({ store, clock, idleMs, maxAgeMs }: { store: Store; clock: Clock; idleMs: number; maxAgeMs: number }): SessionService {
  let lastPrune = 0;
  return {
    async start(userId) {
      const id = randomSecret();
      const csrfToken = randomSecret();
      const now = clock.now();
      if (now - lastPrune >= PRUNE_EVERY_MS) {
        lastPrune = now;
        await store.deleteSessionsEndedBefore(now - KEEP_ENDED_MS);
      }
      const expiresAt = now + maxAgeMs;
      await store.insertSession({ idHash: secretHash(id), userId, csrfToken, createdAt: now, lastSeenAt: now, expiresAt, revokedAt: null });
      return { id, csrfToken, expiresAt };
    },

    async resolve(id) {
      if (!isWellFormedSecret(id)) return undefined;
      const idHash = secretHash(id);
      const session = await store.findSession(idHash);
      const now = clock.now();
      if (!session || session.revokedAt !== null || now >= session.expiresAt || now >= session.lastSeenAt + idleMs) return undefined;
      const user = await store.getPortalUser(session.userId);
      if (!user || user.disabled) return undefined;
      if (now - session.lastSeenAt >= TOUCH_EVERY_MS) await store.touchSession(idHash, now);
      const membership = (await store.getMembershipOfUser(user.id)) ?? null;
      return { session, user, membership };
    },

    async end(id) {
      if (isWellFormedSecret(id)) await store.revokeSession(secretHash(id), clock.now());
    },

    endAllOf(userId) {
      return store.revokeSessionsOfUser(userId, clock.now());
    },
  };
}
