// Webhook endpoints: register (the signing secret shown once), list, change, delete, roll the secret
// with overlap, read the delivery log, redeliver. Every change is audited in its own transaction. A
// consumer's owners act with `owner` set: another consumer's endpoint is then "not found".
import type { Actor, AuditLog } from '../audit/log.js';
import { PortcullisError } from '../errors/codes.js';
import type { Clock } from '../lib/clock.js';
import { decodeCursor, encodeCursor } from '../lib/cursor.js';
import { newId } from '../lib/ids.js';
import type { Store } from '../store/types.js';
import type { WebhookAttemptRecord, WebhookEndpointRecord, WebhookMessageRecord, WebhookSecretRecord } from '../store/webhooks-types.js';
import { generateWebhookSecret, liveSecrets, sealWebhookSecret } from './signing.js';
import { checkWebhookUrl } from './url-check.js';

/** Longest overlap of an old secret with the new one after a roll: 30 days. */
export const MAX_SECRET_OVERLAP_SECONDS = 30 * 86_400;

export interface WebhookInput {
  url?: string | undefined;
  events?: string[] | undefined;
  description?: string | undefined;
  enabled?: boolean | undefined;
  allowPrivateNetworks?: boolean | undefined;
}

export interface WebhookServiceDeps {
  store: Store;
  clock: Clock;
  audit: AuditLog;
  /** Seals the signing secrets; without one, endpoints cannot be created (WEBHOOKS_UNAVAILABLE). */
  masterKey: Buffer | undefined;
  /** `webhooks.allowPrivateNetworks`: every endpoint may reach private addresses. */
  allowPrivateNetworks: boolean;
}

export interface DeliveryWithAttempts {
  message: WebhookMessageRecord;
  attempts: WebhookAttemptRecord[];
}

/** What the audit trail says of an endpoint: its URL's origin only (a path or query may hold a token). */
const auditedUrl = (url: string) => new URL(url).origin;

export function createWebhookService({ store, clock, audit, masterKey, allowPrivateNetworks: allowAll }: WebhookServiceDeps) {
  function newSecret(endpointId: string, now: number): { secret: string; record: WebhookSecretRecord } {
    if (!masterKey) throw new PortcullisError('WEBHOOKS_UNAVAILABLE', 'webhook signing secrets are sealed with oauth.masterKey; configure one');
    const secret = generateWebhookSecret();
    const id = newId('sec', now);
    return { secret, record: { id, sealed: sealWebhookSecret(masterKey, endpointId, id, secret), createdAt: now, expiresAt: null } };
  }

  async function endpointOf(s: Store, id: string, owner: string | undefined): Promise<WebhookEndpointRecord> {
    const endpoint = await s.getWebhookEndpoint(id);
    if (!endpoint || (owner !== undefined && endpoint.consumerId !== owner)) throw new PortcullisError('WEBHOOK_NOT_FOUND', `no webhook endpoint ${id}`);
    return endpoint;
  }

  async function checkedUrl(url: string, allowPrivateNetworks: boolean): Promise<string> {
    return (await checkWebhookUrl(url, allowAll || allowPrivateNetworks)).href;
  }

  return {
    async create(consumerId: string | null, input: WebhookInput & { url: string; events: string[] }, actor: Actor) {
      const allowPrivateNetworks = input.allowPrivateNetworks ?? false;
      const url = await checkedUrl(input.url, allowPrivateNetworks);
      const now = clock.now();
      const id = newId('whk', now);
      const { secret, record } = newSecret(id, now);
      const endpoint: WebhookEndpointRecord = {
        id,
        consumerId,
        url,
        description: input.description ?? '',
        events: [...new Set(input.events)],
        enabled: input.enabled ?? true,
        allowPrivateNetworks,
        secrets: [record],
        consecutiveFailures: 0,
        disabledReason: null,
        createdAt: now,
        updatedAt: now,
      };
      await store.transaction(async (tx) => {
        if (consumerId !== null && !(await tx.getConsumer(consumerId))) throw new PortcullisError('CONSUMER_NOT_FOUND', `no consumer ${consumerId}`);
        await tx.insertWebhookEndpoint(endpoint);
        await audit.record(tx, actor, 'webhook.created', { type: 'webhook', id }, { consumerId, origin: auditedUrl(url), events: endpoint.events });
      });
      return { endpoint, secret };
    },

    get: (id: string, owner?: string) => endpointOf(store, id, owner),

    async list(filter: { consumerId?: string | null | undefined; cursor?: string | undefined; limit: number }) {
      if (typeof filter.consumerId === 'string' && !(await store.getConsumer(filter.consumerId))) {
        throw new PortcullisError('CONSUMER_NOT_FOUND', `no consumer ${filter.consumerId}`);
      }
      const page = await store.listWebhookEndpoints({ consumerId: filter.consumerId, after: decodeCursor(filter.cursor), limit: filter.limit });
      return { items: page.items, nextCursor: encodeCursor(page.nextCursor) };
    },

    async update(id: string, input: WebhookInput, actor: Actor, owner?: string): Promise<WebhookEndpointRecord> {
      const current = await endpointOf(store, id, owner);
      const allowPrivateNetworks = input.allowPrivateNetworks ?? current.allowPrivateNetworks;
      // A new URL, or a URL newly held to the rule, is checked again.
      const url =
        input.url !== undefined || allowPrivateNetworks !== current.allowPrivateNetworks
          ? await checkedUrl(input.url ?? current.url, allowPrivateNetworks)
          : undefined;
      return store.transaction(async (tx) => {
        await endpointOf(tx, id, owner);
        const updated = await tx.updateWebhookEndpoint(id, {
          ...(url !== undefined ? { url } : {}),
          ...(input.events !== undefined ? { events: [...new Set(input.events)] } : {}),
          ...(input.description !== undefined ? { description: input.description } : {}),
          ...(input.allowPrivateNetworks !== undefined ? { allowPrivateNetworks } : {}),
          // Enabling again starts the failure count afresh.
          ...(input.enabled !== undefined ? { enabled: input.enabled, disabledReason: null, ...(input.enabled ? { consecutiveFailures: 0 } : {}) } : {}),
          updatedAt: clock.now(),
        });
        await audit.record(
          tx,
          actor,
          'webhook.updated',
          { type: 'webhook', id },
          { fields: Object.keys(input).sort(), ...(input.enabled === undefined ? {} : { enabled: input.enabled }) },
        );
        return updated!;
      });
    },

    async delete(id: string, actor: Actor, owner?: string): Promise<void> {
      await store.transaction(async (tx) => {
        const endpoint = await endpointOf(tx, id, owner);
        await tx.deleteWebhookEndpoint(id);
        await audit.record(tx, actor, 'webhook.deleted', { type: 'webhook', id }, { consumerId: endpoint.consumerId, origin: auditedUrl(endpoint.url) });
      });
    },

    /** A new signing secret; the current ones keep signing (both signatures sent) for `expireOldInSeconds`. */
    async rollSecret(id: string, expireOldInSeconds: number, actor: Actor, owner?: string) {
      if (!Number.isInteger(expireOldInSeconds) || expireOldInSeconds < 0 || expireOldInSeconds > MAX_SECRET_OVERLAP_SECONDS) {
        throw new PortcullisError('VALIDATION_FAILED', `expireOldInSeconds must be an integer from 0 to ${MAX_SECRET_OVERLAP_SECONDS}`);
      }
      return store.transaction(async (tx) => {
        const endpoint = await endpointOf(tx, id, owner);
        const now = clock.now();
        const { secret, record } = newSecret(id, now);
        const oldExpireAt = now + expireOldInSeconds * 1000;
        const old = liveSecrets(endpoint.secrets, now).map((s) => ({
          ...s,
          expiresAt: s.expiresAt === null ? oldExpireAt : Math.min(s.expiresAt, oldExpireAt),
        }));
        const updated = await tx.updateWebhookEndpoint(id, { secrets: [...liveSecrets(old, now), record], updatedAt: now });
        await audit.record(tx, actor, 'webhook.secret_rolled', { type: 'webhook', id }, { oldSecretsExpireAt: new Date(oldExpireAt).toISOString() });
        return { endpoint: updated!, secret, oldSecretsExpireAt: oldExpireAt };
      });
    },

    async deliveries(id: string, cursor: string | undefined, limit: number, owner?: string) {
      await endpointOf(store, id, owner);
      const page = await store.listWebhookMessages(id, { after: decodeCursor(cursor), limit });
      const attempts = await store.listWebhookAttempts(page.items.map((m) => m.id));
      const items: DeliveryWithAttempts[] = page.items.map((message) => ({ message, attempts: attempts.filter((a) => a.messageId === message.id) }));
      return { items, nextCursor: encodeCursor(page.nextCursor) };
    },

    /** Manual redelivery: due now, with a fresh retry window, whatever its state. */
    async retry(id: string, deliveryId: string, owner?: string): Promise<DeliveryWithAttempts> {
      await endpointOf(store, id, owner);
      const message = await store.getWebhookMessage(deliveryId);
      if (!message || message.endpointId !== id) throw new PortcullisError('WEBHOOK_DELIVERY_NOT_FOUND', `no delivery ${deliveryId} of ${id}`);
      const retried = await store.retryWebhookMessage(deliveryId, clock.now());
      return { message: retried!, attempts: await store.listWebhookAttempts([deliveryId]) };
    },
  };
}

export type WebhookService = ReturnType<typeof createWebhookService>;
