// Migration 0011: what an import from another system needs. Keys and clients get the external id an
// import gave them (unique: importing the same file twice creates nothing), and keys their format:
// `foreign` marks a key stored as the SHA-256 of another system's key, which verification looks up
// without our checksum. The partial index answers "are there foreign keys at all?" at once.
import { type Kysely, type Migration, sql } from 'kysely';

export function importsMigration(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .alterTable('api_keys')
        .addColumn('format', 'text', (c) => c.notNull().defaultTo('portcullis'))
        .execute();
      await db.schema.alterTable('api_keys').addColumn('external_id', 'text').execute();
      await db.schema.createIndex('api_keys_external_id').on('api_keys').column('external_id').unique().execute();
      await sql`create index api_keys_foreign on api_keys (id) where format = 'foreign'`.execute(db);
      await db.schema.alterTable('oauth_clients').addColumn('external_id', 'text').execute();
      await db.schema.createIndex('oauth_clients_external_id').on('oauth_clients').column('external_id').unique().execute();
    },
  };
}
