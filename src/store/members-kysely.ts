// The MembersStore methods over Kysely, spread into the one Store implementation (kysely-store.ts).
import type { Kysely, Selectable } from 'kysely';
import type { MembersDatabase, PortalTokensTable, PortalUsersTable } from './members-tables.js';
import type { MemberRole, MembersStore, OneTimeTokenKind, OneTimeTokenRecord, PortalUserRecord, SessionRecord } from './members-types.js';
import type { Database } from './tables.js';

/** The case-insensitive identity of an email address. */
export const emailKey = (email: string) => email.trim().toLowerCase();

const flag = (value: boolean) => (value ? 1 : 0);
const nullableNumber = (value: number | null) => (value === null ? null : Number(value));

function toUser(row: Selectable<PortalUsersTable>): PortalUserRecord {
  return {
    id: row.id,
    email: row.email,
    passwordHash: row.password_hash,
    operator: Number(row.operator) === 1,
    emailVerified: Number(row.email_verified) === 1,
    disabled: Number(row.disabled) === 1,
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}

function toToken(row: Selectable<PortalTokensTable>): OneTimeTokenRecord {
  return {
    hash: row.hash,
    kind: row.kind as OneTimeTokenKind,
    email: row.email,
    userId: row.user_id,
    consumerId: row.consumer_id,
    role: row.role as MemberRole | null,
    operator: Number(row.operator) === 1,
    createdAt: Number(row.created_at),
    expiresAt: Number(row.expires_at),
    usedAt: nullableNumber(row.used_at),
  };
}

function toSession(row: Selectable<MembersDatabase['portal_sessions']>): SessionRecord {
  return {
    idHash: row.id_hash,
    userId: row.user_id,
    csrfToken: row.csrf_token,
    createdAt: Number(row.created_at),
    lastSeenAt: Number(row.last_seen_at),
    expiresAt: Number(row.expires_at),
    revokedAt: nullableNumber(row.revoked_at),
  };
}

/** Removes a deleted consumer's memberships and its unused invitations (in the caller's transaction). */
export async function deleteMembersOfConsumer(db: Kysely<Database>, consumerId: string): Promise<void> {
  await db.deleteFrom('portal_memberships').where('consumer_id', '=', consumerId).execute();
  await db.deleteFrom('portal_tokens').where('consumer_id', '=', consumerId).execute();
}

export function createMembersStoreMethods(db: Kysely<Database>): MembersStore {
  const userWhere = async (column: 'id' | 'email_key', value: string) => {
    const row = await db.selectFrom('portal_users').selectAll().where(column, '=', value).executeTakeFirst();
    return row ? toUser(row) : undefined;
  };

  return {
    async insertPortalUser(user) {
      const result = await db
        .insertInto('portal_users')
        .values({
          id: user.id,
          email: user.email.trim(),
          email_key: emailKey(user.email),
          password_hash: user.passwordHash,
          operator: flag(user.operator),
          email_verified: flag(user.emailVerified),
          disabled: flag(user.disabled),
          created_at: user.createdAt,
          updated_at: user.updatedAt,
        })
        .onConflict((oc) => oc.column('email_key').doNothing())
        .executeTakeFirst();
      return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
    },

    getPortalUser: (id) => userWhere('id', id),
    findPortalUserByEmail: (email) => userWhere('email_key', emailKey(email)),

    async updatePortalUser(id, patch) {
      await db
        .updateTable('portal_users')
        .set({
          ...(patch.passwordHash !== undefined ? { password_hash: patch.passwordHash } : {}),
          ...(patch.operator !== undefined ? { operator: flag(patch.operator) } : {}),
          ...(patch.emailVerified !== undefined ? { email_verified: flag(patch.emailVerified) } : {}),
          ...(patch.disabled !== undefined ? { disabled: flag(patch.disabled) } : {}),
          updated_at: patch.updatedAt,
        })
        .where('id', '=', id)
        .execute();
      return userWhere('id', id);
    },

    async listOperators() {
      const rows = await db.selectFrom('portal_users').selectAll().where('operator', '=', 1).orderBy('id').execute();
      return rows.map(toUser);
    },

    async insertMembership(m) {
      const result = await db
        .insertInto('portal_memberships')
        .values({ id: m.id, user_id: m.userId, consumer_id: m.consumerId, role: m.role, created_at: m.createdAt })
        .onConflict((oc) => oc.column('user_id').doNothing())
        .executeTakeFirst();
      return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
    },

    async getMembershipOfUser(userId) {
      const row = await db.selectFrom('portal_memberships').selectAll().where('user_id', '=', userId).executeTakeFirst();
      return row
        ? { id: row.id, userId: row.user_id, consumerId: row.consumer_id, role: row.role as MemberRole, createdAt: Number(row.created_at) }
        : undefined;
    },

    async listMembers(consumerId) {
      const rows = await db
        .selectFrom('portal_memberships as m')
        .innerJoin('portal_users as u', 'u.id', 'm.user_id')
        .select(['m.id', 'm.user_id', 'm.consumer_id', 'm.role', 'm.created_at', 'u.email', 'u.disabled'])
        .where('m.consumer_id', '=', consumerId)
        .orderBy('m.id')
        .execute();
      return rows.map((row) => ({
        id: row.id,
        userId: row.user_id,
        consumerId: row.consumer_id,
        role: row.role as MemberRole,
        createdAt: Number(row.created_at),
        email: row.email,
        disabled: Number(row.disabled) === 1,
      }));
    },

    async updateMembershipRole(id, role) {
      const result = await db.updateTable('portal_memberships').set({ role }).where('id', '=', id).executeTakeFirst();
      return Number(result.numUpdatedRows) > 0;
    },

    async countOwnersLocked(consumerId) {
      // A write that changes nothing takes the row's lock on PostgreSQL (the database's on SQLite); a
      // concurrent transaction waits here and then counts what this one committed.
      await db
        .updateTable('consumers')
        .set((eb) => ({ updated_at: eb.ref('updated_at') }))
        .where('id', '=', consumerId)
        .execute();
      const row = await db
        .selectFrom('portal_memberships')
        .select((eb) => eb.fn.countAll().as('owners'))
        .where('consumer_id', '=', consumerId)
        .where('role', '=', 'owner')
        .executeTakeFirst();
      return Number(row?.owners ?? 0);
    },

    async deleteMembership(id) {
      const result = await db.deleteFrom('portal_memberships').where('id', '=', id).executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    },

    async insertSession(s) {
      await db
        .insertInto('portal_sessions')
        .values({
          id_hash: s.idHash,
          user_id: s.userId,
          csrf_token: s.csrfToken,
          created_at: s.createdAt,
          last_seen_at: s.lastSeenAt,
          expires_at: s.expiresAt,
          revoked_at: s.revokedAt,
        })
        .execute();
    },

    async findSession(idHash) {
      const row = await db.selectFrom('portal_sessions').selectAll().where('id_hash', '=', idHash).executeTakeFirst();
      return row ? toSession(row) : undefined;
    },

    async touchSession(idHash, lastSeenAt) {
      await db.updateTable('portal_sessions').set({ last_seen_at: lastSeenAt }).where('id_hash', '=', idHash).where('last_seen_at', '<', lastSeenAt).execute();
    },

    async revokeSession(idHash, at) {
      await db.updateTable('portal_sessions').set({ revoked_at: at }).where('id_hash', '=', idHash).where('revoked_at', 'is', null).execute();
    },

    async revokeSessionsOfUser(userId, at) {
      const result = await db
        .updateTable('portal_sessions')
        .set({ revoked_at: at })
        .where('user_id', '=', userId)
        .where('revoked_at', 'is', null)
        .executeTakeFirst();
      return Number(result.numUpdatedRows);
    },

    async deleteSessionsEndedBefore(time) {
      const result = await db
        .deleteFrom('portal_sessions')
        .where((eb) => eb.or([eb('expires_at', '<', time), eb('revoked_at', '<', time)]))
        .executeTakeFirst();
      return Number(result.numDeletedRows);
    },

    async insertOneTimeToken(t) {
      await db
        .insertInto('portal_tokens')
        .values({
          hash: t.hash,
          kind: t.kind,
          email: t.email,
          user_id: t.userId,
          consumer_id: t.consumerId,
          role: t.role,
          operator: flag(t.operator),
          created_at: t.createdAt,
          expires_at: t.expiresAt,
          used_at: t.usedAt,
        })
        .execute();
    },

    async consumeOneTimeToken(hash, kind, now) {
      // One conditional update: of two requests racing with the same token, one changes the row.
      const result = await db
        .updateTable('portal_tokens')
        .set({ used_at: now })
        .where('hash', '=', hash)
        .where('kind', '=', kind)
        .where('used_at', 'is', null)
        .where('expires_at', '>', now)
        .executeTakeFirst();
      if (Number(result.numUpdatedRows) !== 1) return undefined;
      const row = await db.selectFrom('portal_tokens').selectAll().where('hash', '=', hash).executeTakeFirst();
      return row ? toToken(row) : undefined;
    },

    async insertOutboxMessage(m) {
      await db.insertInto('mail_outbox').values({ id: m.id, recipient: m.recipient, subject: m.subject, text: m.text, created_at: m.createdAt }).execute();
    },

    async listOutboxMessages({ after, limit }) {
      let query = db
        .selectFrom('mail_outbox')
        .selectAll()
        .orderBy('id', 'desc')
        .limit(limit + 1);
      if (after) query = query.where('id', '<', after);
      const rows = await query.execute();
      const items = rows
        .slice(0, limit)
        .map((row) => ({ id: row.id, recipient: row.recipient, subject: row.subject, text: row.text, createdAt: Number(row.created_at) }));
      return { items, nextCursor: rows.length > limit ? items[items.length - 1]!.id : null };
    },
  };
}
