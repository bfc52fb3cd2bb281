// Sends the portal's emails over SMTP with nodemailer (`portal.smtp: smtp://user:pass@host:587`,
// `smtps://…` for implicit TLS; STARTTLS is used whenever the server offers it).
import nodemailer from 'nodemailer';
import type { Mailer } from './mailer.js';

export interface SmtpMailerOptions {
  url: string;
  from: string;
  /** Every connection step and the whole send are bounded by this. */
  timeoutMs?: number;
}

export function createSmtpMailer({ url, from, timeoutMs = 10_000 }: SmtpMailerOptions): Mailer {
  const transport = nodemailer.createTransport({
    url,
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs,
    // Never write the messages (they carry one-time links) or the credentials to a log.
    logger: false,
    debug: false,
  });
  return {
    kind: 'smtp',
    async send(message) {
      await transport.sendMail({ from, to: message.to, subject: message.subject, text: message.text });
    },
    async close() {
      transport.close();
    },
  };
}
