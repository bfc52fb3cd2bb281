// Row shapes of the OAuth tables, with the same conventions as tables.ts: ms integers, 0/1, JSON text.
import type { ColumnType } from 'kysely';

export interface OAuthClientsTable {
  id: string;
  consumer_id: string;
  name: string;
  scopes: string;
  audiences: string;
  token_ttl_seconds: number;
  /** Space-separated methods, e.g. `client_secret_basic client_secret_post`; rows from before hold one. */
  auth_method: string;
  jwks: string | null;
  enabled: number;
  tokens_revoked_before: number | null;
  rate_limit: string | null;
  quota: string | null;
  allowed_ips: string | null;
  created_at: number;
  updated_at: number;
  /** The id an import gave the client (migration 0011); null for clients made here. */
  external_id: ColumnType<string | null, string | null | undefined, string | null>;
}

export interface OAuthClientSecretsTable {
  id: string;
  client_id: string;
  hash: string;
  masked: string;
  expires_at: number | null;
  created_at: number;
}

export interface OAuthSigningKeysTable {
  id: string;
  alg: string;
  public_jwk: string;
  private_key_sealed: string;
  created_at: number;
  activates_at: number;
  retires_at: number | null;
  remove_after: number | null;
}

export interface OAuthRevokedTokensTable {
  jti: string;
  client_id: string;
  expires_at: number;
  revoked_at: number;
}

export interface OAuthAssertionJtisTable {
  client_id: string;
  jti: string;
  expires_at: number;
}

export interface OAuthDatabase {
  oauth_clients: OAuthClientsTable;
  oauth_client_secrets: OAuthClientSecretsTable;
  oauth_signing_keys: OAuthSigningKeysTable;
  oauth_revoked_tokens: OAuthRevokedTokensTable;
  oauth_assertion_jtis: OAuthAssertionJtisTable;
}
