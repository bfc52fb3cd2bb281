// /admin/v1/consumers/{id}/keys and /admin/v1/keys/…
import type { App } from '../../app.js';
import { quotaStatus } from '../../limits/quota-status.js';
import { createKey, keyWithQuota, reportLeakedKeys, rollKey, updateKey } from '../actions.js';
import { LeakReport, LeakReportResult } from '../leak-schemas.js';
import {
  ConsumerParams,
  errorResponses,
  IssuedKey,
  Key,
  KeyCreate,
  KeyPage,
  KeyParams,
  KeyRoll,
  KeyUpdate,
  KeyWithQuota,
  PageQueryWithDefaults,
  RolledKey,
  ref,
  VerifyRequest,
  VerifyResponse,
} from '../schemas.js';
import { keyView, verifyView } from '../views.js';
import type { AdminServer } from './admin-server.js';

export function keyRoutes(server: AdminServer, app: App): void {
  server.post(
    '/admin/v1/consumers/:id/keys',
    {
      schema: {
        operationId: 'createKey',
        tags: ['keys'],
        summary: 'Create an API key; the response is the only place the plaintext key appears',
        params: ConsumerParams,
        body: ref(KeyCreate),
        response: { 201: ref(IssuedKey), ...errorResponses },
      },
    },
    async (request, reply) => reply.code(201).send(await createKey(app, request.params.id, request.body, request.actor)),
  );

  server.get(
    '/admin/v1/consumers/:id/keys',
    {
      schema: {
        operationId: 'listKeys',
        tags: ['keys'],
        summary: 'List a consumer’s keys (masked)',
        params: ConsumerParams,
        querystring: PageQueryWithDefaults,
        response: { 200: ref(KeyPage), ...errorResponses },
      },
    },
    async (request) => {
      const page = await app.keys.list(request.params.id, request.query.cursor, request.query.limit);
      return { items: page.items.map(keyView), nextCursor: page.nextCursor };
    },
  );

  server.post(
    '/admin/v1/keys/verify',
    {
      schema: {
        operationId: 'verifyKey',
        tags: ['keys'],
        summary: 'Verify a key; always 200 with a code',
        body: ref(VerifyRequest),
        response: { 200: ref(VerifyResponse), ...errorResponses },
      },
    },
    async (request) => {
      const result = await app.verifyKey(request.body.key, { scopes: request.body.scopes ?? [] });
      if (!result.valid || !result.limits) return verifyView(result);
      // Quotas are read, not consumed: verifying is not a use of the API.
      const now = app.clock.now();
      const consumer = await quotaStatus(app.limiters.requests, 'consumer', result.consumer!.id, result.limits.consumer.quota, now);
      const key = await quotaStatus(app.limiters.requests, 'credential', result.keyId!, result.limits.credential.quota, now);
      if (!consumer && !key) return verifyView(result);
      const quotas = { ...(consumer ? { consumer } : {}), ...(key ? { key } : {}) };
      const exhausted = (consumer && consumer.remaining <= 0) || (key && key.remaining <= 0);
      if (exhausted) return verifyView({ valid: false, code: 'QUOTA_EXCEEDED', keyId: result.keyId!, consumer: result.consumer!, quotas });
      return verifyView({ ...result, quotas });
    },
  );

  server.get(
    '/admin/v1/keys/:keyId',
    {
      schema: {
        operationId: 'getKey',
        tags: ['keys'],
        summary: 'Get a key (masked), with its remaining usage credits',
        params: KeyParams,
        response: { 200: ref(KeyWithQuota), ...errorResponses },
      },
    },
    async (request) => keyWithQuota(app, await app.keys.get(request.params.keyId)),
  );

  server.patch(
    '/admin/v1/keys/:keyId',
    {
      schema: {
        operationId: 'updateKey',
        tags: ['keys'],
        summary: 'Change a key’s name, scopes, metadata, expiry (null clears) or enabled state',
        params: KeyParams,
        body: ref(KeyUpdate),
        response: { 200: ref(Key), ...errorResponses },
      },
    },
    async (request) => updateKey(app, request.params.keyId, request.body, request.actor),
  );

  server.post(
    '/admin/v1/keys/:keyId/revoke',
    {
      schema: { operationId: 'revokeKey', tags: ['keys'], summary: 'Revoke a key for good', params: KeyParams, response: { 200: ref(Key), ...errorResponses } },
    },
    async (request) => keyView(await app.keys.revoke(request.params.keyId, request.actor)),
  );

  server.post(
    '/admin/v1/keys/:keyId/roll',
    {
      schema: {
        operationId: 'rollKey',
        tags: ['keys'],
        summary: 'Issue a replacement key; the old one expires after expireOldInSeconds (0 = now)',
        params: KeyParams,
        body: ref(KeyRoll),
        response: { 201: ref(RolledKey), ...errorResponses },
      },
    },
    async (request, reply) => reply.code(201).send(await rollKey(app, request.params.keyId, request.body, request.actor)),
  );

  server.post(
    '/admin/v1/keys/leaked',
    {
      schema: {
        operationId: 'reportLeakedKeys',
        tags: ['keys'],
        summary: 'Report leaked keys (plaintext or SHA-256): each one of ours gets leaks.policy and a key.leaked audit event',
        body: ref(LeakReport),
        response: { 200: ref(LeakReportResult), ...errorResponses },
      },
    },
    async (request) => reportLeakedKeys(app, request.body, request.actor),
  );
}
