// Migrations 0009 and 0010 (credential lifecycle, docs/lifecycle.md): IP allowlists on keys, OAuth
// clients and consumers; key hygiene (per-consumer key policies, which expiry a key was warned and
// told about) and the leases that let one node of a cluster run a periodic job.
import { type Kysely, type Migration, sql } from 'kysely';

export const ipAllowlistsMigration: Migration = {
  async up(db: Kysely<unknown>) {
    // JSON arrays of normalised entries; null = no list (any address).
    await db.schema.alterTable('api_keys').addColumn('allowed_ips', 'text').execute();
    await db.schema.alterTable('oauth_clients').addColumn('allowed_ips', 'text').execute();
    await db.schema.alterTable('consumers').addColumn('allowed_ips', 'text').execute();
  },
};

export const hygieneMigration: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable('consumers').addColumn('key_policy', 'text').execute();
    // The expires_at a key was warned about (key.expiring) and told it passed (key.expired): an
    // event is recorded once per key and expiry, and again when the expiry is changed.
    await db.schema.alterTable('api_keys').addColumn('expiry_warned_for', 'bigint').execute();
    await db.schema.alterTable('api_keys').addColumn('expired_noted_for', 'bigint').execute();
    // Keys that expired before this migration are not announced now, long after the fact.
    await sql`update api_keys set expired_noted_for = expires_at where expires_at is not null and expires_at <= ${Date.now()}`.execute(db);
    await db.schema.createIndex('api_keys_expires_at').on('api_keys').column('expires_at').execute();
    await db.schema
      .createTable('leases')
      .addColumn('name', 'text', (c) => c.primaryKey())
      .addColumn('holder', 'text', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .execute();
  },
};
