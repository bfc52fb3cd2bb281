// The ImportsStore methods over Kysely, spread into the one Store implementation (kysely-store.ts).
// Lookups and inserts go by slices, so 1,000 rows cost a handful of statements, not thousands.
import type { Kysely } from 'kysely';
import { PortcullisError } from '../errors/codes.js';
import type { ImportBatch, ImportedKind, ImportsStore } from './imports-types.js';
import { auditRow, clientRow, consumerRow, IN_LIST_SLICE, keyRow } from './rows.js';
import type { Database } from './tables.js';

/** Rows one multi-row INSERT carries at most: 17 columns × 500 stays under SQLite's 32,766 parameters. */
const INSERT_SLICE = 500;

/** Writes `rows` a slice at a time. */
async function insertSliced<R>(rows: readonly R[], insert: (slice: R[]) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < rows.length; i += INSERT_SLICE) await insert(rows.slice(i, i + INSERT_SLICE));
}

async function inSlices<T>(values: readonly string[], read: (slice: string[]) => Promise<T[]>): Promise<T[]> {
  const found: T[] = [];
  for (let i = 0; i < values.length; i += IN_LIST_SLICE) found.push(...(await read(values.slice(i, i + IN_LIST_SLICE))));
  return found;
}

export function createImportsStoreMethods(db: Kysely<Database>): ImportsStore {
  function externalIdsOf(kind: ImportedKind, slice: string[]): Promise<Array<{ externalId: string | null; id: string }>> {
    switch (kind) {
      case 'consumer':
        return db.selectFrom('consumer_external_ids').select(['external_id as externalId', 'consumer_id as id']).where('external_id', 'in', slice).execute();
      case 'key':
        return db.selectFrom('api_keys').select(['external_id as externalId', 'id']).where('external_id', 'in', slice).execute();
      case 'client':
        return db.selectFrom('oauth_clients').select(['external_id as externalId', 'id']).where('external_id', 'in', slice).execute();
    }
  }

  return {
    async hasForeignKeys() {
      const row = await db.selectFrom('api_keys').select('id').where('format', '=', 'foreign').limit(1).executeTakeFirst();
      return row !== undefined;
    },

    async findExternalIds(kind, externalIds) {
      const rows = await inSlices(externalIds, (slice) => externalIdsOf(kind, slice));
      return new Map(rows.map((r) => [r.externalId!, r.id]));
    },

    async findKeyHashes(hashes) {
      const rows = await inSlices(hashes, (slice) => db.selectFrom('api_keys').select(['hash', 'id']).where('hash', 'in', slice).execute());
      return new Map(rows.map((r) => [r.hash, r.id]));
    },

    async findConsumerNames(names) {
      const rows = await inSlices(names, (slice) => db.selectFrom('consumers').select('name').where('name', 'in', slice).execute());
      return new Set(rows.map((r) => r.name));
    },

    async replaceClientSecretHash(id, fromHash, toHash) {
      await db.updateTable('oauth_client_secrets').set({ hash: toHash }).where('id', '=', id).where('hash', '=', fromHash).execute();
    },

    async insertImportBatch(batch) {
      try {
        await insertBatch(batch);
      } catch (error) {
        // The batch's lookups ran in its transaction; only an import running beside it can collide.
        const code = (error as { code?: unknown }).code;
        if (code === '23505' || (typeof code === 'string' && code.startsWith('SQLITE_CONSTRAINT'))) {
          throw new PortcullisError('IMPORT_CONFLICT', 'another import wrote the same records at the same time; run the file again');
        }
        throw error;
      }
    },
  };

  async function insertBatch({ consumers, keys, clients, secrets, events }: ImportBatch): Promise<void> {
    const externalIds = consumers.flatMap((c) => c.externalIds.map((external_id) => ({ external_id, consumer_id: c.id })));
    const secretRows = secrets.map((s) => ({
      id: s.id,
      client_id: s.clientId,
      hash: s.hash,
      masked: s.masked,
      expires_at: s.expiresAt,
      created_at: s.createdAt,
    }));
    await insertSliced(consumers.map(consumerRow), (slice) => db.insertInto('consumers').values(slice).execute());
    await insertSliced(externalIds, (slice) => db.insertInto('consumer_external_ids').values(slice).execute());
    await insertSliced(keys.map(keyRow), (slice) => db.insertInto('api_keys').values(slice).execute());
    await insertSliced(clients.map(clientRow), (slice) => db.insertInto('oauth_clients').values(slice).execute());
    await insertSliced(secretRows, (slice) => db.insertInto('oauth_client_secrets').values(slice).execute());
    await insertSliced(events.map(auditRow), (slice) => db.insertInto('audit_events').values(slice).execute());
  }
}
