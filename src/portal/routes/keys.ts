// A consumer's API keys: list (with credits left), create (plaintext once), rename and set expiry,
// roll with an overlap, revoke — for the member's consumer, or any consumer's for an operator.
import { Type } from '@sinclair/typebox';
import { createKey, keyWithQuota, rollKey, updateKey } from '../../admin/actions.js';
import { errorResponses, IssuedKey, Key, KeyId, KeyRoll, KeyWithQuota, PageQueryWithDefaults, RolledKey, ref } from '../../admin/schemas.js';
import { keyView } from '../../admin/views.js';
import type { App } from '../../app.js';
import { keyOfConsumer, type PrincipalOf, portalActor, type Reach } from '../reach.js';
import { KeyWithQuotaPage, PortalKeyCreate, PortalKeyUpdate } from '../schemas.js';
import type { PortalServer } from './portal-server.js';

export function keyRoutes(server: PortalServer, app: App, reach: Reach, principalOf: PrincipalOf): void {
  const ConsumerParams = Type.Object(reach.params);
  const KeyParams = Type.Object({ ...reach.params, keyId: KeyId });
  const { tags } = reach;
  const actor = (request: Parameters<PrincipalOf>[0]) => portalActor(request, principalOf);

  server.get(
    `${reach.prefix}/keys`,
    {
      schema: {
        operationId: reach.operationId('listKeys'),
        tags,
        summary: 'List the consumer’s keys (masked), with their remaining usage credits',
        params: ConsumerParams,
        querystring: PageQueryWithDefaults,
        response: { 200: ref(KeyWithQuotaPage), ...errorResponses },
      },
    },
    async (request) => {
      const page = await app.keys.list(reach.consumerIdOf(request), request.query.cursor, request.query.limit);
      return { items: await Promise.all(page.items.map((key) => keyWithQuota(app, key))), nextCursor: page.nextCursor };
    },
  );

  server.post(
    `${reach.prefix}/keys`,
    {
      schema: {
        operationId: reach.operationId('createKey'),
        tags,
        summary: 'Create an API key; the answer is the only place the plaintext key appears',
        params: ConsumerParams,
        body: ref(PortalKeyCreate),
        response: { 201: ref(IssuedKey), ...errorResponses },
      },
    },
    async (request, reply) => reply.code(201).send(await createKey(app, reach.consumerIdOf(request), request.body, actor(request))),
  );

  server.get(
    `${reach.prefix}/keys/:keyId`,
    {
      schema: {
        operationId: reach.operationId('getKey'),
        tags,
        summary: 'Get a key (masked), with its remaining usage credits',
        params: KeyParams,
        response: { 200: ref(KeyWithQuota), ...errorResponses },
      },
    },
    async (request) => keyWithQuota(app, await keyOfConsumer(app, reach.consumerIdOf(request), request.params.keyId)),
  );

  server.patch(
    `${reach.prefix}/keys/:keyId`,
    {
      schema: {
        operationId: reach.operationId('updateKey'),
        tags,
        summary: 'Rename a key or change its expiry (null: never expires)',
        params: KeyParams,
        body: ref(PortalKeyUpdate),
        response: { 200: ref(Key), ...errorResponses },
      },
    },
    async (request) => {
      const key = await keyOfConsumer(app, reach.consumerIdOf(request), request.params.keyId);
      return updateKey(app, key.id, request.body, actor(request));
    },
  );

  server.post(
    `${reach.prefix}/keys/:keyId/roll`,
    {
      schema: {
        operationId: reach.operationId('rollKey'),
        tags,
        summary: 'Issue a replacement key; the old one expires after expireOldInSeconds (0 = now)',
        params: KeyParams,
        body: ref(KeyRoll),
        response: { 201: ref(RolledKey), ...errorResponses },
      },
    },
    async (request, reply) => {
      const key = await keyOfConsumer(app, reach.consumerIdOf(request), request.params.keyId);
      return reply.code(201).send(await rollKey(app, key.id, request.body, actor(request)));
    },
  );

  server.post(
    `${reach.prefix}/keys/:keyId/revoke`,
    {
      schema: {
        operationId: reach.operationId('revokeKey'),
        tags,
        summary: 'Revoke a key for good',
        params: KeyParams,
        response: { 200: ref(Key), ...errorResponses },
      },
    },
    async (request) => {
      const key = await keyOfConsumer(app, reach.consumerIdOf(request), request.params.keyId);
      return keyView(await app.keys.revoke(key.id, actor(request)));
    },
  );
}
