// A consumer's OAuth clients: list, create (secret once; private_key_jwt with a pasted JWK Set), rename
// or replace the JWK Set, rotate the secret with an overlap, revoke every token, delete — the member's
// consumer, or any for an operator.
import { Type } from '@sinclair/typebox';
import { createClient, rotateClientSecret } from '../../admin/actions.js';
import { Client, ClientId, ClientPage, IssuedClient, RotatedSecret, SecretRotate } from '../../admin/oauth-schemas.js';
import { errorResponses, noContent, PageQueryWithDefaults, ref } from '../../admin/schemas.js';
import { clientView } from '../../admin/views.js';
import type { App } from '../../app.js';
import { clientOfConsumer, type PrincipalOf, portalActor, type Reach } from '../reach.js';
import { PortalClientCreate, PortalClientUpdate } from '../schemas.js';
import type { PortalServer } from './portal-server.js';

export function clientRoutes(server: PortalServer, app: App, reach: Reach, principalOf: PrincipalOf): void {
  const { clients } = app.oauth;
  const ConsumerParams = Type.Object(reach.params);
  const ClientParams = Type.Object({ ...reach.params, clientId: ClientId });
  const { tags } = reach;
  const actor = (request: Parameters<PrincipalOf>[0]) => portalActor(request, principalOf);

  server.get(
    `${reach.prefix}/clients`,
    {
      schema: {
        operationId: reach.operationId('listClients'),
        tags,
        summary: 'List the consumer’s OAuth clients',
        params: ConsumerParams,
        querystring: PageQueryWithDefaults,
        response: { 200: ref(ClientPage), ...errorResponses },
      },
    },
    async (request) => {
      const page = await clients.list(reach.consumerIdOf(request), request.query.cursor, request.query.limit);
      return { items: page.items.map((c) => clientView(c)), nextCursor: page.nextCursor };
    },
  );

  server.post(
    `${reach.prefix}/clients`,
    {
      schema: {
        operationId: reach.operationId('createClient'),
        tags,
        summary: 'Create an OAuth client; the answer is the only place its secret appears',
        params: ConsumerParams,
        body: ref(PortalClientCreate),
        response: { 201: ref(IssuedClient), ...errorResponses },
      },
    },
    async (request, reply) => reply.code(201).send(await createClient(app, reach.consumerIdOf(request), request.body, actor(request))),
  );

  server.get(
    `${reach.prefix}/clients/:clientId`,
    {
      schema: {
        operationId: reach.operationId('getClient'),
        tags,
        summary: 'Get an OAuth client and its (masked) secrets',
        params: ClientParams,
        response: { 200: ref(Client), ...errorResponses },
      },
    },
    async (request) => {
      const client = await clientOfConsumer(app, reach.consumerIdOf(request), request.params.clientId);
      return clientView(client, await clients.secrets(client.id));
    },
  );

  server.patch(
    `${reach.prefix}/clients/:clientId`,
    {
      schema: {
        operationId: reach.operationId('updateClient'),
        tags,
        summary: 'Rename a client, or replace its JWK Set (private_key_jwt): assertions signed with a key no longer in it are refused at once',
        params: ClientParams,
        body: ref(PortalClientUpdate),
        response: { 200: ref(Client), ...errorResponses },
      },
    },
    async (request) => {
      const client = await clientOfConsumer(app, reach.consumerIdOf(request), request.params.clientId);
      return clientView(await clients.update(client.id, request.body, actor(request)));
    },
  );

  server.delete(
    `${reach.prefix}/clients/:clientId`,
    {
      schema: {
        operationId: reach.operationId('deleteClient'),
        tags,
        summary: 'Delete a client; its tokens stop working',
        params: ClientParams,
        response: { 204: noContent, ...errorResponses },
      },
    },
    async (request, reply) => {
      const client = await clientOfConsumer(app, reach.consumerIdOf(request), request.params.clientId);
      await clients.delete(client.id, actor(request));
      return reply.code(204).send();
    },
  );

  server.post(
    `${reach.prefix}/clients/:clientId/secrets`,
    {
      schema: {
        operationId: reach.operationId('rotateClientSecret'),
        tags,
        summary: 'Issue a new client secret; the old ones keep working for expireOldInSeconds (0 = stop now)',
        params: ClientParams,
        body: ref(SecretRotate),
        response: { 201: ref(RotatedSecret), ...errorResponses },
      },
    },
    async (request, reply) => {
      const client = await clientOfConsumer(app, reach.consumerIdOf(request), request.params.clientId);
      return reply.code(201).send(await rotateClientSecret(app, client.id, request.body, actor(request)));
    },
  );

  server.post(
    `${reach.prefix}/clients/:clientId/revoke-tokens`,
    {
      schema: {
        operationId: reach.operationId('revokeClientTokens'),
        tags,
        summary: 'Revoke every token of the client issued until now; new tokens work',
        params: ClientParams,
        response: { 200: ref(Client), ...errorResponses },
      },
    },
    async (request) => {
      const client = await clientOfConsumer(app, reach.consumerIdOf(request), request.params.clientId);
      return clientView(await clients.revokeTokens(client.id, actor(request)));
    },
  );
}
