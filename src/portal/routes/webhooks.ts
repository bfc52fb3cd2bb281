// A consumer's webhook endpoints in the portal: its owners (or an operator, under admin/…) register,
// change, delete endpoints for that consumer's events, roll their secrets, read the delivery log and
// redeliver. Another consumer's endpoint is answered as an unknown one; private addresses stay an
// operator's decision (allowPrivateNetworks only under admin/…).
import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import { errorResponses, noContent, PageQueryWithDefaults, ref } from '../../admin/schemas.js';
import {
  IssuedWebhook,
  OperatorWebhookCreate,
  PortalWebhookCreate,
  PortalWebhookUpdate,
  RolledWebhookSecret,
  Webhook,
  WebhookDelivery,
  WebhookDeliveryId,
  WebhookDeliveryPage,
  WebhookId,
  WebhookPage,
  WebhookSecretRoll,
  WebhookUpdate,
} from '../../admin/webhook-schemas.js';
import { webhookDeliveryView, webhookView } from '../../admin/webhook-views.js';
import type { App } from '../../app.js';
import { PortcullisError } from '../../errors/codes.js';
import { operatorReach, type PrincipalOf, portalActor, type Reach } from '../reach.js';
import type { PortalServer } from './portal-server.js';

export function webhookRoutes(server: PortalServer, app: App, reach: Reach, principalOf: PrincipalOf): void {
  const ConsumerParams = Type.Object(reach.params);
  const WebhookParams = Type.Object({ ...reach.params, webhookId: WebhookId });
  const DeliveryParams = Type.Object({ ...reach.params, webhookId: WebhookId, deliveryId: WebhookDeliveryId });
  const { tags } = reach;
  const actor = (request: FastifyRequest) => portalActor(request, principalOf);
  /** The consumer whose endpoints the request acts on: an owner's own, or (operators) the one in the path. */
  const owner = (request: FastifyRequest): string => {
    const consumerId = reach.consumerIdOf(request);
    const principal = principalOf(request);
    if (!principal.operator && principal.membership?.role !== 'owner') {
      throw new PortcullisError('PORTAL_ROLE_REQUIRED', 'only an owner manages the webhooks of an organisation');
    }
    return consumerId;
  };
  const op = reach.operationId;
  const forOperators = reach === operatorReach;
  const CreateBody = forOperators ? OperatorWebhookCreate : PortalWebhookCreate;
  const UpdateBody = forOperators ? WebhookUpdate : PortalWebhookUpdate;

  server.get(
    `${reach.prefix}/webhooks`,
    {
      schema: {
        operationId: op('listWebhooks'),
        tags,
        summary: 'List the consumer’s webhook endpoints',
        params: ConsumerParams,
        querystring: PageQueryWithDefaults,
        response: { 200: ref(WebhookPage), ...errorResponses },
      },
    },
    async (request) => {
      const page = await app.webhooks.list({ consumerId: owner(request), cursor: request.query.cursor, limit: request.query.limit });
      return { items: page.items.map(webhookView), nextCursor: page.nextCursor };
    },
  );

  server.post(
    `${reach.prefix}/webhooks`,
    {
      schema: {
        operationId: op('createWebhook'),
        tags,
        summary: 'Register an endpoint for the consumer’s events; the answer is the only place its signing secret appears',
        params: ConsumerParams,
        body: ref(CreateBody),
        response: { 201: ref(IssuedWebhook), ...errorResponses },
      },
    },
    async (request, reply) => {
      const { endpoint, secret } = await app.webhooks.create(owner(request), request.body, actor(request));
      return reply.code(201).send({ ...webhookView(endpoint), secret });
    },
  );

  server.get(
    `${reach.prefix}/webhooks/:webhookId`,
    {
      schema: { operationId: op('getWebhook'), tags, summary: 'Get an endpoint', params: WebhookParams, response: { 200: ref(Webhook), ...errorResponses } },
    },
    async (request) => webhookView(await app.webhooks.get(request.params.webhookId, owner(request))),
  );

  server.patch(
    `${reach.prefix}/webhooks/:webhookId`,
    {
      schema: {
        operationId: op('updateWebhook'),
        tags,
        summary: 'Change an endpoint’s URL, events, description or enabled state',
        params: WebhookParams,
        body: ref(UpdateBody),
        response: { 200: ref(Webhook), ...errorResponses },
      },
    },
    async (request) => webhookView(await app.webhooks.update(request.params.webhookId, request.body, actor(request), owner(request))),
  );

  server.delete(
    `${reach.prefix}/webhooks/:webhookId`,
    {
      schema: { operationId: op('deleteWebhook'), tags, summary: 'Delete an endpoint', params: WebhookParams, response: { 204: noContent, ...errorResponses } },
    },
    async (request, reply) => {
      await app.webhooks.delete(request.params.webhookId, actor(request), owner(request));
      return reply.code(204).send();
    },
  );

  server.post(
    `${reach.prefix}/webhooks/:webhookId/secret`,
    {
      schema: {
        operationId: op('rollWebhookSecret'),
        tags,
        summary: 'Issue a new signing secret; the old one also signs for expireOldInSeconds',
        params: WebhookParams,
        body: ref(WebhookSecretRoll),
        response: { 201: ref(RolledWebhookSecret), ...errorResponses },
      },
    },
    async (request, reply) => {
      const rolled = await app.webhooks.rollSecret(request.params.webhookId, request.body.expireOldInSeconds ?? 0, actor(request), owner(request));
      return reply
        .code(201)
        .send({ webhookId: rolled.endpoint.id, secret: rolled.secret, oldSecretsExpireAt: new Date(rolled.oldSecretsExpireAt).toISOString() });
    },
  );

  server.get(
    `${reach.prefix}/webhooks/:webhookId/deliveries`,
    {
      schema: {
        operationId: op('listWebhookDeliveries'),
        tags,
        summary: 'The endpoint’s delivery log, newest first',
        params: WebhookParams,
        querystring: PageQueryWithDefaults,
        response: { 200: ref(WebhookDeliveryPage), ...errorResponses },
      },
    },
    async (request) => {
      const page = await app.webhooks.deliveries(request.params.webhookId, request.query.cursor, request.query.limit, owner(request));
      return { items: page.items.map(webhookDeliveryView), nextCursor: page.nextCursor };
    },
  );

  server.post(
    `${reach.prefix}/webhooks/:webhookId/deliveries/:deliveryId/retry`,
    {
      schema: {
        operationId: op('retryWebhookDelivery'),
        tags,
        summary: 'Send a message again now',
        params: DeliveryParams,
        response: { 202: ref(WebhookDelivery), ...errorResponses },
      },
    },
    async (request, reply) =>
      reply.code(202).send(webhookDeliveryView(await app.webhooks.retry(request.params.webhookId, request.params.deliveryId, owner(request)))),
  );
}
