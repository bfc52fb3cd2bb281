// Audit events for OAuth changes, in the same table and shape as every other audit event (audit/log.ts),
// written in the transaction of the change. Details never hold a secret, only masked forms and ids.
import type { Actor } from '../audit/log.js';
import type { Clock } from '../lib/clock.js';
import { newId } from '../lib/ids.js';
import type { JsonObject, Store } from '../store/types.js';

export type OAuthAuditAction =
  | 'client.created'
  | 'client.updated'
  | 'client.deleted'
  | 'client.secret_rotated'
  | 'client.tokens_revoked'
  | 'token.revoked'
  | 'signing_key.created'
  | 'signing_key.rotated';

export type OAuthAuditTarget = { type: 'client' | 'token' | 'signing-key'; id: string };

export interface OAuthAudit {
  record(store: Store, actor: Actor, action: OAuthAuditAction, target: OAuthAuditTarget, details?: JsonObject): Promise<void>;
}

export function createOAuthAudit({ clock }: { clock: Clock }): OAuthAudit {
  return {
    async record(store, actor, action, target, details = {}) {
      const at = clock.now();
      await store.insertAuditEvent({
        id: newId('evt', at),
        at,
        actor: actor.id,
        action,
        targetType: target.type,
        targetId: target.id,
        sourceIp: actor.sourceIp,
        details,
      });
    },
  };
}
