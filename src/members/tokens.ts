// One-time tokens: random, stored as their hash, used once (a conditional update), expiring —
// 7 days for invitations, 1 hour for password resets, sign-in links and email verification.
import { PortcullisError } from '../errors/codes.js';
import type { Clock } from '../lib/clock.js';
import type { MemberRole, OneTimeTokenKind, OneTimeTokenRecord } from '../store/members-types.js';
import type { Store } from '../store/types.js';
import { isWellFormedSecret, randomSecret, secretHash } from './secrets.js';

const HOUR_MS = 60 * 60_000;
export const TOKEN_LIFETIME_MS: Record<OneTimeTokenKind, number> = {
  invitation: 7 * 24 * HOUR_MS,
  reset: HOUR_MS,
  'sign-in': HOUR_MS,
  verify: HOUR_MS,
};

export interface TokenGrant {
  email: string;
  userId?: string | null;
  consumerId?: string | null;
  role?: MemberRole | null;
  operator?: boolean;
}

/** Stores a new token's hash; the plaintext is returned once, for the link. */
export async function issueToken(store: Store, clock: Clock, kind: OneTimeTokenKind, grant: TokenGrant): Promise<{ token: string; expiresAt: number }> {
  const token = randomSecret();
  const now = clock.now();
  const expiresAt = now + TOKEN_LIFETIME_MS[kind];
  await store.insertOneTimeToken({
    hash: secretHash(token),
    kind,
    email: grant.email,
    userId: grant.userId ?? null,
    consumerId: grant.consumerId ?? null,
    role: grant.role ?? null,
    operator: grant.operator ?? false,
    createdAt: now,
    expiresAt,
    usedAt: null,
  });
  return { token, expiresAt };
}

/** Uses the token up and returns what it grants; LINK_NOT_VALID for a malformed, unknown, used or expired one. */
export async function consumeToken(store: Store, clock: Clock, kind: OneTimeTokenKind, token: string): Promise<OneTimeTokenRecord> {
  const record = isWellFormedSecret(token) ? await store.consumeOneTimeToken(secretHash(token), kind, clock.now()) : undefined;
  if (!record) throw new PortcullisError('LINK_NOT_VALID');
  return record;
}
