// One Store implementation over Kysely, shared by the SQLite and PostgreSQL adapters: they differ
// only in how they connect and in a few error codes.
import { type Kysely, Migrator, type Selectable, sql, type Updateable } from 'kysely';
import { PortcullisError } from '../errors/codes.js';
import { encodeBase62 } from '../lib/base62.js';
import { atomically } from './atomically.js';
import type { Dialect } from './dialect.js';
import { createHygieneStoreMethods } from './hygiene-kysely.js';
import { createIdempotencyStoreMethods } from './idempotency-kysely.js';
import { createImportsStoreMethods } from './imports-kysely.js';
import { createMembersStoreMethods, deleteMembersOfConsumer } from './members-kysely.js';
import { migrationProvider } from './migrations.js';
import { createOAuthStoreMethods, deleteClientsOfConsumer } from './oauth-kysely.js';
import { auditRow, consumerRow, IN_LIST_SLICE, ipsOrNull, keyRow } from './rows.js';
import type { ApiKeysTable, AuditEventsTable, ConsumersTable, Database } from './tables.js';
import type { AuditEventRecord, AuditFilter, ConsumerRecord, KeyRecord, KeyVerificationRecord, Page, PageRequest, Store, StoreStats } from './types.js';
import { createUsageStoreMethods } from './usage-kysely.js';
import { createWebhooksStoreMethods, deleteWebhooksOfConsumer } from './webhooks-kysely.js';

const json = (value: unknown) => JSON.stringify(value);

export function toConsumer(row: Selectable<ConsumersTable>, externalIds: string[]): ConsumerRecord {
  return {
    id: row.id,
    name: row.name,
    metadata: JSON.parse(row.metadata),
    scopes: JSON.parse(row.scopes),
    enabled: Number(row.enabled) === 1,
    externalIds,
    rateLimit: parseNullable(row.rate_limit),
    quota: parseNullable(row.quota),
    allowedIps: parseNullable(row.allowed_ips) ?? [],
    keyPolicy: parseNullable(row.key_policy),
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}

const nullableNumber = (value: number | null) => (value === null ? null : Number(value));
const parseNullable = (value: string | null | undefined) => (value === null || value === undefined ? null : JSON.parse(value));
const jsonOrNull = (value: unknown) => (value === null || value === undefined ? null : JSON.stringify(value));
/** An allowlist column: null for an empty list, so a credential without one reads as before the column existed. */

/**
 * What the verification lookup selects from `api_keys k join consumers c`: the key columns verification
 * reads, then its consumer's as `c_…`. The Kysely query and SQLite's prepared statement share this list.
 */
export const KEY_VERIFICATION_SELECTION = [
  'k.id',
  'k.consumer_id',
  'k.scopes',
  'k.metadata',
  'k.expires_at',
  'k.enabled',
  'k.revoked_at',
  'k.rate_limit',
  'k.quota',
  'k.allowed_ips',
  'c.name as c_name',
  'c.metadata as c_metadata',
  'c.scopes as c_scopes',
  'c.enabled as c_enabled',
  'c.rate_limit as c_rate_limit',
  'c.quota as c_quota',
  'c.allowed_ips as c_allowed_ips',
  'c.updated_at as c_updated_at',
] as const;

/** A row of the verification lookup. */
export interface KeyVerificationRow
  extends Pick<ApiKeysTable, 'id' | 'consumer_id' | 'scopes' | 'metadata' | 'expires_at' | 'enabled' | 'revoked_at' | 'rate_limit' | 'quota' | 'allowed_ips'> {
  c_name: string;
  c_metadata: string;
  c_scopes: string;
  c_enabled: number;
  c_rate_limit: string | null;
  c_quota: string | null;
  c_allowed_ips: string | null;
  c_updated_at: number;
}

export function toKeyVerification(row: KeyVerificationRow): KeyVerificationRecord {
  return {
    key: {
      id: row.id,
      consumerId: row.consumer_id,
      scopes: JSON.parse(row.scopes),
      metadata: JSON.parse(row.metadata),
      expiresAt: nullableNumber(row.expires_at),
      enabled: Number(row.enabled) === 1,
      revokedAt: nullableNumber(row.revoked_at),
      rateLimit: parseNullable(row.rate_limit),
      quota: parseNullable(row.quota),
      allowedIps: parseNullable(row.allowed_ips) ?? [],
    },
    consumer: {
      id: row.consumer_id,
      name: row.c_name,
      metadata: JSON.parse(row.c_metadata),
      scopes: JSON.parse(row.c_scopes),
      enabled: Number(row.c_enabled) === 1,
      rateLimit: parseNullable(row.c_rate_limit),
      quota: parseNullable(row.c_quota),
      allowedIps: parseNullable(row.c_allowed_ips) ?? [],
      updatedAt: Number(row.c_updated_at),
    },
  };
}

export function toKey(row: Selectable<ApiKeysTable>): KeyRecord {
  return {
    id: row.id,
    consumerId: row.consumer_id,
    name: row.name,
    hash: row.hash,
    masked: row.masked,
    scopes: JSON.parse(row.scopes),
    metadata: JSON.parse(row.metadata),
    expiresAt: nullableNumber(row.expires_at),
    enabled: Number(row.enabled) === 1,
    revokedAt: nullableNumber(row.revoked_at),
    lastUsedAt: nullableNumber(row.last_used_at),
    rateLimit: parseNullable(row.rate_limit),
    quota: parseNullable(row.quota),
    allowedIps: parseNullable(row.allowed_ips) ?? [],
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
    // Only when set, so a key made here reads back as it was written.
    ...(row.format === 'foreign' ? { format: 'foreign' as const } : {}),
    ...(row.external_id !== null && row.external_id !== undefined ? { externalId: row.external_id } : {}),
  };
}

function toAuditEvent(row: Selectable<AuditEventsTable>): AuditEventRecord {
  return {
    id: row.id,
    at: Number(row.at),
    actor: row.actor,
    action: row.action,
    targetType: row.target_type,
    targetId: row.target_id,
    sourceIp: row.source_ip,
    details: JSON.parse(row.details),
  };
}

function page<T extends { id: string }>(rows: T[], limit: number): Page<T> {
  const items = rows.slice(0, limit);
  return { items, nextCursor: rows.length > limit ? items[items.length - 1]!.id : null };
}

/** Which unique column a write collided on, if that is what failed. */
function uniqueViolation(error: unknown): 'name' | 'external_id' | 'other' | undefined {
  const e = error as { code?: string; message?: string; constraint?: string };
  const isUnique = e?.code === '23505' || (typeof e?.code === 'string' && e.code.startsWith('SQLITE_CONSTRAINT_'));
  if (!isUnique) return undefined;
  const where = `${e.constraint ?? ''} ${e.message ?? ''}`;
  if (where.includes('consumers_name') || where.includes('consumers.name')) return 'name';
  if (where.includes('consumer_external_ids')) return 'external_id';
  return 'other';
}

function rethrowConflict(error: unknown): never {
  const column = uniqueViolation(error);
  if (column === 'name') throw new PortcullisError('CONSUMER_NAME_TAKEN');
  if (column === 'external_id') throw new PortcullisError('EXTERNAL_ID_TAKEN');
  throw error;
}

export interface KyselyStoreOptions {
  db: Kysely<Database>;
  dialect: Dialect;
  stats: StoreStats;
  close: () => Promise<void>;
}

export function createKyselyStore({ db, dialect, stats, close }: KyselyStoreOptions): Store {
  async function externalIdsOf(consumerIds: string[]): Promise<Map<string, string[]>> {
    const byConsumer = new Map<string, string[]>(consumerIds.map((id) => [id, []]));
    if (consumerIds.length === 0) return byConsumer;
    const rows = await db
      .selectFrom('consumer_external_ids')
      .select(['consumer_id', 'external_id'])
      .where('consumer_id', 'in', consumerIds)
      .orderBy('external_id')
      .execute();
    for (const row of rows) byConsumer.get(row.consumer_id)?.push(row.external_id);
    return byConsumer;
  }

  async function consumerWhere(column: 'id' | 'name', value: string): Promise<ConsumerRecord | undefined> {
    const row = await db.selectFrom('consumers').selectAll().where(column, '=', value).executeTakeFirst();
    if (!row) return undefined;
    const ids = await externalIdsOf([row.id]);
    return toConsumer(row, ids.get(row.id) ?? []);
  }

  async function replaceExternalIds(trx: Kysely<Database>, consumerId: string, externalIds: string[]): Promise<void> {
    await trx.deleteFrom('consumer_external_ids').where('consumer_id', '=', consumerId).execute();
    if (externalIds.length > 0) {
      await trx
        .insertInto('consumer_external_ids')
        .values(externalIds.map((external_id) => ({ external_id, consumer_id: consumerId })))
        .execute();
    }
  }

  const store: Store = {
    ...createOAuthStoreMethods(db, { getConsumer: (id) => consumerWhere('id', id) }),
    ...createUsageStoreMethods(db),
    ...createIdempotencyStoreMethods(db),
    ...createMembersStoreMethods(db),
    ...createImportsStoreMethods(db),
    ...createHygieneStoreMethods(db),
    ...createWebhooksStoreMethods(db, dialect),
    kind: dialect,
    stats,
    close,

    async migrate() {
      // Kysely looks for its migration tables in every schema unless told which one; on a
      // PostgreSQL database shared by several schemas (or apps) that must be ours.
      const migrationTableSchema =
        dialect === 'postgres' ? (await sql<{ schema: string }>`select current_schema() as schema`.execute(db)).rows[0]?.schema : undefined;
      const migrator = new Migrator({ db, provider: migrationProvider(dialect), ...(migrationTableSchema ? { migrationTableSchema } : {}) });
      const { error, results } = await migrator.migrateToLatest();
      if (error) throw error;
      return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
    },

    async ping() {
      await db.selectFrom('consumers').select('id').limit(1).execute();
    },

    // Inside a transaction already, `work` joins it: a service can write its rows in a caller's transaction.
    async transaction(work) {
      return atomically(db, (trx) => work(trx === db ? store : createKyselyStore({ db: trx, dialect, stats, close })));
    },

    async insertConsumer(c) {
      try {
        await atomically(db, async (trx) => {
          await trx.insertInto('consumers').values(consumerRow(c)).execute();
          await replaceExternalIds(trx, c.id, c.externalIds);
        });
      } catch (error) {
        rethrowConflict(error);
      }
    },

    getConsumer: (id) => consumerWhere('id', id),
    findConsumerByName: (name) => consumerWhere('name', name),

    async findConsumerByExternalId(externalId) {
      const row = await db.selectFrom('consumer_external_ids').select('consumer_id').where('external_id', '=', externalId).executeTakeFirst();
      return row ? consumerWhere('id', row.consumer_id) : undefined;
    },

    async listConsumers({ after, limit, search }) {
      let query = db
        .selectFrom('consumers')
        .selectAll()
        .orderBy('id')
        .limit(limit + 1);
      if (after) query = query.where('id', '>', after);
      if (search) {
        // LIKE's own wildcards in the search text are matched as themselves.
        const pattern = `%${search.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
        query = query.where((eb) => eb.or([eb('id', '=', search), sql<boolean>`lower(${eb.ref('name')}) like ${pattern} escape '\\'`]));
      }
      const rows = await query.execute();
      const ids = await externalIdsOf(rows.map((r) => r.id));
      return page(
        rows.map((r) => toConsumer(r, ids.get(r.id) ?? [])),
        limit,
      );
    },

    async updateConsumer(id, patch) {
      try {
        const values: Partial<ConsumersTable> = { updated_at: patch.updatedAt };
        if (patch.name !== undefined) values.name = patch.name;
        if (patch.metadata !== undefined) values.metadata = json(patch.metadata);
        if (patch.scopes !== undefined) values.scopes = json(patch.scopes);
        if (patch.enabled !== undefined) values.enabled = patch.enabled ? 1 : 0;
        if (patch.rateLimit !== undefined) values.rate_limit = jsonOrNull(patch.rateLimit);
        if (patch.quota !== undefined) values.quota = jsonOrNull(patch.quota);
        if (patch.allowedIps !== undefined) values.allowed_ips = ipsOrNull(patch.allowedIps);
        if (patch.keyPolicy !== undefined) values.key_policy = jsonOrNull(patch.keyPolicy);
        const found = await atomically(db, async (trx) => {
          const result = await trx.updateTable('consumers').set(values).where('id', '=', id).executeTakeFirst();
          if (Number(result.numUpdatedRows) === 0) return false;
          if (patch.externalIds !== undefined) await replaceExternalIds(trx, id, patch.externalIds);
          return true;
        });
        if (!found) return undefined;
      } catch (error) {
        rethrowConflict(error);
      }
      return consumerWhere('id', id);
    },

    deleteConsumer(id) {
      // Explicit child deletes: SQLite enforces ON DELETE CASCADE only with foreign_keys on, and
      // the store should not depend on a connection setting for correctness.
      return atomically(db, async (trx) => {
        await deleteClientsOfConsumer(trx, id);
        await deleteMembersOfConsumer(trx, id);
        await deleteWebhooksOfConsumer(trx, id);
        await trx.deleteFrom('api_keys').where('consumer_id', '=', id).execute();
        await trx.deleteFrom('consumer_external_ids').where('consumer_id', '=', id).execute();
        const result = await trx.deleteFrom('consumers').where('id', '=', id).executeTakeFirst();
        return Number(result.numDeletedRows) > 0;
      });
    },

    async insertKey(k) {
      await db.insertInto('api_keys').values(keyRow(k)).execute();
    },

    async getKey(id) {
      const row = await db.selectFrom('api_keys').selectAll().where('id', '=', id).executeTakeFirst();
      return row ? toKey(row) : undefined;
    },

    async findKeyByHash(hash) {
      const row = await db
        .selectFrom('api_keys as k')
        .innerJoin('consumers as c', 'c.id', 'k.consumer_id')
        .select(KEY_VERIFICATION_SELECTION)
        .where('k.hash', '=', hash)
        .executeTakeFirst();
      return row ? toKeyVerification(row) : undefined;
    },

    async listKeys(consumerId, { after, limit }) {
      let query = db
        .selectFrom('api_keys')
        .selectAll()
        .where('consumer_id', '=', consumerId)
        .orderBy('id')
        .limit(limit + 1);
      if (after) query = query.where('id', '>', after);
      return page((await query.execute()).map(toKey), limit);
    },

    async listKeyHashesOfConsumer(consumerId) {
      const rows = await db.selectFrom('api_keys').select('hash').where('consumer_id', '=', consumerId).execute();
      return rows.map((r) => r.hash);
    },

    async updateKey(id, patch) {
      const values: Updateable<ApiKeysTable> = { updated_at: patch.updatedAt };
      if (patch.name !== undefined) values.name = patch.name;
      if (patch.scopes !== undefined) values.scopes = json(patch.scopes);
      if (patch.metadata !== undefined) values.metadata = json(patch.metadata);
      if (patch.expiresAt !== undefined) values.expires_at = patch.expiresAt;
      if (patch.enabled !== undefined) values.enabled = patch.enabled ? 1 : 0;
      if (patch.revokedAt !== undefined) values.revoked_at = patch.revokedAt;
      if (patch.rateLimit !== undefined) values.rate_limit = jsonOrNull(patch.rateLimit);
      if (patch.quota !== undefined) values.quota = jsonOrNull(patch.quota);
      if (patch.allowedIps !== undefined) values.allowed_ips = ipsOrNull(patch.allowedIps);
      const result = await db.updateTable('api_keys').set(values).where('id', '=', id).executeTakeFirst();
      if (Number(result.numUpdatedRows) === 0) return undefined;
      return store.getKey(id);
    },

    async recordKeyUsage(entries) {
      if (entries.length === 0) return;
      await atomically(db, async (trx) => {
        for (const { id, lastUsedAt } of entries) {
          await trx
            .updateTable('api_keys')
            .set({ last_used_at: lastUsedAt })
            .where('id', '=', id)
            .where((eb) => eb.or([eb('last_used_at', 'is', null), eb('last_used_at', '<', lastUsedAt)]))
            .execute();
        }
      });
    },

    async insertAuditEvent(e) {
      await db.insertInto('audit_events').values(auditRow(e)).execute();
    },

    async listAuditEvents(filter: AuditFilter) {
      let query = db
        .selectFrom('audit_events')
        .selectAll()
        .orderBy('id', 'desc')
        .limit(filter.limit + 1);
      if (filter.after) query = query.where('id', '<', filter.after);
      if (filter.actor) query = query.where('actor', '=', filter.actor);
      if (filter.action) query = query.where('action', '=', filter.action);
      if (filter.targetType) query = query.where('target_type', '=', filter.targetType);
      if (filter.targetId) query = query.where('target_id', '=', filter.targetId);
      if (filter.from !== undefined) query = query.where('at', '>=', filter.from);
      if (filter.to !== undefined) query = query.where('at', '<', filter.to);
      const consumerId = filter.consumerId;
      if (consumerId !== undefined) {
        query = query.where((eb) =>
          eb.or([
            eb.and([eb('target_type', '=', 'consumer'), eb('target_id', '=', consumerId)]),
            eb('target_id', 'in', eb.selectFrom('api_keys').select('id').where('consumer_id', '=', consumerId)),
            eb('target_id', 'in', eb.selectFrom('oauth_clients').select('id').where('consumer_id', '=', consumerId)),
          ]),
        );
      }
      return page((await query.execute()).map(toAuditEvent), filter.limit);
    },

    async listChangedTargetsSince(since, targetTypes) {
      // Event ids start with their time (src/lib/ids.ts), so the primary key finds recent events.
      const rows = await db
        .selectFrom('audit_events')
        .select(['id', 'target_type', 'target_id'])
        .where('id', '>=', `evt_${encodeBase62(Math.max(0, since), 8)}`)
        .where('target_type', 'in', [...targetTypes])
        .execute();
      return rows.map((r) => ({ eventId: r.id, type: r.target_type, id: r.target_id }));
    },

    async listKeyHashes(ids) {
      // In slices: an import changes thousands of keys at once, more than one statement may name.
      const hashes: string[] = [];
      for (let i = 0; i < ids.length; i += IN_LIST_SLICE) {
        const rows = await db
          .selectFrom('api_keys')
          .select('hash')
          .where('id', 'in', ids.slice(i, i + IN_LIST_SLICE))
          .execute();
        for (const row of rows) hashes.push(row.hash);
      }
      return hashes;
    },
  };
  return store;
}

export type { PageRequest };
