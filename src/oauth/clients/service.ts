// OAuth client lifecycle: create, change, delete, rotate the secret with overlap, revoke all tokens.
// A plaintext secret exists only in the value create and rotateSecret return; the store gets its hash.
import type { Actor, AuditLog } from '../../audit/log.js';
import { PortcullisError } from '../../errors/codes.js';
import { generateKey, hashKey, maskKey } from '../../keys/format.js';
import type { Clock } from '../../lib/clock.js';
import { decodeCursor, encodeCursor } from '../../lib/cursor.js';
import { newId } from '../../lib/ids.js';
import { normaliseAllowedIps } from '../../lib/ip-allowlist.js';
import { uniqueStrings } from '../../lib/validate.js';
import { type ClientAuthMethod, type ClientSecretRecord, type OAuthClientRecord, SECRET_AUTH_METHODS } from '../../store/oauth-types.js';
import type { ConsumerRecord, JsonObject, Page, QuotaPolicy, RateLimitPolicy, Store } from '../../store/types.js';
import { importJwks } from '../trusted-issuers/jwks-source.js';

export interface ClientInput {
  name?: string;
  scopes?: string[];
  audiences?: string[];
  tokenTtlSeconds?: number;
  /** A method pins the client to it; null (or left out at creation) = both secret methods. */
  authMethod?: ClientAuthMethod | null;
  jwks?: JsonObject | null;
  enabled?: boolean;
  rateLimit?: RateLimitPolicy | null;
  quota?: QuotaPolicy | null;
  /** Addresses and CIDR blocks the client may get and use tokens from; empty = any. */
  allowedIps?: string[];
}

export interface IssuedSecret {
  secret: string;
  record: ClientSecretRecord;
}

export interface ClientServiceDeps {
  store: Store;
  clock: Clock;
  audit: AuditLog;
  secretPrefix: string;
  defaultTokenTtlSeconds: number;
  maxTokenTtlSeconds: number;
  /** Called after any change that affects authentication or tokens of this client. */
  onChange: (clientId: string) => void;
}

export const MAX_SECRET_OVERLAP_SECONDS = 366 * 86_400;
const MAX_JWKS_KEYS = 20;
const AUDIENCE = /^[\x21-\x7e]{1,500}$/;

const isSecretMethod = (m: ClientAuthMethod) => m === 'client_secret_basic' || m === 'client_secret_post';
const methodsOf = (authMethod: ClientAuthMethod | null): ClientAuthMethod[] => (authMethod === null ? [...SECRET_AUTH_METHODS] : [authMethod]);

function checkJwks(jwks: JsonObject | null | undefined): JsonObject {
  if (!jwks || !Array.isArray(jwks.keys) || jwks.keys.length === 0) {
    throw new PortcullisError('INVALID_JWKS', 'private_key_jwt needs a JWK Set with at least one public signing key');
  }
  if (jwks.keys.length > MAX_JWKS_KEYS) throw new PortcullisError('INVALID_JWKS', `at most ${MAX_JWKS_KEYS} keys`);
  if (jwks.keys.some((k) => k && typeof k === 'object' && ('d' in k || (k as { kty?: unknown }).kty === 'oct'))) {
    throw new PortcullisError('INVALID_JWKS', 'register public keys only: a key holds private or symmetric material');
  }
  if (importJwks(jwks).length !== jwks.keys.length) {
    throw new PortcullisError('INVALID_JWKS', 'every key must be an EC (P-256/384/521), Ed25519 or RSA (≥ 2048 bits) signing key');
  }
  return { keys: jwks.keys };
}

export function createClientService(deps: ClientServiceDeps) {
  const { store, clock, audit } = deps;

  async function consumerOf(tx: Store, consumerId: string): Promise<ConsumerRecord> {
    const consumer = await tx.getConsumer(consumerId);
    if (!consumer) throw new PortcullisError('CONSUMER_NOT_FOUND', `no consumer ${consumerId}`);
    return consumer;
  }

  async function clientOf(tx: Store, clientId: string): Promise<OAuthClientRecord> {
    const client = await tx.getClient(clientId);
    if (!client) throw new PortcullisError('CLIENT_NOT_FOUND', `no client ${clientId}`);
    return client;
  }

  function checkScopes(scopes: string[], consumer: ConsumerRecord): string[] {
    const allowed = new Set(consumer.scopes);
    const extra = scopes.filter((s) => !allowed.has(s));
    if (extra.length > 0) {
      throw new PortcullisError('SCOPES_NOT_ALLOWED', `consumer ${consumer.id} does not allow: ${extra.join(', ')}`, { scopes: extra });
    }
    return uniqueStrings(scopes);
  }

  function checkAudiences(audiences: string[]): string[] {
    const bad = audiences.filter((a) => !AUDIENCE.test(a));
    if (bad.length > 0) throw new PortcullisError('AUDIENCES_NOT_ALLOWED', 'audiences are 1–500 printable characters without spaces');
    return uniqueStrings(audiences);
  }

  function checkTtl(seconds: number): number {
    if (!Number.isInteger(seconds) || seconds < 1) throw new PortcullisError('VALIDATION_FAILED', 'tokenTtl must be a whole number of seconds, at least 1');
    if (seconds > deps.maxTokenTtlSeconds) {
      throw new PortcullisError('TOKEN_TTL_TOO_LONG', `tokenTtl ${seconds}s is longer than oauth.maxTokenTtl (${deps.maxTokenTtlSeconds}s)`);
    }
    return seconds;
  }

  function mintSecret(clientId: string, now: number): IssuedSecret {
    const secret = generateKey(deps.secretPrefix);
    return {
      secret,
      record: { id: newId('sec', now), clientId, hash: hashKey(secret), masked: maskKey(secret, deps.secretPrefix), expiresAt: null, createdAt: now },
    };
  }

  return {
    async create(consumerId: string, input: ClientInput, actor: Actor): Promise<{ client: OAuthClientRecord; secret: IssuedSecret | null }> {
      const result = await store.transaction(async (tx) => {
        const consumer = await consumerOf(tx, consumerId);
        const now = clock.now();
        const authMethods = methodsOf(input.authMethod ?? null);
        const usesKeys = authMethods.includes('private_key_jwt');
        const client: OAuthClientRecord = {
          id: newId('cli', now),
          consumerId,
          name: input.name ?? '',
          scopes: checkScopes(input.scopes ?? consumer.scopes, consumer),
          audiences: checkAudiences(input.audiences ?? []),
          tokenTtlSeconds: checkTtl(input.tokenTtlSeconds ?? Math.min(deps.defaultTokenTtlSeconds, deps.maxTokenTtlSeconds)),
          authMethods,
          jwks: usesKeys ? checkJwks(input.jwks) : null,
          enabled: input.enabled ?? true,
          tokensRevokedBefore: null,
          rateLimit: input.rateLimit ?? null,
          quota: input.quota ?? null,
          allowedIps: normaliseAllowedIps(input.allowedIps ?? []),
          createdAt: now,
          updatedAt: now,
        };
        if (!usesKeys && input.jwks) {
          throw new PortcullisError('VALIDATION_FAILED', 'jwks is only for clients with authMethod private_key_jwt');
        }
        await tx.insertClient(client);
        const secret = authMethods.some(isSecretMethod) ? mintSecret(client.id, now) : null;
        if (secret) await tx.insertClientSecret(secret.record);
        await audit.record(
          tx,
          actor,
          'client.created',
          { type: 'client', id: client.id },
          {
            consumerId,
            authMethods,
            ...(secret ? { secret: secret.record.masked } : {}),
          },
        );
        return { client, secret };
      });
      deps.onChange(result.client.id);
      return result;
    },

    get: (clientId: string) => clientOf(store, clientId),

    async secrets(clientId: string): Promise<ClientSecretRecord[]> {
      await clientOf(store, clientId);
      return store.listClientSecrets(clientId);
    },

    async list(consumerId: string, cursor: string | undefined, limit: number): Promise<Page<OAuthClientRecord>> {
      await consumerOf(store, consumerId);
      const page = await store.listClients(consumerId, { after: decodeCursor(cursor), limit });
      return { items: page.items, nextCursor: encodeCursor(page.nextCursor) };
    },

    async update(clientId: string, input: ClientInput, actor: Actor): Promise<OAuthClientRecord> {
      const updated = await store.transaction(async (tx) => {
        const client = await clientOf(tx, clientId);
        const authMethods = input.authMethod === undefined ? client.authMethods : methodsOf(input.authMethod);
        let jwks = input.jwks === undefined ? client.jwks : input.jwks;
        if (authMethods.includes('private_key_jwt')) jwks = checkJwks(jwks);
        else if (input.jwks) throw new PortcullisError('VALIDATION_FAILED', 'jwks is only for clients with authMethod private_key_jwt');
        else jwks = null;
        const result = await tx.updateClient(clientId, {
          ...(input.name !== undefined ? { name: input.name } : {}),
          ...(input.scopes !== undefined ? { scopes: checkScopes(input.scopes, await consumerOf(tx, client.consumerId)) } : {}),
          ...(input.audiences !== undefined ? { audiences: checkAudiences(input.audiences) } : {}),
          ...(input.tokenTtlSeconds !== undefined ? { tokenTtlSeconds: checkTtl(input.tokenTtlSeconds) } : {}),
          ...(input.enabled !== undefined ? { enabled: input.enabled } : {}),
          ...(input.rateLimit !== undefined ? { rateLimit: input.rateLimit } : {}),
          ...(input.quota !== undefined ? { quota: input.quota } : {}),
          ...(input.allowedIps !== undefined ? { allowedIps: normaliseAllowedIps(input.allowedIps) } : {}),
          authMethods,
          jwks,
          updatedAt: clock.now(),
        });
        await audit.record(tx, actor, 'client.updated', { type: 'client', id: clientId }, { fields: Object.keys(input).sort() });
        return result!;
      });
      deps.onChange(clientId);
      return updated;
    },

    async delete(clientId: string, actor: Actor): Promise<void> {
      await store.transaction(async (tx) => {
        const client = await clientOf(tx, clientId);
        await tx.deleteClient(clientId);
        await audit.record(tx, actor, 'client.deleted', { type: 'client', id: clientId }, { consumerId: client.consumerId });
      });
      deps.onChange(clientId);
    },

    /** A new secret; the current ones stop working after `expireOldInSeconds` (0 = now). Never extends an expiry. */
    async rotateSecret(
      clientId: string,
      expireOldInSeconds: number,
      actor: Actor,
    ): Promise<{ client: OAuthClientRecord; issued: IssuedSecret; oldSecretsExpireAt: number }> {
      if (!Number.isInteger(expireOldInSeconds) || expireOldInSeconds < 0 || expireOldInSeconds > MAX_SECRET_OVERLAP_SECONDS) {
        throw new PortcullisError('VALIDATION_FAILED', `expireOldInSeconds must be an integer from 0 to ${MAX_SECRET_OVERLAP_SECONDS}`);
      }
      const result = await store.transaction(async (tx) => {
        const client = await clientOf(tx, clientId);
        if (!client.authMethods.some(isSecretMethod)) throw new PortcullisError('CLIENT_HAS_NO_SECRET', `client ${clientId} uses private_key_jwt`);
        const now = clock.now();
        const issued = mintSecret(clientId, now);
        const oldSecretsExpireAt = now + expireOldInSeconds * 1000;
        await tx.insertClientSecret(issued.record);
        await tx.expireClientSecrets(clientId, oldSecretsExpireAt, issued.record.id);
        const updated = await tx.updateClient(clientId, { updatedAt: now });
        await audit.record(
          tx,
          actor,
          'client.secret_rotated',
          { type: 'client', id: clientId },
          {
            secret: issued.record.masked,
            oldSecretsExpireAt: new Date(oldSecretsExpireAt).toISOString(),
          },
        );
        return { client: updated!, issued, oldSecretsExpireAt };
      });
      deps.onChange(clientId);
      return result;
    },

    /** Revokes every token of the client issued up to now; tokens issued afterwards work. */
    async revokeTokens(clientId: string, actor: Actor): Promise<OAuthClientRecord> {
      const updated = await store.transaction(async (tx) => {
        await clientOf(tx, clientId);
        const now = clock.now();
        const result = await tx.updateClient(clientId, { tokensRevokedBefore: now + 1, updatedAt: now });
        await audit.record(
          tx,
          actor,
          'client.tokens_revoked',
          { type: 'client', id: clientId },
          {
            revokedBefore: new Date(now + 1).toISOString(),
          },
        );
        return result!;
      });
      deps.onChange(clientId);
      return updated;
    },
  };
}

export type ClientService = ReturnType<typeof createClientService>;
