// Consumers: the one identity behind API keys and OAuth clients.
import type { Actor, AuditLog } from '../audit/log.js';
import { PortcullisError } from '../errors/codes.js';
import type { Clock } from '../lib/clock.js';
import { decodeCursor, encodeCursor } from '../lib/cursor.js';
import { newId } from '../lib/ids.js';
import { checkMetadata, uniqueStrings } from '../lib/validate.js';
import type { ConsumerRecord, JsonObject, Page, QuotaPolicy, RateLimitPolicy, Store } from '../store/types.js';

export interface ConsumerInput {
  name: string;
  metadata?: JsonObject;
  scopes?: string[];
  enabled?: boolean;
  externalIds?: string[];
  rateLimit?: RateLimitPolicy | null;
  quota?: QuotaPolicy | null;
}

export type ConsumerUpdate = Partial<ConsumerInput>;

export interface ConsumerServiceDeps {
  store: Store;
  clock: Clock;
  audit: AuditLog;
  /** Called after a change that affects verification of this consumer's credentials. */
  onChange: (consumerId: string) => void;
}

export function createConsumerService({ store, clock, audit, onChange }: ConsumerServiceDeps) {
  async function get(id: string): Promise<ConsumerRecord> {
    const consumer = await store.getConsumer(id);
    if (!consumer) throw new PortcullisError('CONSUMER_NOT_FOUND', `no consumer ${id}`);
    return consumer;
  }

  return {
    get,

    async create(input: ConsumerInput, actor: Actor): Promise<ConsumerRecord> {
      const now = clock.now();
      const consumer: ConsumerRecord = {
        id: newId('con', now),
        name: input.name,
        metadata: checkMetadata(input.metadata ?? {}),
        scopes: uniqueStrings(input.scopes ?? []),
        enabled: input.enabled ?? true,
        externalIds: uniqueStrings(input.externalIds ?? []),
        rateLimit: input.rateLimit ?? null,
        quota: input.quota ?? null,
        createdAt: now,
        updatedAt: now,
      };
      await store.transaction(async (tx) => {
        await tx.insertConsumer(consumer);
        await audit.record(tx, actor, 'consumer.created', { type: 'consumer', id: consumer.id }, { name: consumer.name });
      });
      return consumer;
    },

    async list(cursor: string | undefined, limit: number, search?: string): Promise<Page<ConsumerRecord> & { nextCursor: string | null }> {
      const result = await store.listConsumers({ after: decodeCursor(cursor), limit, ...(search ? { search } : {}) });
      return { items: result.items, nextCursor: encodeCursor(result.nextCursor) };
    },

    async update(id: string, input: ConsumerUpdate, actor: Actor): Promise<ConsumerRecord> {
      if (input.metadata !== undefined) checkMetadata(input.metadata);
      const updated = await store.transaction(async (tx) => {
        const result = await tx.updateConsumer(id, {
          ...input,
          ...(input.scopes ? { scopes: uniqueStrings(input.scopes) } : {}),
          ...(input.externalIds ? { externalIds: uniqueStrings(input.externalIds) } : {}),
          updatedAt: clock.now(),
        });
        if (!result) throw new PortcullisError('CONSUMER_NOT_FOUND', `no consumer ${id}`);
        await audit.record(
          tx,
          actor,
          'consumer.updated',
          { type: 'consumer', id },
          { fields: Object.keys(input).sort(), ...(input.enabled === undefined ? {} : { enabled: input.enabled }) },
        );
        return result;
      });
      onChange(id);
      return updated;
    },

    async delete(id: string, actor: Actor): Promise<void> {
      await store.transaction(async (tx) => {
        const consumer = await tx.getConsumer(id);
        if (!consumer) throw new PortcullisError('CONSUMER_NOT_FOUND', `no consumer ${id}`);
        await tx.deleteConsumer(id);
        await audit.record(tx, actor, 'consumer.deleted', { type: 'consumer', id }, { name: consumer.name });
      });
      onChange(id);
    },
  };
}

export type ConsumerService = ReturnType<typeof createConsumerService>;
