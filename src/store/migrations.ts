// Schema migrations, in order. Each takes the dialect because PostgreSQL needs `COLLATE "C"` on id
// columns: ids sort by their bytes (they are time-ordered), not by the locale's rules.
import { type Kysely, type Migration, type MigrationProvider, sql } from 'kysely';
import type { Dialect } from './dialect.js';
import { idempotencyMigration } from './idempotency-migration.js';
import { importsMigration } from './imports-migration.js';
import { hygieneMigration, ipAllowlistsMigration } from './lifecycle-migrations.js';
import { membersMigration } from './members-migration.js';
import { oauthMigration } from './oauth-migration.js';
import { usageMigration } from './usage-migration.js';
import { webhooksMigration } from './webhooks-migration.js';

function idType(dialect: Dialect) {
  return dialect === 'postgres' ? sql`text collate "C"` : sql`text`;
}

function migrations(dialect: Dialect): Record<string, Migration> {
  const id = idType(dialect);
  return {
    '0001_consumers_keys_audit': {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('consumers')
          .addColumn('id', id, (c) => c.primaryKey())
          .addColumn('name', 'text', (c) => c.notNull().unique())
          .addColumn('metadata', 'text', (c) => c.notNull())
          .addColumn('scopes', 'text', (c) => c.notNull())
          .addColumn('enabled', 'integer', (c) => c.notNull())
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addColumn('updated_at', 'bigint', (c) => c.notNull())
          .execute();
        await db.schema
          .createTable('consumer_external_ids')
          .addColumn('external_id', 'text', (c) => c.primaryKey())
          .addColumn('consumer_id', id, (c) => c.notNull().references('consumers.id').onDelete('cascade'))
          .execute();
        await db.schema.createIndex('consumer_external_ids_consumer').on('consumer_external_ids').column('consumer_id').execute();
        await db.schema
          .createTable('api_keys')
          .addColumn('id', id, (c) => c.primaryKey())
          .addColumn('consumer_id', id, (c) => c.notNull().references('consumers.id').onDelete('cascade'))
          .addColumn('name', 'text', (c) => c.notNull())
          .addColumn('hash', 'text', (c) => c.notNull().unique())
          .addColumn('masked', 'text', (c) => c.notNull())
          .addColumn('scopes', 'text', (c) => c.notNull())
          .addColumn('metadata', 'text', (c) => c.notNull())
          .addColumn('expires_at', 'bigint')
          .addColumn('enabled', 'integer', (c) => c.notNull())
          .addColumn('revoked_at', 'bigint')
          .addColumn('last_used_at', 'bigint')
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addColumn('updated_at', 'bigint', (c) => c.notNull())
          .execute();
        await db.schema.createIndex('api_keys_consumer').on('api_keys').columns(['consumer_id', 'id']).execute();
        await db.schema
          .createTable('audit_events')
          .addColumn('id', id, (c) => c.primaryKey())
          .addColumn('at', 'bigint', (c) => c.notNull())
          .addColumn('actor', 'text', (c) => c.notNull())
          .addColumn('action', 'text', (c) => c.notNull())
          .addColumn('target_type', 'text', (c) => c.notNull())
          .addColumn('target_id', 'text', (c) => c.notNull())
          .addColumn('source_ip', 'text')
          .addColumn('details', 'text', (c) => c.notNull())
          .execute();
        await db.schema.createIndex('audit_events_target').on('audit_events').columns(['target_id', 'id']).execute();
      },
    },
    '0002_oauth': oauthMigration(id),
    '0003_limits_usage': usageMigration(id),
    '0004_client_limits': {
      async up(db: Kysely<unknown>) {
        await db.schema.alterTable('oauth_clients').addColumn('rate_limit', 'text').execute();
        await db.schema.alterTable('oauth_clients').addColumn('quota', 'text').execute();
      },
    },
    '0005_idempotency_commit_guard': idempotencyMigration(dialect),
    '0006_portal_members': membersMigration(id),
    '0007_webhooks': webhooksMigration(id),
    '0009_ip_allowlists': ipAllowlistsMigration,
    '0010_hygiene': hygieneMigration,
    '0011_imports': importsMigration(),
  };
}

export function migrationProvider(dialect: Dialect): MigrationProvider {
  return { getMigrations: async () => migrations(dialect) };
}
