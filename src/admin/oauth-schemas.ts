// TypeBox schemas of the OAuth admin routes (clients, their secrets and tokens, signing keys): they
// validate requests, type handlers and become the OpenAPI document.
import { type Static, Type } from '@sinclair/typebox';
import { idPattern } from '../lib/ids.js';
import { AllowedIps, NullableQuota, NullableRateLimit, pageOf, ref, StoredQuota, StoredRateLimit } from './schemas.js';

const Timestamp = Type.String({ format: 'date-time' });
const NullableTimestamp = Type.Union([Timestamp, Type.Null()]);
const Scope = Type.String({ minLength: 1, maxLength: 200, pattern: '^[\\x21\\x23-\\x5b\\x5d-\\x7e]+$' });
const Audience = Type.String({ minLength: 1, maxLength: 500, pattern: '^[\\x21-\\x7e]+$', description: 'An `aud` value, e.g. https://api.example.com/orders' });
const AuthMethodName = Type.Union([Type.Literal('client_secret_basic'), Type.Literal('client_secret_post'), Type.Literal('private_key_jwt')]);
const AuthMethod = Type.Union([AuthMethodName, Type.Null()], {
  description:
    'Pins the client to one token endpoint auth method (RFC 7591 token_endpoint_auth_method). Left out or null: ' +
    'the client has a secret and accepts both client_secret_basic and client_secret_post (RFC 6749 §2.3.1)',
});
const Jwks = Type.Object(
  { keys: Type.Array(Type.Object({}, { additionalProperties: true }), { minItems: 1, maxItems: 20 }) },
  { additionalProperties: false, description: 'Public keys (JWK Set) the client signs private_key_jwt assertions with' },
);

export const ClientId = Type.String({ pattern: idPattern('cli'), description: 'OAuth client id (`cli_…`)' });
export const ClientParams = Type.Object({ clientId: ClientId });
export const TokenParams = Type.Object({
  jti: Type.String({ minLength: 1, maxLength: 256, pattern: '^[A-Za-z0-9._~:-]+$', description: 'The token’s `jti` claim' }),
});

export const ClientCreate = Type.Object(
  {
    name: Type.Optional(Type.String({ maxLength: 200 })),
    scopes: Type.Optional(Type.Array(Scope, { maxItems: 200, description: 'A subset of the consumer’s scopes (default: all of them)' })),
    audiences: Type.Optional(Type.Array(Audience, { maxItems: 50 })),
    tokenTtlSeconds: Type.Optional(Type.Integer({ minimum: 1, description: 'Default oauth.tokenTtl; at most oauth.maxTokenTtl' })),
    authMethod: Type.Optional(AuthMethod),
    jwks: Type.Optional(Type.Union([Jwks, Type.Null()])),
    enabled: Type.Optional(Type.Boolean()),
    rateLimit: Type.Optional(NullableRateLimit),
    quota: Type.Optional(NullableQuota),
    allowedIps: Type.Optional(AllowedIps),
  },
  { $id: 'ClientCreate', additionalProperties: false },
);
export const ClientUpdate = Type.Partial(ClientCreate, { $id: 'ClientUpdate', additionalProperties: false, minProperties: 1 });

export const ClientSecret = Type.Object({
  id: Type.String(),
  masked: Type.String({ description: 'Prefix, first 4 and last 4 characters' }),
  expiresAt: NullableTimestamp,
  createdAt: Timestamp,
});

export const Client = Type.Object(
  {
    clientId: Type.String(),
    consumerId: Type.String(),
    name: Type.String(),
    scopes: Type.Array(Type.String()),
    audiences: Type.Array(Type.String()),
    tokenTtlSeconds: Type.Integer(),
    authMethod: Type.Union([AuthMethodName, Type.Null()], { description: 'The method the client is pinned to; null = not pinned (see authMethods)' }),
    authMethods: Type.Array(AuthMethodName, { description: 'The methods the client may authenticate with at the token endpoint' }),
    jwks: Type.Union([Jwks, Type.Null()]),
    enabled: Type.Boolean(),
    tokensRevokedBefore: NullableTimestamp,
    rateLimit: StoredRateLimit,
    quota: StoredQuota,
    allowedIps: Type.Array(Type.String()),
    secrets: Type.Optional(Type.Array(ClientSecret)),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  },
  { $id: 'Client' },
);
export const ClientPage = pageOf(Client);

export const IssuedClient = Type.Intersect(
  [
    ref(Client),
    Type.Object({
      clientSecret: Type.Optional(Type.String({ description: 'Shown once: store it now' })),
    }),
  ],
  { $id: 'IssuedClient' },
);

export const SecretRotate = Type.Object(
  { expireOldInSeconds: Type.Optional(Type.Integer({ minimum: 0, maximum: 366 * 86_400, default: 0 })) },
  { $id: 'SecretRotate', additionalProperties: false },
);

export const RotatedSecret = Type.Object(
  {
    clientId: Type.String(),
    clientSecret: Type.String({ description: 'Shown once: store it now' }),
    secret: ClientSecret,
    oldSecretsExpireAt: Timestamp,
  },
  { $id: 'RotatedSecret' },
);

export const RevokedToken = Type.Object(
  {
    jti: Type.String(),
    revokedUntil: Timestamp,
  },
  { $id: 'RevokedToken' },
);

export const SigningKey = Type.Object(
  {
    kid: Type.String(),
    alg: Type.String(),
    state: Type.Union([Type.Literal('pending'), Type.Literal('active'), Type.Literal('retired')]),
    createdAt: Timestamp,
    activatesAt: Timestamp,
    retiresAt: NullableTimestamp,
    removeAfter: NullableTimestamp,
  },
  { $id: 'SigningKey' },
);
export const SigningKeyList = Type.Object({ items: Type.Array(ref(SigningKey)) }, { $id: 'SigningKeyList' });

export const SigningKeyRotate = Type.Object(
  {
    immediate: Type.Optional(
      Type.Boolean({
        default: false,
        description: 'For a compromised key: the new key signs at once and the old keys leave the JWKS now, so their tokens stop working',
      }),
    ),
  },
  { $id: 'SigningKeyRotate', additionalProperties: false },
);

export type ClientJwks = Static<typeof Jwks>;
