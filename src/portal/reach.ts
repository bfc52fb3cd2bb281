// Whose objects a portal route acts on. A member reaches their own consumer's; an operator reaches
// any consumer's under `admin/consumers/{id}/…`. An object outside the reach is answered exactly as
// an unknown id (same status, code and detail), so a member learns nothing of other consumers.
import type { TSchema } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import { ConsumerId } from '../admin/schemas.js';
import type { App } from '../app.js';
import type { Actor } from '../audit/log.js';
import { PortcullisError } from '../errors/codes.js';
import type { OAuthClientRecord } from '../store/oauth-types.js';
import type { KeyRecord } from '../store/types.js';
import type { PortalPrincipal } from './principal.js';

export type PrincipalOf = (request: FastifyRequest) => PortalPrincipal;

export interface Reach {
  /** Where the consumer's routes are mounted: `` for a member, `/admin/consumers/:id` for an operator. */
  prefix: string;
  /** The path parameters the prefix adds. */
  params: Record<string, TSchema>;
  /** The route's operationId for this reach: the member's name, or `operator<Name>`. */
  operationId(name: string): string;
  tags: string[];
  /** The consumer the request acts on; it exists (a member's) or is checked by the service (an operator's). */
  consumerIdOf(request: FastifyRequest): string;
}

export function memberReach(principalOf: PrincipalOf): Reach {
  return {
    prefix: '',
    params: {},
    operationId: (name) => name,
    tags: ['member'],
    consumerIdOf(request) {
      const membership = principalOf(request).membership;
      if (!membership)
        throw new PortcullisError('CONSUMER_NOT_FOUND', 'you are not a member of a consumer; operators reach consumers under admin/consumers/{id}');
      return membership.consumerId;
    },
  };
}

export const operatorReach: Reach = {
  prefix: '/admin/consumers/:id',
  params: { id: ConsumerId },
  operationId: (name) => `operator${name[0]!.toUpperCase()}${name.slice(1)}`,
  tags: ['operator'],
  consumerIdOf: (request) => (request.params as { id: string }).id,
};

/** Who a portal change is recorded as in the audit trail. */
export function portalActor(request: FastifyRequest, principalOf: PrincipalOf): Actor {
  return { id: `portal:${principalOf(request).userId}`, sourceIp: request.ip };
}

// A key or client never moves to another consumer, so the check holds for the change that follows it.

export async function keyOfConsumer(app: App, consumerId: string, keyId: string): Promise<KeyRecord> {
  const key = await app.store.getKey(keyId);
  if (!key || key.consumerId !== consumerId) throw new PortcullisError('KEY_NOT_FOUND', `no key ${keyId}`);
  return key;
}

export async function clientOfConsumer(app: App, consumerId: string, clientId: string): Promise<OAuthClientRecord> {
  const client = await app.store.getClient(clientId);
  if (!client || client.consumerId !== consumerId) throw new PortcullisError('CLIENT_NOT_FOUND', `no client ${clientId}`);
  return client;
}
