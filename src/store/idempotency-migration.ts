// Migration 0005: Idempotency-Key records for admin writes, and (PostgreSQL) the commit guard that
// lets the server refuse a COMMIT arriving after its transaction's deadline (postgres-driver.ts).
import { type Kysely, type Migration, sql } from 'kysely';
import type { Dialect } from './dialect.js';

export function idempotencyMigration(dialect: Dialect): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('idempotency_keys')
        .addColumn('scope', 'text', (c) => c.notNull())
        .addColumn('key_hash', 'text', (c) => c.notNull())
        .addColumn('fingerprint', 'text', (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('claim_token', 'text', (c) => c.notNull())
        .addColumn('locked_until', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('response_status', 'integer')
        .addColumn('response_type', 'text')
        .addColumn('response_body', 'text')
        .addColumn('target_type', 'text')
        .addColumn('target_id', 'text')
        .addPrimaryKeyConstraint('idempotency_keys_pk', ['scope', 'key_hash'])
        .execute();
      await db.schema.createIndex('idempotency_keys_expires').on('idempotency_keys').column('expires_at').execute();
      if (dialect !== 'postgres') return;
      // Unlogged: a row lives from BEGIN to COMMIT only, and is worthless after a crash.
      await sql`create unlogged table store_commit_guards (id bigserial primary key, commit_before timestamptz not null)`.execute(db);
      await sql`
        create function store_commit_guard() returns trigger language plpgsql as $$
        begin
          if clock_timestamp() > new.commit_before then
            raise exception 'the transaction reached the store timeout before its COMMIT arrived' using errcode = 'query_canceled';
          end if;
          delete from store_commit_guards where id = new.id;
          return null;
        end
        $$`.execute(db);
      await sql`
        create constraint trigger store_commit_guard after insert on store_commit_guards
        deferrable initially deferred for each row execute function store_commit_guard()`.execute(db);
    },
  };
}
