// One TypeBox schema per admin route part: it validates the request, types the handler and
// becomes the OpenAPI document.
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { idPattern } from '../lib/ids.js';

const Name = Type.String({ minLength: 1, maxLength: 200 });
const Scope = Type.String({ minLength: 1, maxLength: 200, pattern: '^[\\x21-\\x7e]+$' });
const Scopes = Type.Array(Scope, { maxItems: 200 });
const Metadata = Type.Object({}, { additionalProperties: true, description: 'Any JSON object, at most 8 KB serialised' });
const Timestamp = Type.String({ format: 'date-time' });
const NullableTimestamp = Type.Union([Timestamp, Type.Null()]);

const RateLimit = Type.Object(
  {
    limit: Type.Integer({ minimum: 1, maximum: 1_000_000_000 }),
    window: Type.String({ pattern: '^[0-9]{1,9}(ms|s|m|h|d)$', description: 'A duration from 1s to 365d: 10s, 1m, 1h, 1d' }),
    by: Type.Optional(Type.Union([Type.Literal('consumer'), Type.Literal('credential'), Type.Literal('ip'), Type.Literal('route')])),
  },
  {
    additionalProperties: false,
    description: 'At most `limit` requests per sliding `window`; `limit` × the window in milliseconds stays under 2^53 (src/limits/settings.ts)',
  },
);
const Quota = Type.Object(
  {
    limit: Type.Integer({ minimum: 0, maximum: 1_000_000_000_000 }),
    period: Type.Union([Type.Literal('day'), Type.Literal('month'), Type.Literal('total')]),
  },
  { additionalProperties: false, description: 'Usage credits per UTC day, UTC month, or in total' },
);
export const NullableRateLimit = Type.Union([RateLimit, Type.Null()]);
export const NullableQuota = Type.Union([Quota, Type.Null()]);

// In responses, a policy is shown as stored, even one written around these checks (the gateway
// refuses its caller with LIMIT_POLICY_INVALID): reading it must not fail, or the operator could
// not find what to fix.
const AsStored = Type.Unknown({ description: 'A stored value that is not a valid policy; the gateway answers 503 LIMIT_POLICY_INVALID until it is fixed' });
export const StoredRateLimit = Type.Union([RateLimit, Type.Null(), AsStored]);
export const StoredQuota = Type.Union([Quota, Type.Null(), AsStored]);

export const QuotaStatus = Type.Union(
  [
    Type.Object({
      limit: Type.Integer(),
      period: Type.String(),
      used: Type.Integer(),
      remaining: Type.Integer(),
      resetAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
    }),
    Type.Null(),
  ],
  { description: 'Usage credits left in the current period; null without a quota' },
);

export const ConsumerId = Type.String({ pattern: idPattern('con'), description: 'Consumer id (`con_…`)' });
export const KeyId = Type.String({ pattern: idPattern('key'), description: 'API key id (`key_…`)' });

export const ConsumerParams = Type.Object({ id: ConsumerId });
export const KeyParams = Type.Object({ keyId: KeyId });

export const PageQuery = Type.Object(
  {
    cursor: Type.Optional(Type.String({ maxLength: 200 })),
    limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }),
  },
  { additionalProperties: false },
);

export const ConsumerCreate = Type.Object(
  {
    name: Name,
    metadata: Type.Optional(Metadata),
    scopes: Type.Optional(Scopes),
    enabled: Type.Optional(Type.Boolean()),
    externalIds: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 500 }), { maxItems: 100 })),
    rateLimit: Type.Optional(NullableRateLimit),
    quota: Type.Optional(NullableQuota),
  },
  { additionalProperties: false },
);
export const ConsumerUpdate = Type.Partial(ConsumerCreate, { additionalProperties: false, minProperties: 1 });

export const Consumer = Type.Object({
  id: Type.String(),
  name: Type.String(),
  metadata: Metadata,
  scopes: Type.Array(Type.String()),
  enabled: Type.Boolean(),
  externalIds: Type.Array(Type.String()),
  rateLimit: StoredRateLimit,
  quota: StoredQuota,
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export const ConsumerWithQuota = Type.Composite([Consumer, Type.Object({ quotaStatus: QuotaStatus })]);

export const KeyCreate = Type.Object(
  {
    name: Type.Optional(Type.String({ maxLength: 200 })),
    scopes: Type.Optional(Scopes),
    metadata: Type.Optional(Metadata),
    expiresAt: Type.Optional(NullableTimestamp),
    enabled: Type.Optional(Type.Boolean()),
    rateLimit: Type.Optional(NullableRateLimit),
    quota: Type.Optional(NullableQuota),
  },
  { additionalProperties: false },
);
export const KeyUpdate = Type.Partial(KeyCreate, { additionalProperties: false, minProperties: 1 });

export const KeyRoll = Type.Object(
  {
    expireOldInSeconds: Type.Integer({ minimum: 0, maximum: 366 * 86_400, default: 0 }),
    expiresAt: Type.Optional(NullableTimestamp),
  },
  { additionalProperties: false },
);

export const Key = Type.Object({
  id: Type.String(),
  consumerId: Type.String(),
  name: Type.String(),
  masked: Type.String({ description: 'Prefix, first 4 and last 4 characters' }),
  scopes: Type.Array(Type.String()),
  metadata: Metadata,
  expiresAt: NullableTimestamp,
  enabled: Type.Boolean(),
  revokedAt: NullableTimestamp,
  lastUsedAt: NullableTimestamp,
  rateLimit: StoredRateLimit,
  quota: StoredQuota,
  createdAt: Timestamp,
  updatedAt: Timestamp,
});

export const KeyWithQuota = Type.Composite([Key, Type.Object({ quotaStatus: QuotaStatus })]);

export const IssuedKey = Type.Composite([
  Key,
  Type.Object({ key: Type.String({ description: 'The plaintext key. Shown once: store it now.' }) }),
]);

export const RolledKey = Type.Composite([IssuedKey, Type.Object({ oldKey: Key })]);

export const VerifyRequest = Type.Object(
  {
    key: Type.String({ maxLength: 4096 }),
    scopes: Type.Optional(Scopes),
  },
  { additionalProperties: false },
);

export const VerifyResponse = Type.Object({
  valid: Type.Boolean(),
  code: Type.Union(
    ['VALID', 'MALFORMED', 'NOT_FOUND', 'EXPIRED', 'REVOKED', 'DISABLED', 'INSUFFICIENT_SCOPE', 'RATE_LIMITED', 'QUOTA_EXCEEDED'].map(
      (c) => Type.Literal(c),
    ),
  ),
  keyId: Type.Optional(Type.String()),
  consumer: Type.Optional(Type.Object({ id: Type.String(), name: Type.String(), metadata: Metadata })),
  scopes: Type.Optional(Type.Array(Type.String())),
  metadata: Type.Optional(Metadata),
  expiresAt: Type.Optional(NullableTimestamp),
  missingScopes: Type.Optional(Type.Array(Type.String())),
  quotas: Type.Optional(
    Type.Object(
      { consumer: Type.Optional(QuotaStatus), key: Type.Optional(QuotaStatus) },
      { description: 'Usage credits of the consumer and of the key, when they have quotas' },
    ),
  ),
});

export const AuditQuery = Type.Object(
  {
    actor: Type.Optional(Type.String({ maxLength: 200 })),
    action: Type.Optional(Type.String({ maxLength: 100 })),
    targetType: Type.Optional(Type.String({ maxLength: 50 })),
    targetId: Type.Optional(Type.String({ maxLength: 200 })),
    from: Type.Optional(Timestamp),
    to: Type.Optional(Timestamp),
    cursor: Type.Optional(Type.String({ maxLength: 200 })),
    limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }),
  },
  { additionalProperties: false },
);

export const AuditEvent = Type.Object({
  id: Type.String(),
  at: Timestamp,
  actor: Type.String(),
  action: Type.String(),
  targetType: Type.String(),
  targetId: Type.String(),
  sourceIp: Type.Union([Type.String(), Type.Null()]),
  details: Type.Object({}, { additionalProperties: true }),
});

export const Problem = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    code: Type.String(),
    detail: Type.Optional(Type.String()),
    instance: Type.Optional(Type.String()),
    errors: Type.Optional(Type.Array(Type.Object({ field: Type.String(), message: Type.String() }))),
  },
  { additionalProperties: true, description: 'RFC 9457 problem details' },
);

export const listOf = <T extends TSchema>(item: T) =>
  Type.Object({ items: Type.Array(item), nextCursor: Type.Union([Type.String(), Type.Null()]) });

export type ConsumerCreateBody = Static<typeof ConsumerCreate>;
export type ConsumerUpdateBody = Static<typeof ConsumerUpdate>;
export type KeyCreateBody = Static<typeof KeyCreate>;
export type KeyUpdateBody = Static<typeof KeyUpdate>;
export type KeyRollBody = Static<typeof KeyRoll>;
export type PageQueryType = Static<typeof PageQuery>;
export type AuditQueryType = Static<typeof AuditQuery>;
