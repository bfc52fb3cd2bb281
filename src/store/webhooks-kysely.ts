// The WebhooksStore methods over Kysely, spread into the one Store implementation (kysely-store.ts).
import type { ExpressionBuilder, Kysely, Selectable } from 'kysely';
import { atomically } from './atomically.js';
import type { Dialect } from './dialect.js';
import type { Database } from './tables.js';
import type { WebhookAttemptsTable, WebhookEndpointsTable, WebhookMessagesTable } from './webhooks-tables.js';
import type { WebhookAttemptRecord, WebhookEndpointRecord, WebhookMessageRecord, WebhookMessageStatus, WebhooksStore } from './webhooks-types.js';

const nullableNumber = (value: number | null) => (value === null ? null : Number(value));

function toEndpoint(row: Selectable<WebhookEndpointsTable>): WebhookEndpointRecord {
  return {
    id: row.id,
    consumerId: row.consumer_id,
    url: row.url,
    description: row.description,
    events: JSON.parse(row.events),
    enabled: Number(row.enabled) === 1,
    allowPrivateNetworks: Number(row.allow_private_networks) === 1,
    secrets: JSON.parse(row.secrets),
    consecutiveFailures: Number(row.consecutive_failures),
    disabledReason: row.disabled_reason,
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}

function toMessage(row: Selectable<WebhookMessagesTable>): WebhookMessageRecord {
  return {
    id: row.id,
    endpointId: row.endpoint_id,
    eventType: row.event_type,
    payload: row.payload,
    status: row.status as WebhookMessageStatus,
    attempts: Number(row.attempts),
    nextAttemptAt: Number(row.next_attempt_at),
    windowStart: Number(row.window_start),
    claimedUntil: nullableNumber(row.claimed_until),
    lastAttemptAt: nullableNumber(row.last_attempt_at),
    createdAt: Number(row.created_at),
  };
}

function toAttempt(row: Selectable<WebhookAttemptsTable>): WebhookAttemptRecord {
  return {
    id: row.id,
    messageId: row.message_id,
    endpointId: row.endpoint_id,
    at: Number(row.at),
    statusCode: nullableNumber(row.status_code),
    error: row.error,
    durationMs: Number(row.duration_ms),
  };
}

function endpointRow(e: WebhookEndpointRecord): WebhookEndpointsTable {
  return {
    id: e.id,
    consumer_id: e.consumerId,
    url: e.url,
    description: e.description,
    events: JSON.stringify(e.events),
    enabled: e.enabled ? 1 : 0,
    allow_private_networks: e.allowPrivateNetworks ? 1 : 0,
    secrets: JSON.stringify(e.secrets),
    consecutive_failures: e.consecutiveFailures,
    disabled_reason: e.disabledReason,
    created_at: e.createdAt,
    updated_at: e.updatedAt,
  };
}

function pageOf<T extends { id: string }>(rows: T[], limit: number) {
  const items = rows.slice(0, limit);
  return { items, nextCursor: rows.length > limit ? items[items.length - 1]!.id : null };
}

async function deleteMessagesOf(trx: Kysely<Database>, endpointIds: string[]): Promise<void> {
  if (endpointIds.length === 0) return;
  await trx.deleteFrom('webhook_attempts').where('endpoint_id', 'in', endpointIds).execute();
  await trx.deleteFrom('webhook_messages').where('endpoint_id', 'in', endpointIds).execute();
}

/** A consumer's endpoints, their messages and attempts: part of deleting the consumer. */
export async function deleteWebhooksOfConsumer(trx: Kysely<Database>, consumerId: string): Promise<void> {
  const ids = (await trx.selectFrom('webhook_endpoints').select('id').where('consumer_id', '=', consumerId).execute()).map((r) => r.id);
  await deleteMessagesOf(trx, ids);
  await trx.deleteFrom('webhook_endpoints').where('consumer_id', '=', consumerId).execute();
}

export function createWebhooksStoreMethods(db: Kysely<Database>, dialect: Dialect): WebhooksStore {
  return {
    async insertWebhookEndpoint(endpoint) {
      await db.insertInto('webhook_endpoints').values(endpointRow(endpoint)).execute();
    },

    async getWebhookEndpoint(id) {
      const row = await db.selectFrom('webhook_endpoints').selectAll().where('id', '=', id).executeTakeFirst();
      return row ? toEndpoint(row) : undefined;
    },

    async listWebhookEndpoints({ after, limit, consumerId }) {
      let query = db
        .selectFrom('webhook_endpoints')
        .selectAll()
        .orderBy('id')
        .limit(limit + 1);
      if (after) query = query.where('id', '>', after);
      if (consumerId === null) query = query.where('consumer_id', 'is', null);
      else if (consumerId !== undefined) query = query.where('consumer_id', '=', consumerId);
      return pageOf((await query.execute()).map(toEndpoint), limit);
    },

    async updateWebhookEndpoint(id, patch) {
      const values: Partial<WebhookEndpointsTable> = { updated_at: patch.updatedAt };
      if (patch.url !== undefined) values.url = patch.url;
      if (patch.description !== undefined) values.description = patch.description;
      if (patch.events !== undefined) values.events = JSON.stringify(patch.events);
      if (patch.enabled !== undefined) values.enabled = patch.enabled ? 1 : 0;
      if (patch.allowPrivateNetworks !== undefined) values.allow_private_networks = patch.allowPrivateNetworks ? 1 : 0;
      if (patch.secrets !== undefined) values.secrets = JSON.stringify(patch.secrets);
      if (patch.consecutiveFailures !== undefined) values.consecutive_failures = patch.consecutiveFailures;
      if (patch.disabledReason !== undefined) values.disabled_reason = patch.disabledReason;
      const result = await db.updateTable('webhook_endpoints').set(values).where('id', '=', id).executeTakeFirst();
      if (Number(result.numUpdatedRows) === 0) return undefined;
      const row = await db.selectFrom('webhook_endpoints').selectAll().where('id', '=', id).executeTakeFirst();
      return row ? toEndpoint(row) : undefined;
    },

    deleteWebhookEndpoint(id) {
      return atomically(db, async (trx) => {
        await deleteMessagesOf(trx, [id]);
        const result = await trx.deleteFrom('webhook_endpoints').where('id', '=', id).executeTakeFirst();
        return Number(result.numDeletedRows) > 0;
      });
    },

    async listWebhookSubscriptions() {
      const rows = await db.selectFrom('webhook_endpoints').select(['id', 'consumer_id', 'events']).where('enabled', '=', 1).execute();
      return rows.map((r) => ({ id: r.id, consumerId: r.consumer_id, events: JSON.parse(r.events) as string[] }));
    },

    async insertWebhookMessages(messages) {
      if (messages.length === 0) return;
      await db
        .insertInto('webhook_messages')
        .values(
          messages.map((m) => ({
            id: m.id,
            endpoint_id: m.endpointId,
            event_type: m.eventType,
            payload: m.payload,
            status: m.status,
            attempts: m.attempts,
            next_attempt_at: m.nextAttemptAt,
            window_start: m.windowStart,
            claimed_until: m.claimedUntil,
            claim_token: null,
            last_attempt_at: m.lastAttemptAt,
            created_at: m.createdAt,
          })),
        )
        .execute();
    },

    async claimWebhookMessages({ now, leaseUntil, claimToken, limit }) {
      // Most polls find nothing: one indexed read (SQLite's read connection), no write transaction.
      const due = await db
        .selectFrom('webhook_messages')
        .select('id')
        .where('status', '=', 'pending')
        .where('next_attempt_at', '<=', now)
        .where('endpoint_id', 'in', db.selectFrom('webhook_endpoints').select('id').where('enabled', '=', 1))
        .limit(1)
        .executeTakeFirst();
      if (!due) return [];
      const rows = await atomically(db, async (trx) => {
        // The same conditions on the candidates and on the update: under PostgreSQL's READ COMMITTED a
        // row locked by another claimer is skipped, and one changed meanwhile is checked again.
        const stillDue = (eb: ExpressionBuilder<Database, 'webhook_messages'>) => eb.or([eb('claimed_until', 'is', null), eb('claimed_until', '<=', now)]);
        const enabledEndpoints = trx.selectFrom('webhook_endpoints').select('id').where('enabled', '=', 1);
        const candidates = trx
          .selectFrom('webhook_messages')
          .select('id')
          .where('status', '=', 'pending')
          .where('next_attempt_at', '<=', now)
          .where(stillDue)
          .where('endpoint_id', 'in', enabledEndpoints)
          .orderBy('next_attempt_at')
          .limit(limit);
        const claim = { claimed_until: leaseUntil, claim_token: claimToken };
        if (dialect === 'postgres') {
          // Materialised, so the locking subquery runs once: inlined, PostgreSQL may run it again per
          // row, and each run with SKIP LOCKED can pick other rows (the LIMIT would not hold).
          return trx
            .with(
              (cte) => cte('candidates').materialized(),
              () => candidates.forUpdate().skipLocked(),
            )
            .updateTable('webhook_messages')
            .set(claim)
            .where('id', 'in', (eb) => eb.selectFrom('candidates').select('candidates.id'))
            .where('status', '=', 'pending')
            .where(stillDue)
            .returningAll()
            .execute();
        }
        return trx
          .updateTable('webhook_messages')
          .set(claim)
          .where('id', 'in', candidates)
          .where('status', '=', 'pending')
          .where(stillDue)
          .returningAll()
          .execute();
      });
      if (rows.length === 0) return [];
      const endpointIds = [...new Set(rows.map((r) => r.endpoint_id))];
      const endpoints = new Map(
        (await db.selectFrom('webhook_endpoints').selectAll().where('id', 'in', endpointIds).execute()).map((r) => [r.id, toEndpoint(r)]),
      );
      return rows.flatMap((row) => {
        const endpoint = endpoints.get(row.endpoint_id);
        return endpoint ? [{ message: toMessage(row), endpoint }] : [];
      });
    },

    finishWebhookAttempt({ claimToken, attempt, outcome }) {
      return atomically(db, async (trx) => {
        const updated = await trx
          .updateTable('webhook_messages')
          .set((eb) => ({
            status: outcome.status,
            attempts: eb('attempts', '+', 1),
            ...(outcome.status === 'pending' ? { next_attempt_at: outcome.nextAttemptAt } : {}),
            last_attempt_at: attempt.at,
            claimed_until: null,
            claim_token: null,
          }))
          .where('id', '=', attempt.messageId)
          .where('claim_token', '=', claimToken)
          .executeTakeFirst();
        if (Number(updated.numUpdatedRows) === 0) return { recorded: false, consecutiveFailures: 0 };
        await trx
          .insertInto('webhook_attempts')
          .values({
            id: attempt.id,
            message_id: attempt.messageId,
            endpoint_id: attempt.endpointId,
            at: attempt.at,
            status_code: attempt.statusCode,
            error: attempt.error,
            duration_ms: attempt.durationMs,
          })
          .execute();
        await trx
          .updateTable('webhook_endpoints')
          .set((eb) => ({ consecutive_failures: outcome.status === 'delivered' ? 0 : eb('consecutive_failures', '+', 1) }))
          .where('id', '=', attempt.endpointId)
          .execute();
        const row = await trx.selectFrom('webhook_endpoints').select('consecutive_failures').where('id', '=', attempt.endpointId).executeTakeFirst();
        return { recorded: true, consecutiveFailures: Number(row?.consecutive_failures ?? 0) };
      });
    },

    async getWebhookMessage(id) {
      const row = await db.selectFrom('webhook_messages').selectAll().where('id', '=', id).executeTakeFirst();
      return row ? toMessage(row) : undefined;
    },

    async listWebhookMessages(endpointId, { after, limit }) {
      let query = db
        .selectFrom('webhook_messages')
        .selectAll()
        .where('endpoint_id', '=', endpointId)
        .orderBy('id', 'desc')
        .limit(limit + 1);
      if (after) query = query.where('id', '<', after);
      return pageOf((await query.execute()).map(toMessage), limit);
    },

    async listWebhookAttempts(messageIds) {
      if (messageIds.length === 0) return [];
      const rows = await db
        .selectFrom('webhook_attempts')
        .selectAll()
        .where('message_id', 'in', [...messageIds])
        .orderBy('id')
        .execute();
      return rows.map(toAttempt);
    },

    deleteWebhookMessagesBefore(time) {
      return atomically(db, async (trx) => {
        const done = trx.selectFrom('webhook_messages').select('id').where('status', 'in', ['delivered', 'failed']).where('created_at', '<', time);
        await trx.deleteFrom('webhook_attempts').where('message_id', 'in', done).execute();
        const result = await trx
          .deleteFrom('webhook_messages')
          .where('status', 'in', ['delivered', 'failed'])
          .where('created_at', '<', time)
          .executeTakeFirst();
        return Number(result.numDeletedRows);
      });
    },

    async retryWebhookMessage(id, now) {
      const result = await db
        .updateTable('webhook_messages')
        .set({ status: 'pending', attempts: 0, next_attempt_at: now, window_start: now, claimed_until: null, claim_token: null })
        .where('id', '=', id)
        .executeTakeFirst();
      if (Number(result.numUpdatedRows) === 0) return undefined;
      const row = await db.selectFrom('webhook_messages').selectAll().where('id', '=', id).executeTakeFirst();
      return row ? toMessage(row) : undefined;
    },
  };
}
