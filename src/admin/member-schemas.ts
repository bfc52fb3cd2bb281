// TypeBox schemas of the admin routes for the developer portal's members and the mail outbox: they
// validate requests, type handlers and become the OpenAPI document (and portcullis/admin's types).
import { Type } from '@sinclair/typebox';
import { idPattern } from '../lib/ids.js';
import { ConsumerId, pageOf, ref } from './schemas.js';

const Timestamp = Type.String({ format: 'date-time' });
export const Email = Type.String({ format: 'email', minLength: 3, maxLength: 320, description: 'An email address; one account per address, in any case' });
export const MemberRole = Type.Union([Type.Literal('owner'), Type.Literal('developer')], {
  description: '`owner` also manages the consumer’s members; `developer` manages keys, clients and sees usage',
});
export const MemberId = Type.String({ pattern: idPattern('mem'), description: 'Member id (`mem_…`)' });
export const MemberParams = Type.Object({ id: ConsumerId, memberId: MemberId });

export const MemberInvite = Type.Object({ email: Email, role: MemberRole }, { $id: 'MemberInvite', additionalProperties: false });

export const Member = Type.Object(
  {
    id: Type.String(),
    userId: Type.String(),
    email: Type.String(),
    role: MemberRole,
    disabled: Type.Boolean({ description: 'The account is disabled: it cannot sign in' }),
    createdAt: Timestamp,
  },
  { $id: 'Member', additionalProperties: false },
);
export const MemberPage = pageOf(Member);

export const IssuedInvitation = Type.Object(
  {
    invitation: Type.Object({
      url: Type.String({ description: 'The one-time link (its token is in the fragment). Shown once: it is stored only as a hash' }),
      email: Type.String(),
      role: Type.Union([MemberRole, Type.Literal('operator')]),
      expiresAt: Timestamp,
    }),
    emailSent: Type.Boolean({ description: 'Whether the invitation email was sent (or put in the outbox); false when SMTP failed' }),
  },
  { $id: 'IssuedInvitation', additionalProperties: false },
);

export const OutboxMessage = Type.Object(
  { id: Type.String(), to: Type.String(), subject: Type.String(), text: Type.String(), createdAt: Timestamp },
  { $id: 'OutboxMessage', additionalProperties: false, description: 'An email kept in the store because no portal.smtp is configured' },
);
export const OutboxMessagePage = pageOf(OutboxMessage);

export const PortalUserId = Type.String({ pattern: idPattern('usr'), description: 'Portal user id (`usr_…`)' });
export const PortalUserParams = Type.Object({ userId: PortalUserId });
export const PortalUser = Type.Object(
  {
    id: Type.String(),
    email: Type.String(),
    operator: Type.Boolean(),
    disabled: Type.Boolean({ description: 'A disabled account cannot sign in; disabling it ends its sessions' }),
    createdAt: Timestamp,
  },
  { $id: 'PortalUser', additionalProperties: false, description: 'A developer portal account (a member or an operator)' },
);

/** Not named: a member route's reference to the member's schema. */
export const MemberRef = ref(Member);
