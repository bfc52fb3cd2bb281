// A consumer's audit trail: the changes to the consumer and to its keys and clients, newest first.
import { Type } from '@sinclair/typebox';
import { listAuditEvents } from '../../admin/actions.js';
import { AuditEventPage, AuditQueryWithDefaults, errorResponses, ref } from '../../admin/schemas.js';
import type { App } from '../../app.js';
import { PortcullisError } from '../../errors/codes.js';
import { clientOfConsumer, keyOfConsumer, type Reach } from '../reach.js';
import type { PortalServer } from './portal-server.js';

/** A `targetId` filter naming another consumer or its key or client is answered as an unknown id. */
async function checkTarget(app: App, consumerId: string, targetId: string): Promise<void> {
  if (targetId.startsWith('key_')) await keyOfConsumer(app, consumerId, targetId);
  else if (targetId.startsWith('cli_')) await clientOfConsumer(app, consumerId, targetId);
  else if (targetId.startsWith('con_') && targetId !== consumerId) throw new PortcullisError('CONSUMER_NOT_FOUND', `no consumer ${targetId}`);
}

export function auditRoutes(server: PortalServer, app: App, reach: Reach): void {
  server.get(
    `${reach.prefix}/audit-events`,
    {
      schema: {
        operationId: reach.operationId('listAuditEvents'),
        tags: reach.tags,
        summary: 'The consumer’s audit trail, newest first',
        params: Type.Object(reach.params),
        querystring: AuditQueryWithDefaults,
        response: { 200: ref(AuditEventPage), ...errorResponses },
      },
    },
    async (request) => {
      const consumer = await app.consumers.get(reach.consumerIdOf(request));
      if (request.query.targetId) await checkTarget(app, consumer.id, request.query.targetId);
      return listAuditEvents(app, request.query, consumer.id);
    },
  );
}
