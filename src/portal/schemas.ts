// The portal's own named schemas: what members may send (a subset of the admin API's bodies) and the
// few answers the admin API has no shape for. Everything else is the admin API's (src/admin/schemas.ts).
import { Type } from '@sinclair/typebox';
import { ClientCreate, ClientId } from '../admin/oauth-schemas.js';
import { ConsumerId, KeyCreate, KeyId, KeyWithQuota, PageQuery, pageOf, QuotaStatus, StoredQuota, StoredRateLimit, UsageReport } from '../admin/schemas.js';
import { OperatorWebhookCreate, PortalWebhookCreate, PortalWebhookUpdate } from '../admin/webhook-schemas.js';

// Metadata and the enabled state stay the operators' (the gateway hands metadata to the upstream).
// allowedIps only narrows where a member's own credential works, so members may set it.
export const PortalKeyCreate = Type.Pick(KeyCreate, ['name', 'scopes', 'expiresAt', 'rateLimit', 'quota', 'allowedIps'], {
  $id: 'PortalKeyCreate',
  additionalProperties: false,
});
export const PortalKeyUpdate = Type.Pick(KeyCreate, ['name', 'expiresAt', 'allowedIps'], {
  $id: 'PortalKeyUpdate',
  additionalProperties: false,
  minProperties: 1,
});
// Audiences and the enabled state stay the operators'.
export const PortalClientCreate = Type.Pick(ClientCreate, ['name', 'scopes', 'tokenTtlSeconds', 'authMethod', 'jwks', 'rateLimit', 'quota', 'allowedIps'], {
  $id: 'PortalClientCreate',
  additionalProperties: false,
});

// A member renames a client, replaces its JWK Set (private_key_jwt, checked as at creation) or its allowedIps.
export const PortalClientUpdate = Type.Pick(ClientCreate, ['name', 'jwks', 'allowedIps'], {
  $id: 'PortalClientUpdate',
  additionalProperties: false,
  minProperties: 1,
});

export const KeyWithQuotaPage = pageOf(KeyWithQuota);

const LimitsOf = Type.Object({
  id: Type.String(),
  rateLimit: StoredRateLimit,
  quota: StoredQuota,
  quotaStatus: QuotaStatus,
});
export const PortalUsageReport = Type.Composite(
  [
    UsageReport,
    Type.Object({
      limits: Type.Object(
        { consumer: LimitsOf, credential: Type.Union([LimitsOf, Type.Null()]) },
        { description: 'The consumer’s rate limit, quota and credits left, and the filtered key’s or client’s' },
      ),
    }),
  ],
  { $id: 'PortalUsageReport' },
);

export const ApiSummary = Type.Object(
  {
    name: Type.String(),
    basePath: Type.String(),
    auth: Type.Array(Type.String()),
    scopes: Type.Array(Type.String()),
    hasOpenApi: Type.Boolean(),
  },
  { $id: 'ApiSummary' },
);
export const ApiList = Type.Array(ApiSummary, { $id: 'ApiList' });

export const OpenApiDocument = Type.Object({}, { $id: 'OpenApiDocument', additionalProperties: true, description: 'An OpenAPI 3.0/3.1 document' });

export const portalComponents = {
  PortalWebhookCreate,
  PortalWebhookUpdate,
  OperatorWebhookCreate,
  PortalKeyCreate,
  PortalKeyUpdate,
  PortalClientCreate,
  PortalClientUpdate,
  KeyWithQuotaPage,
  PortalUsageReport,
  ApiSummary,
  ApiList,
  OpenApiDocument,
} as const;

export const PortalUsageQuery = Type.Object(
  {
    keyId: Type.Optional(KeyId),
    clientId: Type.Optional(ClientId),
    api: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    from: Type.Optional(Type.String({ format: 'date-time', description: 'Default: 24 hours before `to`' })),
    to: Type.Optional(Type.String({ format: 'date-time', description: 'Default: now' })),
    granularity: Type.Optional(Type.Union([Type.Literal('hour'), Type.Literal('day')], { default: 'hour' })),
  },
  { additionalProperties: false },
);

export const ConsumerSearchQuery = Type.Composite(
  [PageQuery, Type.Object({ search: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'A consumer id, or text its name contains' })) })],
  { additionalProperties: false },
);

export const ApiParams = Type.Object({ name: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$' }) });
export const OperatorConsumerParams = Type.Object({ id: ConsumerId });
