// Migration 0002: the OAuth tables. Ids use the dialect's id type (COLLATE "C" on PostgreSQL).
import type { Kysely, Migration, RawBuilder } from 'kysely';

export function oauthMigration(id: RawBuilder<unknown>): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('oauth_clients')
        .addColumn('id', id, (c) => c.primaryKey())
        .addColumn('consumer_id', id, (c) => c.notNull().references('consumers.id').onDelete('cascade'))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('scopes', 'text', (c) => c.notNull())
        .addColumn('audiences', 'text', (c) => c.notNull())
        .addColumn('token_ttl_seconds', 'integer', (c) => c.notNull())
        .addColumn('auth_method', 'text', (c) => c.notNull())
        .addColumn('jwks', 'text')
        .addColumn('enabled', 'integer', (c) => c.notNull())
        .addColumn('tokens_revoked_before', 'bigint')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('oauth_clients_consumer').on('oauth_clients').columns(['consumer_id', 'id']).execute();
      await db.schema.createIndex('oauth_clients_updated').on('oauth_clients').column('updated_at').execute();

      await db.schema
        .createTable('oauth_client_secrets')
        .addColumn('id', id, (c) => c.primaryKey())
        .addColumn('client_id', id, (c) => c.notNull().references('oauth_clients.id').onDelete('cascade'))
        .addColumn('hash', 'text', (c) => c.notNull().unique())
        .addColumn('masked', 'text', (c) => c.notNull())
        .addColumn('expires_at', 'bigint')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('oauth_client_secrets_client').on('oauth_client_secrets').column('client_id').execute();

      await db.schema
        .createTable('oauth_signing_keys')
        .addColumn('id', id, (c) => c.primaryKey())
        .addColumn('alg', 'text', (c) => c.notNull())
        .addColumn('public_jwk', 'text', (c) => c.notNull())
        .addColumn('private_key_sealed', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('activates_at', 'bigint', (c) => c.notNull())
        .addColumn('retires_at', 'bigint')
        .addColumn('remove_after', 'bigint')
        .execute();

      await db.schema
        .createTable('oauth_revoked_tokens')
        .addColumn('jti', id, (c) => c.primaryKey())
        .addColumn('client_id', 'text', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .addColumn('revoked_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('oauth_revoked_tokens_revoked').on('oauth_revoked_tokens').column('revoked_at').execute();
      await db.schema.createIndex('oauth_revoked_tokens_expires').on('oauth_revoked_tokens').column('expires_at').execute();

      await db.schema
        .createTable('oauth_assertion_jtis')
        .addColumn('client_id', id, (c) => c.notNull())
        .addColumn('jti', id, (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('oauth_assertion_jtis_pk', ['client_id', 'jti'])
        .execute();
      await db.schema.createIndex('oauth_assertion_jtis_expires').on('oauth_assertion_jtis').column('expires_at').execute();
    },
  };
}
