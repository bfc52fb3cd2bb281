// One TypeBox schema per admin route part: it validates the request, types the handler and
// becomes the OpenAPI document. Bodies are named (`$id`): they become the document's components and
// routes refer to them with `ref`, so generated clients get one type per name (src/admin/components.ts).
import { type Static, type TSchema, Type } from '@sinclair/typebox';
import { ERROR_CODES, type ErrorCode } from '../errors/codes.js';
import { idPattern } from '../lib/ids.js';

/**
 * A reference to a named schema (`{ $ref: "<$id>" }`; `#/components/schemas/<$id>` in the document)
 * that keeps the schema's static type.
 */
export function ref<T extends TSchema>(schema: T) {
  if (!schema.$id) throw new Error('ref() needs a schema with an $id');
  return Type.Unsafe<Static<T>>(Type.Ref(schema.$id));
}

const Name = Type.String({ minLength: 1, maxLength: 200 });
const Scope = Type.String({ minLength: 1, maxLength: 200, pattern: '^[\\x21-\\x7e]+$' });
const Scopes = Type.Array(Scope, { maxItems: 200 });
const Metadata = Type.Unsafe<Record<string, unknown>>(Type.Object({}, { additionalProperties: true, description: 'Any JSON object, at most 8 KB serialised' }));
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
/** `allowedIps` of a key, client or consumer; the service checks and normalises each entry (IP_ALLOWLIST_INVALID). */
export const AllowedIps = Type.Array(Type.String({ minLength: 1, maxLength: 64 }), {
  maxItems: 100,
  description:
    'IPv4/IPv6 addresses and CIDR blocks (10.0.0.0/8, 2001:db8::/32) the credential may be used from; empty = any address. ' +
    'Stored normalised (host bits cleared, IPv6 in RFC 5952 form). A key or client and its consumer must both allow the address',
});
const Duration = Type.String({ pattern: '^[0-9]{1,9}(ms|s|m|h|d)$', description: 'A duration such as 90d or 12h; 0s turns the rule off' });
const KeyPolicy = Type.Object(
  { maxKeyLifetime: Type.Optional(Duration), warnBeforeExpiry: Type.Optional(Duration), disableUnusedAfter: Type.Optional(Duration) },
  { additionalProperties: false, description: 'Key hygiene for this consumer’s keys; each field overrides the global `hygiene` setting (docs/lifecycle.md)' },
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
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
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
    allowedIps: Type.Optional(AllowedIps),
    keyPolicy: Type.Optional(Type.Union([KeyPolicy, Type.Null()])),
  },
  { $id: 'ConsumerCreate', additionalProperties: false },
);
export const ConsumerUpdate = Type.Partial(ConsumerCreate, { $id: 'ConsumerUpdate', additionalProperties: false, minProperties: 1 });

export const Consumer = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    metadata: Metadata,
    scopes: Type.Array(Type.String()),
    enabled: Type.Boolean(),
    externalIds: Type.Array(Type.String()),
    rateLimit: StoredRateLimit,
    quota: StoredQuota,
    allowedIps: Type.Array(Type.String()),
    keyPolicy: Type.Union([KeyPolicy, Type.Null()]),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  },
  { $id: 'Consumer' },
);
export const ConsumerWithQuota = Type.Composite([Consumer, Type.Object({ quotaStatus: QuotaStatus })], { $id: 'ConsumerWithQuota' });

export const KeyCreate = Type.Object(
  {
    name: Type.Optional(Type.String({ maxLength: 200 })),
    scopes: Type.Optional(Scopes),
    metadata: Type.Optional(Metadata),
    expiresAt: Type.Optional(NullableTimestamp),
    enabled: Type.Optional(Type.Boolean()),
    rateLimit: Type.Optional(NullableRateLimit),
    quota: Type.Optional(NullableQuota),
    allowedIps: Type.Optional(AllowedIps),
  },
  { $id: 'KeyCreate', additionalProperties: false },
);
export const KeyUpdate = Type.Partial(KeyCreate, { $id: 'KeyUpdate', additionalProperties: false, minProperties: 1 });

export const KeyRoll = Type.Object(
  {
    expireOldInSeconds: Type.Optional(Type.Integer({ minimum: 0, maximum: 366 * 86_400, default: 0 })),
    expiresAt: Type.Optional(NullableTimestamp),
  },
  { $id: 'KeyRoll', additionalProperties: false },
);

export const Key = Type.Object(
  {
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
    allowedIps: Type.Array(Type.String()),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  },
  { $id: 'Key' },
);

export const KeyWithQuota = Type.Composite([Key, Type.Object({ quotaStatus: QuotaStatus })], { $id: 'KeyWithQuota' });

export const IssuedKey = Type.Composite([Key, Type.Object({ key: Type.String({ description: 'The plaintext key. Shown once: store it now.' }) })], {
  $id: 'IssuedKey',
});

export const RolledKey = Type.Composite([IssuedKey, Type.Object({ oldKey: ref(Key) })], { $id: 'RolledKey' });

export const VerifyRequest = Type.Object(
  {
    key: Type.String({ maxLength: 4096 }),
    scopes: Type.Optional(Scopes),
  },
  { $id: 'VerifyRequest', additionalProperties: false },
);

export const VerifyResponse = Type.Object(
  {
    valid: Type.Boolean(),
    code: Type.Union(
      ['VALID', 'MALFORMED', 'NOT_FOUND', 'EXPIRED', 'REVOKED', 'DISABLED', 'INSUFFICIENT_SCOPE', 'RATE_LIMITED', 'QUOTA_EXCEEDED'].map((c) => Type.Literal(c)),
    ),
    keyId: Type.Optional(Type.String()),
    consumer: Type.Optional(Type.Object({ id: Type.String(), name: Type.String(), metadata: Metadata })),
    scopes: Type.Optional(Type.Array(Type.String())),
    metadata: Type.Optional(Metadata),
    expiresAt: Type.Optional(NullableTimestamp),
    missingScopes: Type.Optional(Type.Array(Type.String())),
    allowedIps: Type.Optional(
      Type.Object(
        { key: Type.Array(Type.String()), consumer: Type.Array(Type.String()) },
        { description: 'With VALID, when the key or its consumer has an IP allowlist: the addresses it may be used from (both must allow)' },
      ),
    ),
    quotas: Type.Optional(
      Type.Object(
        { consumer: Type.Optional(QuotaStatus), key: Type.Optional(QuotaStatus) },
        { description: 'Usage credits of the consumer and of the key, when they have quotas' },
      ),
    ),
  },
  { $id: 'VerifyResponse' },
);

export const AuditQuery = Type.Object(
  {
    actor: Type.Optional(Type.String({ maxLength: 200 })),
    action: Type.Optional(Type.String({ maxLength: 100 })),
    targetType: Type.Optional(Type.String({ maxLength: 50 })),
    targetId: Type.Optional(Type.String({ maxLength: 200 })),
    from: Type.Optional(Timestamp),
    to: Type.Optional(Timestamp),
    cursor: Type.Optional(Type.String({ maxLength: 200 })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
  },
  { additionalProperties: false },
);

export const AuditEvent = Type.Object(
  {
    id: Type.String(),
    at: Timestamp,
    actor: Type.String(),
    action: Type.String(),
    targetType: Type.String(),
    targetId: Type.String(),
    sourceIp: Type.Union([Type.String(), Type.Null()]),
    details: Type.Unsafe<Record<string, unknown>>(Type.Object({}, { additionalProperties: true })),
  },
  { $id: 'AuditEvent' },
);

export const Problem = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    code: Type.Unsafe<ErrorCode>({ type: 'string', enum: Object.keys(ERROR_CODES), description: 'A stable code from the registry (docs/errors.md)' }),
    detail: Type.Optional(Type.String()),
    instance: Type.Optional(Type.String()),
    errors: Type.Optional(Type.Array(Type.Object({ field: Type.String(), message: Type.String() }))),
  },
  { $id: 'Problem', additionalProperties: true, description: 'RFC 9457 problem details' },
);

/** One page of a list, named `<item>Page`; `nextCursor` is null on the last page. */
export const pageOf = <T extends TSchema>(item: T) =>
  Type.Object({ items: Type.Array(ref(item)), nextCursor: Type.Union([Type.String(), Type.Null()]) }, { $id: `${item.$id}Page` });

export const ConsumerPage = pageOf(Consumer);
export const KeyPage = pageOf(Key);
export const AuditEventPage = pageOf(AuditEvent);

export const UsageQuery = Type.Object(
  {
    consumer: Type.Optional(Type.String({ pattern: '^con_[0-9A-Za-z]{1,64}$' })),
    key: Type.Optional(Type.String({ pattern: '^key_[0-9A-Za-z]{1,64}$', description: 'An API key id' })),
    client: Type.Optional(Type.String({ pattern: '^cli_[0-9A-Za-z]{1,64}$', description: 'An OAuth client id' })),
    api: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    from: Type.Optional(Type.String({ format: 'date-time', description: 'Default: 24 hours before `to`' })),
    to: Type.Optional(Type.String({ format: 'date-time', description: 'Default: now' })),
    granularity: Type.Optional(Type.Union([Type.Literal('minute'), Type.Literal('hour'), Type.Literal('day')], { default: 'hour' })),
  },
  { additionalProperties: false },
);

const Counts = Type.Record(Type.String(), Type.Integer(), { description: 'Requests by status class (2xx, 4xx, …)' });
export const UsageReport = Type.Object(
  {
    granularity: Type.String(),
    from: Type.String({ format: 'date-time' }),
    to: Type.String({ format: 'date-time' }),
    total: Type.Integer(),
    counts: Counts,
    buckets: Type.Array(Type.Object({ start: Type.String({ format: 'date-time' }), total: Type.Integer(), counts: Counts })),
  },
  { $id: 'UsageReport' },
);

// The query schemas as their handlers see them (the same JSON, for the type provider): the validator
// has filled in the defaults. A caller sending a query uses the schemas' own types, defaults optional.
export const PageQueryWithDefaults = Type.Unsafe<Static<typeof PageQuery> & { limit: number }>(PageQuery);
export const AuditQueryWithDefaults = Type.Unsafe<Static<typeof AuditQuery> & { limit: number }>(AuditQuery);
export const UsageQueryWithDefaults = Type.Unsafe<Static<typeof UsageQuery> & { granularity: 'minute' | 'hour' | 'day' }>(UsageQuery);

/** `POST /admin/v1/restart`: the supervisor replaces the node's workers one at a time, after the answer. */
export const RestartAccepted = Type.Object(
  {
    status: Type.Literal('restarting'),
    detail: Type.String(),
  },
  { $id: 'RestartAccepted', additionalProperties: false },
);

/** Error responses every admin and portal route documents. */
export const errorResponses = {
  '4xx': ref(Problem),
  '5xx': ref(Problem),
} as const;

/** A 204 answer: documented as `null`, typed as no body, so the handler ends with `reply.code(204).send()`. */
export const noContent = Type.Unsafe<void>(Type.Null());
