// TypeBox schemas of the webhook routes (admin API and portal): they validate requests, type
// handlers and become the OpenAPI documents (and portcullis/admin's types).
import { type Static, Type } from '@sinclair/typebox';
import { idPattern } from '../lib/ids.js';
import { WEBHOOK_EVENT_TYPES } from '../webhooks/events.js';
import { MAX_SECRET_OVERLAP_SECONDS } from '../webhooks/service.js';
import { ConsumerId, PageQuery, pageOf, ref } from './schemas.js';

const Timestamp = Type.String({ format: 'date-time' });
const NullableTimestamp = Type.Union([Timestamp, Type.Null()]);

export const WebhookEventType = Type.Union(
  WEBHOOK_EVENT_TYPES.map((t) => Type.Literal(t)),
  { description: 'An event type (docs/lifecycle.md#webhooks)' },
);
export const WebhookId = Type.String({ pattern: idPattern('whk'), description: 'Webhook endpoint id (`whk_…`)' });
export const WebhookDeliveryId = Type.String({ pattern: idPattern('msg'), description: 'Delivery (message) id (`msg_…`), sent as `webhook-id`' });
export const WebhookParams = Type.Object({ webhookId: WebhookId });
export const WebhookDeliveryParams = Type.Object({ webhookId: WebhookId, deliveryId: WebhookDeliveryId });

const endpointFields = {
  url: Type.String({ format: 'uri', minLength: 1, maxLength: 2000, description: 'http(s) URL; loopback and private addresses need allowPrivateNetworks' }),
  events: Type.Array(WebhookEventType, { minItems: 1, maxItems: WEBHOOK_EVENT_TYPES.length, uniqueItems: true }),
  description: Type.Optional(Type.String({ maxLength: 500 })),
  enabled: Type.Optional(Type.Boolean()),
  allowPrivateNetworks: Type.Optional(Type.Boolean({ description: 'Let this endpoint reach loopback, link-local and private addresses' })),
};

/**
 * What a consumer's owners send from the portal: no `consumerId` (it is theirs), and no
 * `allowPrivateNetworks` — only an operator may let an endpoint reach private addresses (SSRF).
 */
const { allowPrivateNetworks: _operatorsOnly, ...portalFields } = endpointFields;
export const PortalWebhookCreate = Type.Object(portalFields, { $id: 'PortalWebhookCreate', additionalProperties: false });
export const PortalWebhookUpdate = Type.Partial(Type.Object(portalFields), { $id: 'PortalWebhookUpdate', additionalProperties: false, minProperties: 1 });
/** What an operator sends from the portal for a consumer's endpoint: the consumer is the path's; private addresses are theirs to allow. */
export const OperatorWebhookCreate = Type.Object(endpointFields, { $id: 'OperatorWebhookCreate', additionalProperties: false });
export const WebhookCreate = Type.Object(
  {
    ...endpointFields,
    consumerId: Type.Optional(
      Type.Union([ConsumerId, Type.Null()], { description: 'Only this consumer’s events; absent or null: every consumer’s (an operator’s endpoint)' }),
    ),
  },
  { $id: 'WebhookCreate', additionalProperties: false },
);
export const WebhookUpdate = Type.Partial(Type.Object(endpointFields), { $id: 'WebhookUpdate', additionalProperties: false, minProperties: 1 });

export const Webhook = Type.Object(
  {
    id: Type.String(),
    consumerId: Type.Union([Type.String(), Type.Null()]),
    url: Type.String(),
    description: Type.String(),
    events: Type.Array(Type.String()),
    enabled: Type.Boolean(),
    allowPrivateNetworks: Type.Boolean(),
    disabledReason: Type.Union([Type.String(), Type.Null()], { description: 'Why Portcullis disabled the endpoint' }),
    consecutiveFailures: Type.Integer(),
    secrets: Type.Array(Type.Object({ id: Type.String(), createdAt: Timestamp, expiresAt: NullableTimestamp }), {
      description: 'The signing secrets in use (never their value); an old one signs alongside the new one until it expires',
    }),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  },
  { $id: 'Webhook' },
);
export const WebhookPage = pageOf(Webhook);

export const IssuedWebhook = Type.Composite(
  [Webhook, Type.Object({ secret: Type.String({ description: 'The signing secret (`whsec_…`). Shown once: store it now.' }) })],
  { $id: 'IssuedWebhook' },
);

export const WebhookSecretRoll = Type.Object(
  { expireOldInSeconds: Type.Optional(Type.Integer({ minimum: 0, maximum: MAX_SECRET_OVERLAP_SECONDS, default: 0 })) },
  { $id: 'WebhookSecretRoll', additionalProperties: false },
);
export const RolledWebhookSecret = Type.Object(
  {
    webhookId: Type.String(),
    secret: Type.String({ description: 'The new signing secret. Shown once: store it now.' }),
    oldSecretsExpireAt: Timestamp,
  },
  { $id: 'RolledWebhookSecret', additionalProperties: false },
);

export const WebhookDelivery = Type.Object(
  {
    id: Type.String({ description: 'The message id, sent as `webhook-id` on every attempt' }),
    webhookId: Type.String(),
    eventType: Type.String(),
    status: Type.Union([Type.Literal('pending'), Type.Literal('delivered'), Type.Literal('failed')]),
    attempts: Type.Integer(),
    nextAttemptAt: NullableTimestamp,
    lastAttemptAt: NullableTimestamp,
    createdAt: Timestamp,
    payload: Type.Unsafe<Record<string, unknown>>(Type.Object({}, { additionalProperties: true, description: 'The body as sent' })),
    attemptLog: Type.Array(
      Type.Object({
        id: Type.String(),
        at: Timestamp,
        statusCode: Type.Union([Type.Integer(), Type.Null()]),
        error: Type.Union([Type.String(), Type.Null()]),
        durationMs: Type.Integer(),
      }),
    ),
  },
  { $id: 'WebhookDelivery' },
);
export const WebhookDeliveryPage = pageOf(WebhookDelivery);

export const WebhookQuery = Type.Object(
  {
    ...PageQuery.properties,
    consumer: Type.Optional(
      Type.String({ pattern: `(${idPattern('con')})|^operator$`, description: 'Only this consumer’s endpoints, or `operator` for the operators’ own' }),
    ),
  },
  { additionalProperties: false },
);
export const WebhookQueryWithDefaults = Type.Unsafe<Static<typeof WebhookQuery> & { limit: number }>(WebhookQuery);

export const WebhookRef = ref(Webhook);
