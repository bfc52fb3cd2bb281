// Migration 0007: webhook endpoints, the outbox of their messages (written in the same transaction as
// the change, src/webhooks/outbox.ts) and the log of delivery attempts.
import type { Kysely, Migration, RawBuilder } from 'kysely';

export function webhooksMigration(id: RawBuilder<unknown>): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('webhook_endpoints')
        .addColumn('id', id, (c) => c.primaryKey())
        .addColumn('consumer_id', id, (c) => c.references('consumers.id').onDelete('cascade'))
        .addColumn('url', 'text', (c) => c.notNull())
        .addColumn('description', 'text', (c) => c.notNull())
        .addColumn('events', 'text', (c) => c.notNull())
        .addColumn('enabled', 'integer', (c) => c.notNull())
        .addColumn('allow_private_networks', 'integer', (c) => c.notNull())
        .addColumn('secrets', 'text', (c) => c.notNull())
        .addColumn('consecutive_failures', 'integer', (c) => c.notNull())
        .addColumn('disabled_reason', 'text')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('webhook_endpoints_consumer').on('webhook_endpoints').columns(['consumer_id', 'id']).execute();
      await db.schema.createIndex('webhook_endpoints_enabled').on('webhook_endpoints').column('enabled').execute();
      await db.schema
        .createTable('webhook_messages')
        .addColumn('id', id, (c) => c.primaryKey())
        .addColumn('endpoint_id', id, (c) => c.notNull())
        .addColumn('event_type', 'text', (c) => c.notNull())
        .addColumn('payload', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull())
        .addColumn('next_attempt_at', 'bigint', (c) => c.notNull())
        .addColumn('window_start', 'bigint', (c) => c.notNull())
        .addColumn('claimed_until', 'bigint')
        .addColumn('claim_token', 'text')
        .addColumn('last_attempt_at', 'bigint')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('webhook_messages_due').on('webhook_messages').columns(['status', 'next_attempt_at']).execute();
      await db.schema.createIndex('webhook_messages_endpoint').on('webhook_messages').columns(['endpoint_id', 'id']).execute();
      await db.schema
        .createTable('webhook_attempts')
        .addColumn('id', id, (c) => c.primaryKey())
        .addColumn('message_id', id, (c) => c.notNull())
        .addColumn('endpoint_id', id, (c) => c.notNull())
        .addColumn('at', 'bigint', (c) => c.notNull())
        .addColumn('status_code', 'integer')
        .addColumn('error', 'text')
        .addColumn('duration_ms', 'integer', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('webhook_attempts_message').on('webhook_attempts').columns(['message_id', 'id']).execute();
    },
  };
}
