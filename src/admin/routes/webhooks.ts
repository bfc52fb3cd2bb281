// /admin/v1/webhooks…: operators' endpoints (every consumer's events) and any consumer's.
import type { App } from '../../app.js';
import { errorResponses, noContent, PageQueryWithDefaults, ref } from '../schemas.js';
import {
  IssuedWebhook,
  RolledWebhookSecret,
  Webhook,
  WebhookCreate,
  WebhookDelivery,
  WebhookDeliveryPage,
  WebhookDeliveryParams,
  WebhookPage,
  WebhookParams,
  WebhookQueryWithDefaults,
  WebhookSecretRoll,
  WebhookUpdate,
} from '../webhook-schemas.js';
import { webhookDeliveryView, webhookView } from '../webhook-views.js';
import type { AdminServer } from './admin-server.js';

const tags = ['webhooks'];

export function webhookRoutes(server: AdminServer, app: App): void {
  server.post(
    '/admin/v1/webhooks',
    {
      schema: {
        operationId: 'createWebhook',
        tags,
        summary: 'Register a webhook endpoint; the answer is the only place its signing secret appears',
        body: ref(WebhookCreate),
        response: { 201: ref(IssuedWebhook), ...errorResponses },
      },
    },
    async (request, reply) => {
      const { consumerId = null, ...input } = request.body;
      const { endpoint, secret } = await app.webhooks.create(consumerId, input, request.actor);
      return reply.code(201).send({ ...webhookView(endpoint), secret });
    },
  );

  server.get(
    '/admin/v1/webhooks',
    {
      schema: {
        operationId: 'listWebhooks',
        tags,
        summary: 'List webhook endpoints',
        querystring: WebhookQueryWithDefaults,
        response: { 200: ref(WebhookPage), ...errorResponses },
      },
    },
    async (request) => {
      const { consumer, cursor, limit } = request.query;
      const page = await app.webhooks.list({ consumerId: consumer === 'operator' ? null : consumer, cursor, limit });
      return { items: page.items.map(webhookView), nextCursor: page.nextCursor };
    },
  );

  server.get(
    '/admin/v1/webhooks/:webhookId',
    {
      schema: { operationId: 'getWebhook', tags, summary: 'Get a webhook endpoint', params: WebhookParams, response: { 200: ref(Webhook), ...errorResponses } },
    },
    async (request) => webhookView(await app.webhooks.get(request.params.webhookId)),
  );

  server.patch(
    '/admin/v1/webhooks/:webhookId',
    {
      schema: {
        operationId: 'updateWebhook',
        tags,
        summary: 'Change an endpoint’s URL, events, description or enabled state (enabling resets its failure count)',
        params: WebhookParams,
        body: ref(WebhookUpdate),
        response: { 200: ref(Webhook), ...errorResponses },
      },
    },
    async (request) => webhookView(await app.webhooks.update(request.params.webhookId, request.body, request.actor)),
  );

  server.delete(
    '/admin/v1/webhooks/:webhookId',
    {
      schema: {
        operationId: 'deleteWebhook',
        tags,
        summary: 'Delete an endpoint with its pending messages and delivery log',
        params: WebhookParams,
        response: { 204: noContent, ...errorResponses },
      },
    },
    async (request, reply) => {
      await app.webhooks.delete(request.params.webhookId, request.actor);
      return reply.code(204).send();
    },
  );

  server.post(
    '/admin/v1/webhooks/:webhookId/secret',
    {
      schema: {
        operationId: 'rollWebhookSecret',
        tags,
        summary: 'Issue a new signing secret; the old one also signs for expireOldInSeconds (0 = stops now)',
        params: WebhookParams,
        body: ref(WebhookSecretRoll),
        response: { 201: ref(RolledWebhookSecret), ...errorResponses },
      },
    },
    async (request, reply) => {
      const rolled = await app.webhooks.rollSecret(request.params.webhookId, request.body.expireOldInSeconds ?? 0, request.actor);
      return reply
        .code(201)
        .send({ webhookId: rolled.endpoint.id, secret: rolled.secret, oldSecretsExpireAt: new Date(rolled.oldSecretsExpireAt).toISOString() });
    },
  );

  server.get(
    '/admin/v1/webhooks/:webhookId/deliveries',
    {
      schema: {
        operationId: 'listWebhookDeliveries',
        tags,
        summary: 'The endpoint’s delivery log: messages, newest first, with every attempt',
        params: WebhookParams,
        querystring: PageQueryWithDefaults,
        response: { 200: ref(WebhookDeliveryPage), ...errorResponses },
      },
    },
    async (request) => {
      const page = await app.webhooks.deliveries(request.params.webhookId, request.query.cursor, request.query.limit);
      return { items: page.items.map(webhookDeliveryView), nextCursor: page.nextCursor };
    },
  );

  server.post(
    '/admin/v1/webhooks/:webhookId/deliveries/:deliveryId/retry',
    {
      schema: {
        operationId: 'retryWebhookDelivery',
        tags,
        summary: 'Send a message again now, with a fresh retry window',
        params: WebhookDeliveryParams,
        response: { 202: ref(WebhookDelivery), ...errorResponses },
      },
    },
    async (request, reply) => reply.code(202).send(webhookDeliveryView(await app.webhooks.retry(request.params.webhookId, request.params.deliveryId))),
  );
}
