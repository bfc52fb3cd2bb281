// Portal accounts: sign-in, sign-up with email verification, invitations, memberships, operators,
// password change and reset. Answers never tell whether an email exists: sign-in, reset and sign-up
// answer an unknown address as they answer a known one, and spend a password hash on it.
import type { Actor, AuditLog } from '../audit/log.js';
import type { PortalConfig } from '../config/schema.js';
import type { ConsumerService } from '../consumers/service.js';
import { PortcullisError } from '../errors/codes.js';
import type { Clock } from '../lib/clock.js';
import { newId } from '../lib/ids.js';
import type { Logger } from '../logger.js';
import type { Mailer, MailMessage } from '../mail/mailer.js';
import type { RateLimiter } from '../ratelimit/interface.js';
import type { MemberRecord, MemberRole, PortalUserRecord } from '../store/members-types.js';
import type { Store } from '../store/types.js';
import { invitationEmail, operatorSignInEmail, resetEmail, verifyEmail } from './emails.js';
import { linkFor, type PortalLinks } from './links.js';
import { hashPassword, passwordProblem, spendHash, verifyPassword } from './password.js';
import { createThrottle, RESET_LIMITS } from './throttle.js';
import { consumeToken, issueToken } from './tokens.js';

export interface MemberServiceDeps {
  store: Store;
  clock: Clock;
  audit: AuditLog;
  consumers: ConsumerService;
  mailer: Mailer;
  bruteForce: RateLimiter;
  log: Logger;
  settings: Pick<PortalConfig, 'signup' | 'allowedDomains' | 'branding' | 'signInAttempts'>;
  links: PortalLinks;
}

export interface IssuedLink {
  url: string;
  expiresAt: number;
}

export type SignInResult =
  | { ok: true; user: PortalUserRecord }
  | { ok: false; code: 'SIGN_IN_FAILED' | 'EMAIL_NOT_VERIFIED' | 'SIGN_IN_THROTTLED'; retryAfterMs?: number };

function checkPassword(password: string): void {
  const problem = passwordProblem(password);
  if (problem) throw new PortcullisError('PASSWORD_NOT_ACCEPTED', problem);
}

export function createMemberService({ store, clock, audit, consumers, mailer, bruteForce, log, settings, links }: MemberServiceDeps) {
  const signInThrottle = createThrottle(bruteForce, 'sign-in', settings.signInAttempts);
  const resetThrottle = createThrottle(bruteForce, 'reset', RESET_LIMITS);
  const title = settings.branding.title;

  /** Sends a message; a failure is logged (never the message: it carries a link) and reported as false. */
  async function send(message: MailMessage): Promise<boolean> {
    try {
      await mailer.send(message);
      return true;
    } catch (error) {
      log.warn({ err: { message: (error as Error).message }, mailer: mailer.kind }, 'could not send a portal email');
      return false;
    }
  }

  async function newUser(
    email: string,
    fields: Partial<Pick<PortalUserRecord, 'passwordHash' | 'operator' | 'emailVerified'>>,
    within: Store = store,
  ): Promise<PortalUserRecord | undefined> {
    const now = clock.now();
    const user: PortalUserRecord = {
      id: newId('usr', now),
      email: email.trim(),
      passwordHash: fields.passwordHash ?? null,
      operator: fields.operator ?? false,
      emailVerified: fields.emailVerified ?? false,
      disabled: false,
      createdAt: now,
      updatedAt: now,
    };
    return (await within.insertPortalUser(user)) ? user : undefined;
  }

  async function memberOf(consumerId: string, memberId: string, within: Store = store): Promise<MemberRecord> {
    const member = (await within.listMembers(consumerId)).find((m) => m.id === memberId);
    if (!member) throw new PortcullisError('MEMBER_NOT_FOUND', `no member ${memberId}`);
    return member;
  }

  /**
   * The member, read under the consumer's lock (countOwnersLocked) so that two changes of its owners
   * cannot both pass; refuses when the change would leave the consumer's members without an owner.
   */
  async function memberKeepingAnOwner(tx: Store, consumerId: string, memberId: string, staysOwner: boolean): Promise<MemberRecord> {
    const owners = await tx.countOwnersLocked(consumerId);
    const member = await memberOf(consumerId, memberId, tx);
    if (member.role === 'owner' && !staysOwner && owners <= 1) {
      throw new PortcullisError('LAST_OWNER', 'this member is the last owner; make another member an owner first');
    }
    return member;
  }

  return {
    async signIn(input: { email: string; password: string; address: string }): Promise<SignInResult> {
      const throttled = await signInThrottle.allows(input.email, input.address);
      if (!throttled.allowed) return { ok: false, code: 'SIGN_IN_THROTTLED', retryAfterMs: throttled.retryAfterMs };
      const user = await store.findPortalUserByEmail(input.email);
      const matches = user?.passwordHash ? await verifyPassword(user.passwordHash, input.password) : await spendHash(input.password);
      if (!user || !matches || user.disabled) {
        await signInThrottle.count(input.email, input.address);
        return { ok: false, code: 'SIGN_IN_FAILED' };
      }
      if (!user.emailVerified) return { ok: false, code: 'EMAIL_NOT_VERIFIED' };
      return { ok: true, user };
    },

    /** Invites an email to a consumer (a new member) and emails the link; the link is returned once. */
    async invite(
      consumerId: string,
      input: { email: string; role: MemberRole },
      actor: Actor,
    ): Promise<{ invitation: IssuedLink & { email: string; role: MemberRole }; emailSent: boolean }> {
      const consumer = await consumers.get(consumerId);
      const existing = await store.findPortalUserByEmail(input.email);
      if (existing && ((await store.getMembershipOfUser(existing.id)) || existing.operator)) {
        throw new PortcullisError('MEMBER_EXISTS', 'this email already belongs to a member or an operator');
      }
      const { token, expiresAt } = await issueToken(store, clock, 'invitation', { email: input.email.trim(), consumerId, role: input.role });
      await audit.record(store, actor, 'member.invited', { type: 'consumer', id: consumerId }, { email: input.email.trim(), role: input.role });
      const url = linkFor(links, 'invitation', token);
      const emailSent = await send(invitationEmail(input.email.trim(), { title, link: url, consumerName: consumer.name, role: input.role }));
      return { invitation: { url, expiresAt, email: input.email.trim(), role: input.role }, emailSent };
    },

    /** Invites an email as an operator (by another operator); the link is emailed and returned once. */
    async inviteOperator(email: string, actor: Actor): Promise<{ invitation: IssuedLink & { email: string }; emailSent: boolean }> {
      const existing = await store.findPortalUserByEmail(email);
      if (existing?.operator) throw new PortcullisError('MEMBER_EXISTS', 'this email already belongs to an operator');
      const { token, expiresAt } = await issueToken(store, clock, 'invitation', { email: email.trim(), operator: true });
      await audit.record(store, actor, 'operator.invited', { type: 'portal-user', id: existing?.id ?? 'new' }, { email: email.trim() });
      const url = linkFor(links, 'invitation', token);
      const emailSent = await send(invitationEmail(email.trim(), { title, link: url, consumerName: null, role: 'operator' }));
      return { invitation: { url, expiresAt, email: email.trim() }, emailSent };
    },

    /** Accepts an invitation: creates the user (or sets the password of the existing one) and the membership or operator role. */
    async acceptInvitation(input: { token: string; password: string }, sourceIp: string | null): Promise<PortalUserRecord> {
      checkPassword(input.password);
      const passwordHash = await hashPassword(input.password);
      const user = await store.transaction(async (tx) => {
        const grant = await consumeToken(tx, clock, 'invitation', input.token);
        const now = clock.now();
        let account = await tx.findPortalUserByEmail(grant.email);
        // A disabled account stays out, whatever link it holds.
        if (account?.disabled) throw new PortcullisError('LINK_NOT_VALID');
        if (account) {
          // The link went to this address: whoever holds it controls the address, as a reset would.
          account = (await tx.updatePortalUser(account.id, {
            passwordHash,
            emailVerified: true,
            updatedAt: now,
            ...(grant.operator ? { operator: true } : {}),
          }))!;
        } else {
          account = {
            id: newId('usr', now),
            email: grant.email,
            passwordHash,
            operator: grant.operator,
            emailVerified: true,
            disabled: false,
            createdAt: now,
            updatedAt: now,
          };
          if (!(await tx.insertPortalUser(account))) throw new PortcullisError('LINK_NOT_VALID');
        }
        const actor = { id: `portal:${account.id}`, sourceIp };
        if (grant.consumerId && grant.role) {
          const membership = { id: newId('mem', now), userId: account.id, consumerId: grant.consumerId, role: grant.role, createdAt: now };
          if (!(await tx.insertMembership(membership))) throw new PortcullisError('MEMBER_EXISTS', 'this account is a member already');
          await audit.record(tx, actor, 'member.joined', { type: 'member', id: membership.id }, { consumerId: grant.consumerId, role: grant.role });
        } else {
          await audit.record(tx, actor, 'operator.invited', { type: 'portal-user', id: account.id }, { accepted: true });
        }
        return account;
      });
      await store.revokeSessionsOfUser(user.id, clock.now());
      return user;
    },

    async listMembers(consumerId: string): Promise<MemberRecord[]> {
      await consumers.get(consumerId);
      return store.listMembers(consumerId);
    },

    /** Changes a member's role; the last owner cannot be made a developer (LAST_OWNER). */
    async changeRole(consumerId: string, memberId: string, role: MemberRole, actor: Actor): Promise<MemberRecord> {
      return store.transaction(async (tx) => {
        const member = await memberKeepingAnOwner(tx, consumerId, memberId, role === 'owner');
        await tx.updateMembershipRole(memberId, role);
        await audit.record(tx, actor, 'member.role_changed', { type: 'member', id: memberId }, { consumerId, role });
        return { ...member, role };
      });
    },

    /** Removes a member; their sessions end at once. The last owner cannot be removed (LAST_OWNER). */
    async removeMember(consumerId: string, memberId: string, actor: Actor): Promise<void> {
      const member = await store.transaction(async (tx) => {
        const found = await memberKeepingAnOwner(tx, consumerId, memberId, false);
        await tx.deleteMembership(memberId);
        await audit.record(tx, actor, 'member.removed', { type: 'member', id: memberId }, { consumerId });
        return found;
      });
      await store.revokeSessionsOfUser(member.userId, clock.now());
    },

    /**
     * Disables (or enables) a portal account (an operator's decision): a disabled account cannot sign
     * in, and its sessions end in the same transaction, so its next request is refused.
     */
    async setUserDisabled(userId: string, disabled: boolean, actor: Actor): Promise<PortalUserRecord> {
      return store.transaction(async (tx) => {
        const now = clock.now();
        const user = await tx.updatePortalUser(userId, { disabled, updatedAt: now });
        if (!user) throw new PortcullisError('PORTAL_USER_NOT_FOUND', `no portal user ${userId}`);
        const sessionsEnded = disabled ? await tx.revokeSessionsOfUser(userId, now) : 0;
        await audit.record(
          tx,
          actor,
          disabled ? 'portal_user.disabled' : 'portal_user.enabled',
          { type: 'portal-user', id: userId },
          disabled ? { sessionsEnded } : {},
        );
        return user;
      });
    },

    listOperators(): Promise<PortalUserRecord[]> {
      return store.listOperators();
    },

    /** A one-time operator sign-in link (the CLI's `portal create-operator`, the demo): the user is created or made an operator. */
    async createOperatorSignInLink(email: string, actor: Actor): Promise<IssuedLink & { userId: string }> {
      let user = (await store.findPortalUserByEmail(email)) ?? (await newUser(email, { operator: true }));
      if (!user) throw new PortcullisError('MEMBER_EXISTS', 'this email was taken while the operator was created; run the command again');
      if (!user.operator) user = (await store.updatePortalUser(user.id, { operator: true, updatedAt: clock.now() }))!;
      const { token, expiresAt } = await issueToken(store, clock, 'sign-in', { email: user.email, userId: user.id, operator: true });
      await audit.record(store, actor, 'operator.invited', { type: 'portal-user', id: user.id }, { signInLink: true });
      return { url: linkFor(links, 'sign-in', token), expiresAt, userId: user.id };
    },

    /** Emails an operator a one-time sign-in link (for a deployment with SMTP). */
    async emailOperatorSignInLink(email: string, actor: Actor): Promise<boolean> {
      const link = await this.createOperatorSignInLink(email, actor);
      return send(operatorSignInEmail(email.trim(), { title, link: link.url }));
    },

    async signInWithLink(token: string): Promise<PortalUserRecord> {
      const grant = await consumeToken(store, clock, 'sign-in', token);
      const user = grant.userId ? await store.getPortalUser(grant.userId) : undefined;
      if (!user || user.disabled) throw new PortcullisError('LINK_NOT_VALID');
      return user.emailVerified ? user : (await store.updatePortalUser(user.id, { emailVerified: true, updatedAt: clock.now() }))!;
    },

    /** Sign-up (portal.signup `open` or `domains`): a consumer with the new user as its owner, usable once the email is verified. */
    async signup(input: { email: string; password: string; organisation: string }, sourceIp: string | null, throttleAddress: string): Promise<void> {
      const email = input.email.trim();
      const domain = email.slice(email.lastIndexOf('@') + 1).toLowerCase();
      if (settings.signup === 'invite') throw new PortcullisError('SIGNUP_CLOSED', 'this portal admits members by invitation only');
      if (settings.signup === 'domains' && !settings.allowedDomains.some((d) => d.toLowerCase() === domain)) {
        throw new PortcullisError('SIGNUP_CLOSED', 'sign-up is open to addresses of the allowed domains only');
      }
      checkPassword(input.password);
      const throttled = await resetThrottle.allows(email, throttleAddress);
      await resetThrottle.count(email, throttleAddress);
      if (!throttled.allowed) throw new PortcullisError('SIGN_IN_THROTTLED', 'too many sign-ups from here; try again later');
      if (await store.findConsumerByName(input.organisation)) throw new PortcullisError('CONSUMER_NAME_TAKEN', 'an organisation with this name exists');
      const passwordHash = await hashPassword(input.password);
      // One transaction: the user, the consumer, the membership, the verification token and (without
      // SMTP) the email in the outbox. A failure half-way — the organisation's name taken meanwhile —
      // leaves none of them, so the address and the name stay free for another try.
      const toSend = await store.transaction(async (tx) => {
        const user = await newUser(email, { passwordHash }, tx);
        // A known address: the same answer, nothing created, nothing sent.
        if (!user) return null;
        const actor = { id: `portal:${user.id}`, sourceIp };
        const consumer = await consumers.create({ name: input.organisation, metadata: { signedUpBy: user.id } }, actor, tx);
        const now = clock.now();
        if (!(await tx.insertMembership({ id: newId('mem', now), userId: user.id, consumerId: consumer.id, role: 'owner', createdAt: now }))) {
          throw new PortcullisError('MEMBER_EXISTS', 'this account is a member already');
        }
        await audit.record(tx, actor, 'portal_user.signed_up', { type: 'portal-user', id: user.id }, { consumerId: consumer.id });
        const { token } = await issueToken(tx, clock, 'verify', { email, userId: user.id });
        const message = verifyEmail(email, { title, link: linkFor(links, 'verify', token) });
        if (mailer.kind !== 'outbox') return message;
        await mailer.send(message, { store: tx });
        return null;
      });
      // SMTP cannot join the transaction: the message leaves once the rows are committed.
      if (toSend) await send(toSend);
    },

    async verifySignup(token: string, sourceIp: string | null): Promise<PortalUserRecord> {
      const grant = await consumeToken(store, clock, 'verify', token);
      const user = grant.userId ? await store.updatePortalUser(grant.userId, { emailVerified: true, updatedAt: clock.now() }) : undefined;
      if (!user || user.disabled) throw new PortcullisError('LINK_NOT_VALID');
      await audit.record(store, { id: `portal:${user.id}`, sourceIp }, 'portal_user.email_verified', { type: 'portal-user', id: user.id });
      return user;
    },

    /** Emails a reset link if the account exists; the same answer, in about the same time, if not. */
    async requestPasswordReset(email: string, address: string): Promise<void> {
      const throttled = await resetThrottle.allows(email, address);
      await resetThrottle.count(email, address);
      const user = throttled.allowed ? await store.findPortalUserByEmail(email) : undefined;
      await spendHash(email);
      if (!user || user.disabled) return;
      const { token } = await issueToken(store, clock, 'reset', { email: user.email, userId: user.id });
      await send(resetEmail(user.email, { title, link: linkFor(links, 'reset', token) }));
    },

    /** Sets a new password from a reset link; every session of the user ends. */
    async confirmPasswordReset(input: { token: string; password: string }, sourceIp: string | null): Promise<PortalUserRecord> {
      checkPassword(input.password);
      const passwordHash = await hashPassword(input.password);
      const user = await store.transaction(async (tx) => {
        const grant = await consumeToken(tx, clock, 'reset', input.token);
        const found = grant.userId ? await tx.updatePortalUser(grant.userId, { passwordHash, emailVerified: true, updatedAt: clock.now() }) : undefined;
        if (!found || found.disabled) throw new PortcullisError('LINK_NOT_VALID');
        await audit.record(tx, { id: `portal:${found.id}`, sourceIp }, 'portal_user.password_reset', { type: 'portal-user', id: found.id });
        return found;
      });
      await store.revokeSessionsOfUser(user.id, clock.now());
      return user;
    },

    /** Changes a signed-in user's password (the current one is needed once one is set); every session of the user ends. */
    async changePassword(userId: string, input: { currentPassword?: string | undefined; newPassword: string }, sourceIp: string | null): Promise<void> {
      checkPassword(input.newPassword);
      const user = await store.getPortalUser(userId);
      if (!user) throw new PortcullisError('SESSION_REQUIRED');
      if (user.passwordHash !== null && !(input.currentPassword !== undefined && (await verifyPassword(user.passwordHash, input.currentPassword)))) {
        throw new PortcullisError('PASSWORD_WRONG');
      }
      const passwordHash = await hashPassword(input.newPassword);
      await store.transaction(async (tx) => {
        await tx.updatePortalUser(userId, { passwordHash, updatedAt: clock.now() });
        await audit.record(tx, { id: `portal:${userId}`, sourceIp }, 'portal_user.password_changed', { type: 'portal-user', id: userId });
      });
      await store.revokeSessionsOfUser(userId, clock.now());
    },
  };
}

export type MemberService = ReturnType<typeof createMemberService>;
