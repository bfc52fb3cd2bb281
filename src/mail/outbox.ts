// Without SMTP, a message is kept in the store's outbox (GET /admin/v1/outbox; printed by the demo),
// so invitations and resets work on a laptop with no mail server.
import type { Clock } from '../lib/clock.js';
import { newId } from '../lib/ids.js';
import type { Store } from '../store/types.js';
import type { Mailer } from './mailer.js';

export function createOutboxMailer({ store, clock }: { store: Store; clock: Clock }): Mailer {
  return {
    kind: 'outbox',
    async send(message, options) {
      const now = clock.now();
      await (options?.store ?? store).insertOutboxMessage({
        id: newId('msg', now),
        recipient: message.to,
        subject: message.subject,
        text: message.text,
        createdAt: now,
      });
    },
    async close() {},
  };
}
