// Migration 0003: rate-limit and quota policies on consumers and keys, and per-minute usage counts.
import type { Kysely, Migration, RawBuilder } from 'kysely';

export function usageMigration(id: RawBuilder<unknown>): Migration {
  return {
    async up(db: Kysely<unknown>) {
      for (const table of ['consumers', 'api_keys']) {
        await db.schema.alterTable(table).addColumn('rate_limit', 'text').execute();
        await db.schema.alterTable(table).addColumn('quota', 'text').execute();
      }
      await db.schema
        .createTable('usage_counts')
        .addColumn('bucket_start', 'bigint', (c) => c.notNull())
        .addColumn('consumer_id', id, (c) => c.notNull())
        .addColumn('credential_id', id, (c) => c.notNull())
        .addColumn('api', 'text', (c) => c.notNull())
        .addColumn('status_class', 'text', (c) => c.notNull())
        .addColumn('count', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('usage_counts_pk', ['bucket_start', 'consumer_id', 'credential_id', 'api', 'status_class'])
        .execute();
      await db.schema.createIndex('usage_counts_consumer').on('usage_counts').columns(['consumer_id', 'bucket_start']).execute();
      await db.schema.createIndex('usage_counts_credential').on('usage_counts').columns(['credential_id', 'bucket_start']).execute();
    },
  };
}
