// The developer portal's part of the Store port: portal users, their memberships of consumers,
// sessions, one-time tokens (invitations, resets, sign-in links, email verification) and the mail
// outbox. Session ids and tokens are stored as SHA-256 hashes only. Composed into `Store`.
import type { Page, PageRequest } from './records.js';

export type MemberRole = 'owner' | 'developer';
export type OneTimeTokenKind = 'invitation' | 'reset' | 'sign-in' | 'verify';

export interface PortalUserRecord {
  id: string;
  /** As the user wrote it; unique regardless of case. */
  email: string;
  /** argon2id PHC string; null until the user sets a password (an operator signed in by link). */
  passwordHash: string | null;
  operator: boolean;
  emailVerified: boolean;
  disabled: boolean;
  createdAt: number;
  updatedAt: number;
}

export type PortalUserPatch = Partial<Pick<PortalUserRecord, 'passwordHash' | 'operator' | 'emailVerified' | 'disabled'>> & { updatedAt: number };

export interface MembershipRecord {
  id: string;
  userId: string;
  consumerId: string;
  role: MemberRole;
  createdAt: number;
}

/** A membership with its user's email and whether the account is disabled, as member lists show it. */
export interface MemberRecord extends MembershipRecord {
  email: string;
  disabled: boolean;
}

export interface SessionRecord {
  /** SHA-256 of the session id the cookie carries, hex. */
  idHash: string;
  userId: string;
  csrfToken: string;
  createdAt: number;
  lastSeenAt: number;
  /** The absolute end (sessionMaxAge after sign-in). */
  expiresAt: number;
  revokedAt: number | null;
}

/** What accepting a token grants: a membership, the operator role, a password reset of a user. */
export interface OneTimeTokenRecord {
  /** SHA-256 of the token, hex. */
  hash: string;
  kind: OneTimeTokenKind;
  email: string;
  userId: string | null;
  consumerId: string | null;
  role: MemberRole | null;
  operator: boolean;
  createdAt: number;
  expiresAt: number;
  usedAt: number | null;
}

export interface OutboxMessageRecord {
  id: string;
  recipient: string;
  subject: string;
  text: string;
  createdAt: number;
}

export interface MembersStore {
  /** False when a user with this email (in any case) exists. */
  insertPortalUser(user: PortalUserRecord): Promise<boolean>;
  getPortalUser(id: string): Promise<PortalUserRecord | undefined>;
  findPortalUserByEmail(email: string): Promise<PortalUserRecord | undefined>;
  updatePortalUser(id: string, patch: PortalUserPatch): Promise<PortalUserRecord | undefined>;
  listOperators(): Promise<PortalUserRecord[]>;

  /** False when the user already has a membership (a user belongs to one consumer). */
  insertMembership(membership: MembershipRecord): Promise<boolean>;
  getMembershipOfUser(userId: string): Promise<MembershipRecord | undefined>;
  /** The members of one consumer, oldest first. */
  listMembers(consumerId: string): Promise<MemberRecord[]>;
  updateMembershipRole(id: string, role: MemberRole): Promise<boolean>;
  /**
   * Inside a transaction: takes the consumer's row lock until it ends, so that changes to one
   * consumer's owners run one after another, and counts its owners (as of after the lock).
   */
  countOwnersLocked(consumerId: string): Promise<number>;
  deleteMembership(id: string): Promise<boolean>;

  insertSession(session: SessionRecord): Promise<void>;
  findSession(idHash: string): Promise<SessionRecord | undefined>;
  touchSession(idHash: string, lastSeenAt: number): Promise<void>;
  revokeSession(idHash: string, at: number): Promise<void>;
  /** Revokes every live session of the user; returns how many. */
  revokeSessionsOfUser(userId: string, at: number): Promise<number>;
  deleteSessionsEndedBefore(time: number): Promise<number>;

  insertOneTimeToken(token: OneTimeTokenRecord): Promise<void>;
  /** Marks the token used and returns it, once: only an unused, unexpired token of this kind. */
  consumeOneTimeToken(hash: string, kind: OneTimeTokenKind, now: number): Promise<OneTimeTokenRecord | undefined>;

  insertOutboxMessage(message: OutboxMessageRecord): Promise<void>;
  /** Newest first. */
  listOutboxMessages(page: PageRequest): Promise<Page<OutboxMessageRecord>>;
}
