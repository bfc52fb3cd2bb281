// /admin/v1/consumers/{id}/clients, /admin/v1/clients/…, /admin/v1/tokens/{jti}/revoke and
// /admin/v1/signing-keys: OAuth clients, their secrets and tokens, and the signing keys.
import type { App } from '../../app.js';
import { createClient, listSigningKeys, rotateClientSecret } from '../actions.js';
import {
  Client,
  ClientCreate,
  ClientPage,
  ClientParams,
  ClientUpdate,
  IssuedClient,
  RevokedToken,
  RotatedSecret,
  SecretRotate,
  SigningKey,
  SigningKeyList,
  SigningKeyRotate,
  TokenParams,
} from '../oauth-schemas.js';
import { ConsumerParams, errorResponses, noContent, PageQueryWithDefaults, ref } from '../schemas.js';
import { clientView, signingKeyView } from '../views.js';
import type { AdminServer } from './admin-server.js';

export function clientRoutes(server: AdminServer, app: App): void {
  const { clients, revoker, ring } = app.oauth;

  server.post(
    '/admin/v1/consumers/:id/clients',
    {
      schema: {
        operationId: 'createClient',
        tags: ['clients'],
        summary: 'Create an OAuth client; the response is the only place its secret appears',
        params: ConsumerParams,
        body: ref(ClientCreate),
        response: { 201: ref(IssuedClient), ...errorResponses },
      },
    },
    async (request, reply) => reply.code(201).send(await createClient(app, request.params.id, request.body, request.actor)),
  );

  server.get(
    '/admin/v1/consumers/:id/clients',
    {
      schema: {
        operationId: 'listClients',
        tags: ['clients'],
        summary: 'List a consumer’s OAuth clients',
        params: ConsumerParams,
        querystring: PageQueryWithDefaults,
        response: { 200: ref(ClientPage), ...errorResponses },
      },
    },
    async (request) => {
      const page = await clients.list(request.params.id, request.query.cursor, request.query.limit);
      return { items: page.items.map((c) => clientView(c)), nextCursor: page.nextCursor };
    },
  );

  server.get(
    '/admin/v1/clients/:clientId',
    {
      schema: {
        operationId: 'getClient',
        tags: ['clients'],
        summary: 'Get an OAuth client and its (masked) secrets',
        params: ClientParams,
        response: { 200: ref(Client), ...errorResponses },
      },
    },
    async (request) => {
      const client = await clients.get(request.params.clientId);
      return clientView(client, await clients.secrets(client.id));
    },
  );

  server.patch(
    '/admin/v1/clients/:clientId',
    {
      schema: {
        operationId: 'updateClient',
        tags: ['clients'],
        summary: 'Change a client’s name, scopes, audiences, token TTL, auth method, keys or enabled state',
        params: ClientParams,
        body: ref(ClientUpdate),
        response: { 200: ref(Client), ...errorResponses },
      },
    },
    async (request) => clientView(await clients.update(request.params.clientId, request.body, request.actor)),
  );

  server.delete(
    '/admin/v1/clients/:clientId',
    {
      schema: {
        operationId: 'deleteClient',
        tags: ['clients'],
        summary: 'Delete a client; its tokens stop working',
        params: ClientParams,
        response: { 204: noContent, ...errorResponses },
      },
    },
    async (request, reply) => {
      await clients.delete(request.params.clientId, request.actor);
      return reply.code(204).send();
    },
  );

  server.post(
    '/admin/v1/clients/:clientId/secrets',
    {
      schema: {
        operationId: 'rotateClientSecret',
        tags: ['clients'],
        summary: 'Issue a new client secret; the old ones keep working for expireOldInSeconds (0 = stop now)',
        params: ClientParams,
        body: ref(SecretRotate),
        response: { 201: ref(RotatedSecret), ...errorResponses },
      },
    },
    async (request, reply) => reply.code(201).send(await rotateClientSecret(app, request.params.clientId, request.body, request.actor)),
  );

  server.post(
    '/admin/v1/clients/:clientId/revoke-tokens',
    {
      schema: {
        operationId: 'revokeClientTokens',
        tags: ['clients'],
        summary: 'Revoke every token of the client issued until now; new tokens work',
        params: ClientParams,
        response: { 200: ref(Client), ...errorResponses },
      },
    },
    async (request) => clientView(await clients.revokeTokens(request.params.clientId, request.actor)),
  );

  server.post(
    '/admin/v1/tokens/:jti/revoke',
    {
      schema: {
        operationId: 'revokeToken',
        tags: ['clients'],
        summary: 'Revoke one access token by its jti (ours or a trusted IdP’s)',
        params: TokenParams,
        response: { 200: ref(RevokedToken), ...errorResponses },
      },
    },
    async (request) => {
      const { jti, expiresAt } = await revoker.revokeByJti(request.params.jti, request.actor);
      return { jti, revokedUntil: new Date(expiresAt).toISOString() };
    },
  );

  server.get(
    '/admin/v1/signing-keys',
    {
      schema: {
        operationId: 'listSigningKeys',
        tags: ['signing-keys'],
        summary: 'List the token signing keys (public data only)',
        response: { 200: ref(SigningKeyList), ...errorResponses },
      },
    },
    async () => listSigningKeys(app),
  );

  server.post(
    '/admin/v1/signing-keys/rotate',
    {
      schema: {
        operationId: 'rotateSigningKey',
        tags: ['signing-keys'],
        summary: 'Add a signing key: published now, signing after one JWKS cache period; the current key retires then',
        body: ref(SigningKeyRotate),
        response: { 201: ref(SigningKey), ...errorResponses },
      },
    },
    async (request, reply) => {
      const created = await ring.rotate({ immediate: request.body.immediate ?? false }, request.actor);
      const view = ring.list(app.clock.now()).find((k) => k.id === created!.id)!;
      return reply.code(201).send(signingKeyView(view));
    },
  );
}
