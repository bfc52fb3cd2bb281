// The mailer the config asks for: SMTP when `portal.smtp` is set, otherwise the store's outbox.
import type { Clock } from '../lib/clock.js';
import type { Store } from '../store/types.js';
import type { Mailer } from './mailer.js';
import { createOutboxMailer } from './outbox.js';
import { createSmtpMailer } from './smtp.js';

export function createMailer({ smtp, from, store, clock }: { smtp: string | undefined; from: string; store: Store; clock: Clock }): Mailer {
  return smtp ? createSmtpMailer({ url: smtp, from }) : createOutboxMailer({ store, clock });
}
