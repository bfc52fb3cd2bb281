// /admin/v1/consumers
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { App } from '../../app.js';
import {
  Consumer,
  ConsumerCreate,
  ConsumerPage,
  ConsumerParams,
  ConsumerUpdate,
  ConsumerWithQuota,
  PageQuery,
  ref,
  type ConsumerCreateBody,
  type ConsumerUpdateBody,
  type PageQueryType,
} from '../schemas.js';
import { consumerView } from '../views.js';
import { quotaStatus } from '../../limits/quota-status.js';
import { errorResponses } from './responses.js';

export function consumerRoutes(server: FastifyInstance, app: App): void {
  server.post<{ Body: ConsumerCreateBody }>(
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

  server.get<{ Querystring: PageQueryType }>(
    '/admin/v1/consumers',
    {
      schema: {
        operationId: 'listConsumers',
        tags: ['consumers'],
        summary: 'List consumers',
        querystring: PageQuery,
        response: { 200: ref(ConsumerPage), ...errorResponses },
      },
    },
    async (request) => {
      const page = await app.consumers.list(request.query.cursor, request.query.limit);
      return { items: page.items.map(consumerView), nextCursor: page.nextCursor };
    },
  );

  server.get<{ Params: { id: string } }>(
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
    async (request) => {
      const consumer = await app.consumers.get(request.params.id);
      return { ...consumerView(consumer), quotaStatus: await quotaStatus(app.limiters.requests, 'consumer', consumer.id, consumer.quota, app.clock.now()) };
    },
  );

  server.patch<{ Params: { id: string }; Body: ConsumerUpdateBody }>(
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

  server.delete<{ Params: { id: string } }>(
    '/admin/v1/consumers/:id',
    {
      schema: {
        operationId: 'deleteConsumer',
        tags: ['consumers'],
        summary: 'Delete a consumer and its keys',
        params: ConsumerParams,
        response: { 204: Type.Null(), ...errorResponses },
      },
    },
    async (request, reply) => {
      await app.consumers.delete(request.params.id, request.actor);
      return reply.code(204).send();
    },
  );
}
