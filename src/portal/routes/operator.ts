// Operators' own routes under admin/: consumers (search, create, change: enabled, scopes, metadata,
// limits), usage and the audit trail of every consumer, and the token signing keys.
import { consumerWithQuota, listAuditEvents, listSigningKeys, usage } from '../../admin/actions.js';
import { SigningKeyList } from '../../admin/oauth-schemas.js';
import {
  AuditEventPage,
  AuditQueryWithDefaults,
  Consumer,
  ConsumerCreate,
  ConsumerPage,
  ConsumerUpdate,
  ConsumerWithQuota,
  errorResponses,
  ref,
  UsageQueryWithDefaults,
  UsageReport,
} from '../../admin/schemas.js';
import { consumerView } from '../../admin/views.js';
import type { App } from '../../app.js';
import { type PrincipalOf, portalActor } from '../reach.js';
import { ConsumerSearchQuery, OperatorConsumerParams } from '../schemas.js';
import type { PortalServer } from './portal-server.js';

export function operatorRoutes(server: PortalServer, app: App, principalOf: PrincipalOf): void {
  const tags = ['operator'];

  server.get(
    '/admin/consumers',
    {
      schema: {
        operationId: 'operatorListConsumers',
        tags,
        summary: 'Search consumers by id or name',
        querystring: ConsumerSearchQuery,
        response: { 200: ref(ConsumerPage), ...errorResponses },
      },
    },
    async (request) => {
      const { cursor, limit = 50, search } = request.query;
      const page = await app.consumers.list(cursor, limit, search);
      return { items: page.items.map(consumerView), nextCursor: page.nextCursor };
    },
  );

  server.post(
    '/admin/consumers',
    {
      schema: {
        operationId: 'operatorCreateConsumer',
        tags,
        summary: 'Create a consumer',
        body: ref(ConsumerCreate),
        response: { 201: ref(Consumer), ...errorResponses },
      },
    },
    async (request, reply) => reply.code(201).send(consumerView(await app.consumers.create(request.body, portalActor(request, principalOf)))),
  );

  server.get(
    '/admin/consumers/:id',
    {
      schema: {
        operationId: 'operatorGetConsumer',
        tags,
        summary: 'Get a consumer, with its remaining usage credits',
        params: OperatorConsumerParams,
        response: { 200: ref(ConsumerWithQuota), ...errorResponses },
      },
    },
    async (request) => consumerWithQuota(app, await app.consumers.get(request.params.id)),
  );

  server.patch(
    '/admin/consumers/:id',
    {
      schema: {
        operationId: 'operatorUpdateConsumer',
        tags,
        summary: 'Change a consumer: enabled, scopes, metadata, rate limit, quota, name',
        params: OperatorConsumerParams,
        body: ref(ConsumerUpdate),
        response: { 200: ref(Consumer), ...errorResponses },
      },
    },
    async (request) => consumerView(await app.consumers.update(request.params.id, request.body, portalActor(request, principalOf))),
  );

  server.get(
    '/admin/usage',
    {
      schema: {
        operationId: 'operatorGetGlobalUsage',
        tags,
        summary: 'Request counts per time bucket and status class, of every consumer or one',
        querystring: UsageQueryWithDefaults,
        response: { 200: ref(UsageReport), ...errorResponses },
      },
    },
    async (request) => usage(app, request.query),
  );

  server.get(
    '/admin/audit-events',
    {
      schema: {
        operationId: 'operatorListGlobalAuditEvents',
        tags,
        summary: 'Every audit event, newest first',
        querystring: AuditQueryWithDefaults,
        response: { 200: ref(AuditEventPage), ...errorResponses },
      },
    },
    async (request) => listAuditEvents(app, request.query),
  );

  server.get(
    '/admin/signing-keys',
    {
      schema: {
        operationId: 'operatorListSigningKeys',
        tags,
        summary: 'The token signing keys (public data only)',
        response: { 200: ref(SigningKeyList), ...errorResponses },
      },
    },
    async () => listSigningKeys(app),
  );
}
