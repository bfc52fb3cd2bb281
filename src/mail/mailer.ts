// The Mailer port: the portal's emails (invitations, resets, sign-in links, verification) go to
// SMTP when `portal.smtp` is set (smtp.ts), else to the outbox in the store (outbox.ts).
export interface MailMessage {
  to: string;
  subject: string;
  /** Plain text; links are written out in full. */
  text: string;
}

export interface Mailer {
  readonly kind: 'smtp' | 'outbox';
  send(message: MailMessage): Promise<void>;
  close(): Promise<void>;
}
