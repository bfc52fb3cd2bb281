// The OAuth part of the Store port: clients and their secrets, signing keys, the token denylist and
// the private_key_jwt replay cache. Composed into `Store` (store/types.ts).
import type { JsonObject } from '../lib/json.js';
import type { ConsumerRecord, Page, PageRequest, QuotaPolicy, RateLimitPolicy } from './records.js';

export type ClientAuthMethod = 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt';
/** What a secret client created without an explicit method accepts (RFC 6749 §2.3.1 lets a server take both). */
export const SECRET_AUTH_METHODS: readonly ClientAuthMethod[] = ['client_secret_basic', 'client_secret_post'];
export type SigningAlg = 'ES256' | 'EdDSA' | 'RS256';

export interface OAuthClientRecord {
  /** The client_id, `cli_…`. */
  id: string;
  consumerId: string;
  name: string;
  /** Scopes the client may request; a subset of its consumer's. */
  scopes: string[];
  /** Audiences (`aud`) the client may request tokens for. */
  audiences: string[];
  tokenTtlSeconds: number;
  /**
   * The methods the client may authenticate with at the token endpoint: one when an operator pinned it,
   * both secret methods (SECRET_AUTH_METHODS, in that order) when the client was created without one.
   */
  authMethods: ClientAuthMethod[];
  /** Registered public keys (a JWK Set) for private_key_jwt; null otherwise. */
  jwks: JsonObject | null;
  enabled: boolean;
  /** Every token of this client issued before this time (ms) is revoked; null = none. */
  tokensRevokedBefore: number | null;
  /** The client's own rate limit and quota, counted per client (src/limits). */
  rateLimit: RateLimitPolicy | null;
  quota: QuotaPolicy | null;
  /** Addresses and CIDR blocks the client may get tokens from and use them from; empty = any. */
  allowedIps: string[];
  createdAt: number;
  updatedAt: number;
  /** The id an import gave the client; absent or null for clients made here. */
  externalId?: string | null;
}

export interface ClientSecretRecord {
  /** `sec_…` */
  id: string;
  clientId: string;
  /** SHA-256 of the secret, hex. */
  hash: string;
  masked: string;
  /** Set when the secret was rotated away (or given an expiry); null = no expiry. */
  expiresAt: number | null;
  createdAt: number;
}

export interface SigningKeyRecord {
  /** The `kid`, `sk_…`. */
  id: string;
  alg: SigningAlg;
  /** Public JWK with kid, alg and use. */
  publicJwk: JsonObject;
  /** PKCS#8 private key sealed with AES-256-GCM under the master key. */
  privateKeySealed: string;
  createdAt: number;
  /** From this time the key may sign (it is published in the JWKS before). */
  activatesAt: number;
  /** From this time the key no longer signs; null = until a newer key activates. */
  retiresAt: number | null;
  /** From this time the key leaves the JWKS (its last token has expired); null = not scheduled. */
  removeAfter: number | null;
}

export interface RevokedTokenRecord {
  jti: string;
  clientId: string;
  /** The token's own expiry: the entry is useless, and pruned, after it. */
  expiresAt: number;
  revokedAt: number;
}

export interface ClientWithSecrets {
  client: OAuthClientRecord;
  consumer: ConsumerRecord;
  secrets: ClientSecretRecord[];
}

export type ClientPatch = Partial<
  Pick<
    OAuthClientRecord,
    'name' | 'scopes' | 'audiences' | 'tokenTtlSeconds' | 'authMethods' | 'jwks' | 'enabled' | 'tokensRevokedBefore' | 'rateLimit' | 'quota' | 'allowedIps'
  >
> & { updatedAt: number };

export type SigningKeyPatch = Partial<Pick<SigningKeyRecord, 'retiresAt' | 'removeAfter'>>;

export interface OAuthStore {
  insertClient(client: OAuthClientRecord): Promise<void>;
  getClient(id: string): Promise<OAuthClientRecord | undefined>;
  /** The client, its consumer and all its secrets in one call: what client authentication needs. */
  findClientWithSecrets(id: string): Promise<ClientWithSecrets | undefined>;
  listClients(consumerId: string, page: PageRequest): Promise<Page<OAuthClientRecord>>;
  updateClient(id: string, patch: ClientPatch): Promise<OAuthClientRecord | undefined>;
  /** Deletes the client and its secrets. */
  deleteClient(id: string): Promise<boolean>;

  insertClientSecret(secret: ClientSecretRecord): Promise<void>;
  listClientSecrets(clientId: string): Promise<ClientSecretRecord[]>;
  /** Sets the expiry of every secret of the client that has none or a later one, except `keepId`. */
  expireClientSecrets(clientId: string, expiresAt: number, keepId: string): Promise<void>;
  deleteClientSecretsExpiredBefore(time: number): Promise<number>;

  insertSigningKey(key: SigningKeyRecord): Promise<void>;
  /** Oldest first. */
  listSigningKeys(): Promise<SigningKeyRecord[]>;
  updateSigningKey(id: string, patch: SigningKeyPatch): Promise<SigningKeyRecord | undefined>;
  deleteSigningKeysRemovedBefore(time: number): Promise<number>;

  /** Adds a denylist entry; a second revocation of the same jti changes nothing. */
  insertRevokedToken(entry: RevokedTokenRecord): Promise<void>;
  findRevokedToken(jti: string): Promise<RevokedTokenRecord | undefined>;
  /** Entries revoked at or after `since` that have not expired at `now`. */
  listRevokedTokensSince(since: number, now: number): Promise<RevokedTokenRecord[]>;
  deleteRevokedTokensExpiredBefore(time: number): Promise<number>;

  /** Records a client assertion's jti; false when it was seen before (a replay). */
  recordAssertionJti(clientId: string, jti: string, expiresAt: number): Promise<boolean>;
  deleteAssertionJtisExpiredBefore(time: number): Promise<number>;
}
