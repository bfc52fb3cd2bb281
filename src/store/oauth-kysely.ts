// The OAuthStore methods over Kysely, spread into the one Store implementation (kysely-store.ts).
import type { Kysely, Selectable, Updateable } from 'kysely';
import { atomically } from './atomically.js';
import type { OAuthClientSecretsTable, OAuthClientsTable, OAuthRevokedTokensTable, OAuthSigningKeysTable } from './oauth-tables.js';
import type { ClientAuthMethod, ClientSecretRecord, OAuthClientRecord, OAuthStore, RevokedTokenRecord, SigningAlg, SigningKeyRecord } from './oauth-types.js';
import { clientRow } from './rows.js';
import type { Database } from './tables.js';
import type { ConsumerRecord, Page } from './types.js';

const json = (value: unknown) => JSON.stringify(value);
const nullableNumber = (value: number | null) => (value === null ? null : Number(value));

function toClient(row: Selectable<OAuthClientsTable>): OAuthClientRecord {
  return {
    id: row.id,
    consumerId: row.consumer_id,
    name: row.name,
    scopes: JSON.parse(row.scopes),
    audiences: JSON.parse(row.audiences),
    tokenTtlSeconds: Number(row.token_ttl_seconds),
    authMethods: row.auth_method.split(' ') as ClientAuthMethod[],
    jwks: row.jwks === null ? null : JSON.parse(row.jwks),
    enabled: Number(row.enabled) === 1,
    tokensRevokedBefore: nullableNumber(row.tokens_revoked_before),
    rateLimit: row.rate_limit === null || row.rate_limit === undefined ? null : JSON.parse(row.rate_limit),
    quota: row.quota === null || row.quota === undefined ? null : JSON.parse(row.quota),
    allowedIps: row.allowed_ips === null || row.allowed_ips === undefined ? [] : JSON.parse(row.allowed_ips),
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
    ...(row.external_id !== null && row.external_id !== undefined ? { externalId: row.external_id } : {}),
  };
}

function toSecret(row: Selectable<OAuthClientSecretsTable>): ClientSecretRecord {
  return {
    id: row.id,
    clientId: row.client_id,
    hash: row.hash,
    masked: row.masked,
    expiresAt: nullableNumber(row.expires_at),
    createdAt: Number(row.created_at),
  };
}

function toSigningKey(row: Selectable<OAuthSigningKeysTable>): SigningKeyRecord {
  return {
    id: row.id,
    alg: row.alg as SigningAlg,
    publicJwk: JSON.parse(row.public_jwk),
    privateKeySealed: row.private_key_sealed,
    createdAt: Number(row.created_at),
    activatesAt: Number(row.activates_at),
    retiresAt: nullableNumber(row.retires_at),
    removeAfter: nullableNumber(row.remove_after),
  };
}

function toRevoked(row: Selectable<OAuthRevokedTokensTable>): RevokedTokenRecord {
  return { jti: row.jti, clientId: row.client_id, expiresAt: Number(row.expires_at), revokedAt: Number(row.revoked_at) };
}

export interface OAuthMethodDeps {
  getConsumer(id: string): Promise<ConsumerRecord | undefined>;
}

/** Deletes every OAuth client (and secret) of a consumer; part of deleting the consumer. */
export function deleteClientsOfConsumer(db: Kysely<Database>, consumerId: string): Promise<void> {
  return atomically(db, async (trx) => {
    const clientIds = trx.selectFrom('oauth_clients').select('id').where('consumer_id', '=', consumerId);
    await trx.deleteFrom('oauth_client_secrets').where('client_id', 'in', clientIds).execute();
    await trx.deleteFrom('oauth_clients').where('consumer_id', '=', consumerId).execute();
  });
}

export function createOAuthStoreMethods(db: Kysely<Database>, { getConsumer }: OAuthMethodDeps): OAuthStore {
  async function getClient(id: string): Promise<OAuthClientRecord | undefined> {
    const row = await db.selectFrom('oauth_clients').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toClient(row) : undefined;
  }

  async function listClientSecrets(clientId: string): Promise<ClientSecretRecord[]> {
    const rows = await db.selectFrom('oauth_client_secrets').selectAll().where('client_id', '=', clientId).orderBy('id').execute();
    return rows.map(toSecret);
  }

  return {
    async insertClient(c) {
      await db.insertInto('oauth_clients').values(clientRow(c)).execute();
    },

    getClient,

    async findClientWithSecrets(id) {
      const client = await getClient(id);
      if (!client) return undefined;
      const consumer = await getConsumer(client.consumerId);
      if (!consumer) return undefined;
      return { client, consumer, secrets: await listClientSecrets(id) };
    },

    async listClients(consumerId, { after, limit }): Promise<Page<OAuthClientRecord>> {
      let query = db
        .selectFrom('oauth_clients')
        .selectAll()
        .where('consumer_id', '=', consumerId)
        .orderBy('id')
        .limit(limit + 1);
      if (after) query = query.where('id', '>', after);
      const rows = (await query.execute()).map(toClient);
      const items = rows.slice(0, limit);
      return { items, nextCursor: rows.length > limit ? items[items.length - 1]!.id : null };
    },

    async updateClient(id, patch) {
      const values: Updateable<OAuthClientsTable> = { updated_at: patch.updatedAt };
      if (patch.name !== undefined) values.name = patch.name;
      if (patch.scopes !== undefined) values.scopes = json(patch.scopes);
      if (patch.audiences !== undefined) values.audiences = json(patch.audiences);
      if (patch.tokenTtlSeconds !== undefined) values.token_ttl_seconds = patch.tokenTtlSeconds;
      if (patch.authMethods !== undefined) values.auth_method = patch.authMethods.join(' ');
      if (patch.jwks !== undefined) values.jwks = patch.jwks === null ? null : json(patch.jwks);
      if (patch.enabled !== undefined) values.enabled = patch.enabled ? 1 : 0;
      if (patch.tokensRevokedBefore !== undefined) values.tokens_revoked_before = patch.tokensRevokedBefore;
      if (patch.rateLimit !== undefined) values.rate_limit = patch.rateLimit === null ? null : json(patch.rateLimit);
      if (patch.quota !== undefined) values.quota = patch.quota === null ? null : json(patch.quota);
      if (patch.allowedIps !== undefined) values.allowed_ips = patch.allowedIps.length === 0 ? null : json(patch.allowedIps);
      const result = await db.updateTable('oauth_clients').set(values).where('id', '=', id).executeTakeFirst();
      if (Number(result.numUpdatedRows) === 0) return undefined;
      return getClient(id);
    },

    deleteClient(id) {
      return atomically(db, async (trx) => {
        await trx.deleteFrom('oauth_client_secrets').where('client_id', '=', id).execute();
        const result = await trx.deleteFrom('oauth_clients').where('id', '=', id).executeTakeFirst();
        return Number(result.numDeletedRows) > 0;
      });
    },

    async insertClientSecret(s) {
      await db
        .insertInto('oauth_client_secrets')
        .values({ id: s.id, client_id: s.clientId, hash: s.hash, masked: s.masked, expires_at: s.expiresAt, created_at: s.createdAt })
        .execute();
    },

    listClientSecrets,

    async expireClientSecrets(clientId, expiresAt, keepId) {
      await db
        .updateTable('oauth_client_secrets')
        .set({ expires_at: expiresAt })
        .where('client_id', '=', clientId)
        .where('id', '!=', keepId)
        .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', expiresAt)]))
        .execute();
    },

    async deleteClientSecretsExpiredBefore(time) {
      const result = await db.deleteFrom('oauth_client_secrets').where('expires_at', '<', time).executeTakeFirst();
      return Number(result.numDeletedRows);
    },

    async insertSigningKey(k) {
      await db
        .insertInto('oauth_signing_keys')
        .values({
          id: k.id,
          alg: k.alg,
          public_jwk: json(k.publicJwk),
          private_key_sealed: k.privateKeySealed,
          created_at: k.createdAt,
          activates_at: k.activatesAt,
          retires_at: k.retiresAt,
          remove_after: k.removeAfter,
        })
        .execute();
    },

    async listSigningKeys() {
      const rows = await db.selectFrom('oauth_signing_keys').selectAll().orderBy('activates_at').orderBy('id').execute();
      return rows.map(toSigningKey);
    },

    async updateSigningKey(id, patch) {
      const values: Partial<OAuthSigningKeysTable> = {};
      if (patch.retiresAt !== undefined) values.retires_at = patch.retiresAt;
      if (patch.removeAfter !== undefined) values.remove_after = patch.removeAfter;
      if (Object.keys(values).length > 0) await db.updateTable('oauth_signing_keys').set(values).where('id', '=', id).execute();
      const row = await db.selectFrom('oauth_signing_keys').selectAll().where('id', '=', id).executeTakeFirst();
      return row ? toSigningKey(row) : undefined;
    },

    async deleteSigningKeysRemovedBefore(time) {
      const result = await db.deleteFrom('oauth_signing_keys').where('remove_after', '<', time).executeTakeFirst();
      return Number(result.numDeletedRows);
    },

    async insertRevokedToken(e) {
      await db
        .insertInto('oauth_revoked_tokens')
        .values({ jti: e.jti, client_id: e.clientId, expires_at: e.expiresAt, revoked_at: e.revokedAt })
        .onConflict((oc) => oc.column('jti').doNothing())
        .execute();
    },

    async findRevokedToken(jti) {
      const row = await db.selectFrom('oauth_revoked_tokens').selectAll().where('jti', '=', jti).executeTakeFirst();
      return row ? toRevoked(row) : undefined;
    },

    async listRevokedTokensSince(since, now) {
      const rows = await db.selectFrom('oauth_revoked_tokens').selectAll().where('revoked_at', '>=', since).where('expires_at', '>', now).execute();
      return rows.map(toRevoked);
    },

    async deleteRevokedTokensExpiredBefore(time) {
      const result = await db.deleteFrom('oauth_revoked_tokens').where('expires_at', '<', time).executeTakeFirst();
      return Number(result.numDeletedRows);
    },

    async recordAssertionJti(clientId, jti, expiresAt) {
      const result = await db
        .insertInto('oauth_assertion_jtis')
        .values({ client_id: clientId, jti, expires_at: expiresAt })
        .onConflict((oc) => oc.columns(['client_id', 'jti']).doNothing())
        .executeTakeFirst();
      return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
    },

    async deleteAssertionJtisExpiredBefore(time) {
      const result = await db.deleteFrom('oauth_assertion_jtis').where('expires_at', '<', time).executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}
