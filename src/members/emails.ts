// The texts of the portal's emails. Plain text, the link written out whole.
import type { MailMessage } from '../mail/mailer.js';

export function invitationEmail(to: string, input: { title: string; link: string; consumerName: string | null; role: string }): MailMessage {
  const what = input.consumerName ? `join ${input.consumerName} as ${input.role === 'owner' ? 'an owner' : 'a developer'}` : 'run it as an operator';
  return {
    to,
    subject: `You are invited to ${input.title}`,
    text: `You are invited to ${input.title}, to ${what}.\n\nChoose a password here (the link works once, for 7 days):\n\n${input.link}\n\nIf you did not expect this, ignore this email.\n`,
  };
}

export function resetEmail(to: string, input: { title: string; link: string }): MailMessage {
  return {
    to,
    subject: `Reset your ${input.title} password`,
    text: `Someone asked to reset the password of this address on ${input.title}.\n\nChoose a new password here (the link works once, for 1 hour):\n\n${input.link}\n\nIf it was not you, ignore this email; your password stays as it is.\n`,
  };
}

export function verifyEmail(to: string, input: { title: string; link: string }): MailMessage {
  return {
    to,
    subject: `Confirm your email address for ${input.title}`,
    text: `Confirm this address to finish signing up to ${input.title} (the link works once, for 1 hour):\n\n${input.link}\n\nIf it was not you, ignore this email.\n`,
  };
}

export function operatorSignInEmail(to: string, input: { title: string; link: string }): MailMessage {
  return {
    to,
    subject: `Your sign-in link for ${input.title}`,
    text: `Sign in to ${input.title} as an operator with this link (it works once, for 1 hour):\n\n${input.link}\n`,
  };
}
