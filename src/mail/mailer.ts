// The Mailer port: the portal's emails (invitations, resets, sign-in links, verification) go to
// SMTP when `portal.smtp` is set (smtp.ts), else to the outbox in the store (outbox.ts).
import type { Store } from '../store/types.js';

export interface MailMessage {
  to: string;
  subject: string;
  /** Plain text; links are written out in full. */
  text: string;
}

export interface Mailer {
  readonly kind: 'smtp' | 'outbox';
  /**
   * The outbox writes the message through `options.store` when given (a caller's transaction, so the
   * message is kept only if the change that wrote it commits); SMTP sends at once and ignores it.
   */
  send(message: MailMessage, options?: { store?: Store }): Promise<void>;
  close(): Promise<void>;
}
