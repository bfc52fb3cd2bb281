// Audit events: who changed what, when, from where — written in the same transaction as the change.
// Details name fields and masked keys, never a secret.
import { PortcullisError } from '../errors/codes.js';
import type { Clock } from '../lib/clock.js';
import { newId } from '../lib/ids.js';
import type { IdempotentWrite } from '../store/idempotency-types.js';
import type { AuditEventRecord, JsonObject, Store } from '../store/types.js';

export interface Actor {
  /** `key_…` for an admin key, `cli:local` for the CLI on the store, `portal:usr_…` for a portal user, `system` for Portcullis itself. */
  id: string;
  sourceIp: string | null;
  /**
   * Set when the request carries an Idempotency-Key (admin/idempotency.ts): recording the change
   * also marks the key's write as committed, in the same transaction, so that a retry replays the
   * answer instead of writing twice.
   */
  idempotentWrite?: IdempotentWrite | undefined;
}

export const SYSTEM_ACTOR: Actor = { id: 'system', sourceIp: null };

export type AuditAction =
  | 'consumer.created'
  | 'consumer.updated'
  | 'consumer.deleted'
  | 'key.created'
  | 'key.updated'
  | 'key.rolled'
  | 'key.revoked'
  | 'admin_key.created'
  | 'client.created'
  | 'client.updated'
  | 'client.deleted'
  | 'client.secret_rotated'
  | 'client.tokens_revoked'
  | 'token.revoked'
  | 'signing_key.created'
  | 'signing_key.rotated'
  | 'member.invited'
  | 'member.joined'
  | 'member.role_changed'
  | 'member.removed'
  | 'operator.invited'
  | 'portal_user.signed_up'
  | 'portal_user.email_verified'
  | 'portal_user.password_changed'
  | 'portal_user.password_reset'
  | 'portal_user.disabled'
  | 'portal_user.enabled'
  | 'key.leaked'
  | 'consumer.imported'
  | 'key.imported'
  | 'client.imported'
  // Key hygiene (src/hygiene/scheduler.ts), recorded by the system actor.
  | 'key.expiring'
  | 'key.expired'
  | 'key.disabled_unused'
  | 'webhook.created'
  | 'webhook.updated'
  | 'webhook.deleted'
  | 'webhook.secret_rolled'
  | 'webhook.disabled'
  // A config reload (src/server/reload.ts): what changed, or the refusal's code.
  | 'config.reloaded'
  | 'config.reload_failed';

export type AuditTarget = { type: 'consumer' | 'key' | 'client' | 'token' | 'signing-key' | 'member' | 'portal-user' | 'webhook' | 'config'; id: string };

export interface AuditLog {
  record(store: Store, actor: Actor, action: AuditAction, target: AuditTarget, details?: JsonObject): Promise<void>;
}

/** An event as `record` writes it, for writes that insert many events in one statement (src/imports). */
export function auditEvent(actor: Actor, action: AuditAction, target: AuditTarget, details: JsonObject, at: number): AuditEventRecord {
  return { id: newId('evt', at), at, actor: actor.id, action, targetType: target.type, targetId: target.id, sourceIp: actor.sourceIp, details };
}

/**
 * Told of each recorded event with the store of the change's transaction: the composition root
 * passes the webhook outbox writer (src/webhooks/outbox.ts), so an event's webhook messages are
 * written in the same transaction as the change.
 */
export type AuditListener = (store: Store, event: AuditEventRecord) => Promise<void>;

export function createAuditLog({ clock, onRecord }: { clock: Clock; onRecord?: AuditListener | undefined }): AuditLog {
  return {
    async record(store, actor, action, target, details = {}) {
      const event = auditEvent(actor, action, target, details, clock.now());
      await store.insertAuditEvent(event);
      if (onRecord) await onRecord(store, event);
      if (actor.idempotentWrite && !(await store.markIdempotentWrite(actor.idempotentWrite, target))) {
        // Another request took this Idempotency-Key over (this one outlived its lock): roll back.
        throw new PortcullisError('IDEMPOTENCY_KEY_IN_USE', 'a retry with the same Idempotency-Key took over this request');
      }
    },
  };
}
