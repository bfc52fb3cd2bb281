// /admin/v1/consumers
import type { App } from '../../app.js';
import { consumerWithQuota } from '../actions.js';
import {
  Consumer,
  ConsumerCreate,
  ConsumerPage,
  ConsumerParams,
  ConsumerUpdate,
  ConsumerWithQuota,
  errorResponses,
  noContent,
  PageQueryWithDefaults,
  ref,
} from '../schemas.js';
import { consumerView } from '../views.js';
import type { AdminServer } from './admin-server.js';

export function consumerRoutes(server: AdminServer, app: App): void {
  server.post(
    '/admin/v1/consumers',
    {
      schema: {
        operationId: 'createConsumer',
        tags: ['consumers'],
        summary: 'Create a consumer',
        body: ref(ConsumerCreate),
        response: { 201: ref(Consumer), ...errorResponses },
      },
    },
    async (request, reply) => reply.code(201).send(consumerView(await app.consumers.create(request.body, request.actor))),
  );

  server.get(
    '/admin/v1/consumers',
    {
      schema: {
        operationId: 'listConsumers',
        tags: ['consumers'],
        summary: 'List consumers',
        querystring: PageQueryWithDefaults,
        response: { 200: ref(ConsumerPage), ...errorResponses },
      },
    },
    async (request) => {
      const page = await app.consumers.list(request.query.cursor, request.query.limit);
      return { items: page.items.map(consumerView), nextCursor: page.nextCursor };
    },
  );

  server.get(
    '/admin/v1/consumers/:id',
    {
      schema: {
        operationId: 'getConsumer',
        tags: ['consumers'],
        summary: 'Get a consumer, with its remaining usage credits',
        params: ConsumerParams,
        response: { 200: ref(ConsumerWithQuota), ...errorResponses },
      },
    },
    async (request) => consumerWithQuota(app, await app.consumers.get(request.params.id)),
  );

  server.patch(
    '/admin/v1/consumers/:id',
    {
      schema: {
        operationId: 'updateConsumer',
        tags: ['consumers'],
        summary: 'Change a consumer',
        params: ConsumerParams,
        body: ref(ConsumerUpdate),
        response: { 200: ref(Consumer), ...errorResponses },
      },
    },
    async (request) => consumerView(await app.consumers.update(request.params.id, request.body, request.actor)),
  );

  server.delete(
    '/admin/v1/consumers/:id',
    {
      schema: {
        operationId: 'deleteConsumer',
        tags: ['consumers'],
        summary: 'Delete a consumer and its keys',
        params: ConsumerParams,
        response: { 204: noContent, ...errorResponses },
      },
    },
    async (request, reply) => {
      await app.consumers.delete(request.params.id, request.actor);
      return reply.code(204).send();
    },
  );
}
