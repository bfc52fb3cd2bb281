// Consumers: the one identity behind API keys and OAuth clients.
import type { Actor, AuditLog } from '../audit/log.js';
import { PortcullisError } from '../errors/codes.js';
import { checkKeyPolicy } from '../hygiene/policy.js';
import type { Clock } from '../lib/clock.js';
import { decodeCursor, encodeCursor } from '../lib/cursor.js';
import { newId } from '../lib/ids.js';
import { normaliseAllowedIps } from '../lib/ip-allowlist.js';
import { checkMetadata, uniqueStrings } from '../lib/validate.js';
import type { ConsumerRecord, JsonObject, KeyPolicy, Page, QuotaPolicy, RateLimitPolicy, Store } from '../store/types.js';

export interface ConsumerInput {
  name: string;
  metadata?: JsonObject;
  scopes?: string[];
  enabled?: boolean;
  externalIds?: string[];
  rateLimit?: RateLimitPolicy | null;
  quota?: QuotaPolicy | null;
  /** Addresses and CIDR blocks every credential of the consumer may be used from; empty = any. */
  allowedIps?: string[];
  /** Key hygiene overriding the global `hygiene` settings (src/hygiene/policy.ts); null = none. */
  keyPolicy?: KeyPolicy | null;
}

export type ConsumerUpdate = Partial<ConsumerInput>;

export interface ConsumerServiceDeps {
  store: Store;
  clock: Clock;
  audit: AuditLog;
  /** Called after a change that affects verification of this consumer's credentials. */
  onChange: (consumerId: string) => void;
}

/** A new consumer's record from its input, checked: what `create` stores, and what an import writes in batches. */
export function newConsumerRecord(input: ConsumerInput, now: number): ConsumerRecord {
  return {
    id: newId('con', now),
    name: input.name,
    metadata: checkMetadata(input.metadata ?? {}),
    scopes: uniqueStrings(input.scopes ?? []),
    enabled: input.enabled ?? true,
    externalIds: uniqueStrings(input.externalIds ?? []),
    rateLimit: input.rateLimit ?? null,
    quota: input.quota ?? null,
    allowedIps: normaliseAllowedIps(input.allowedIps ?? []),
    keyPolicy: checkKeyPolicy(input.keyPolicy),
    createdAt: now,
    updatedAt: now,
  };
}

export function createConsumerService({ store, clock, audit, onChange }: ConsumerServiceDeps) {
  async function get(id: string): Promise<ConsumerRecord> {
    const consumer = await store.getConsumer(id);
    if (!consumer) throw new PortcullisError('CONSUMER_NOT_FOUND', `no consumer ${id}`);
    return consumer;
  }

  return {
    get,

    /** `within`: a caller's transaction to write in (sign-up's), else a transaction of its own. */
    async create(input: ConsumerInput, actor: Actor, within: Store = store): Promise<ConsumerRecord> {
      const consumer = newConsumerRecord(input, clock.now());
      await within.transaction(async (tx) => {
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
          ...(input.allowedIps ? { allowedIps: normaliseAllowedIps(input.allowedIps) } : {}),
          ...(input.keyPolicy !== undefined ? { keyPolicy: checkKeyPolicy(input.keyPolicy) } : {}),
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
