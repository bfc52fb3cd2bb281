// TypeBox schemas of the portal API routes the accounts side owns (sign-in, sessions, invitations,
// sign-up, passwords, members, operators): they validate requests and become the portal's OpenAPI
// document ({path}/api/v1/openapi.json).
import { Type } from '@sinclair/typebox';
import { Email, MemberRole } from '../admin/member-schemas.js';

const Token = Type.String({ minLength: 1, maxLength: 200, description: 'The token from the link’s fragment (`#token=…`)' });
const Password = Type.String({ minLength: 1, maxLength: 1024, description: '12 to 128 characters' });

export const PortalInfo = Type.Object({
  title: Type.String(),
  logoUrl: Type.Union([Type.String(), Type.Null()]),
  primaryColor: Type.String(),
  signup: Type.Union([Type.Literal('invite'), Type.Literal('open'), Type.Literal('domains')]),
  issuer: Type.String(),
  tokenUrl: Type.String(),
  gatewayUrl: Type.String(),
});

export const SessionAnswer = Type.Object({
  user: Type.Object({ id: Type.String(), email: Type.String(), role: Type.Union([Type.Literal('operator'), Type.Null()]) }),
  membership: Type.Union([Type.Object({ consumerId: Type.String(), consumerName: Type.String(), role: MemberRole }), Type.Null()]),
  csrfToken: Type.String({ description: 'Send it as X-CSRF-Token with every POST, PATCH and DELETE' }),
});

export const SignIn = Type.Object({ email: Type.String({ minLength: 1, maxLength: 320 }), password: Password }, { additionalProperties: false });
export const TokenBody = Type.Object({ token: Token }, { additionalProperties: false });
export const TokenAndPassword = Type.Object({ token: Token, password: Password }, { additionalProperties: false });
export const Signup = Type.Object(
  { email: Email, password: Password, organisation: Type.String({ minLength: 1, maxLength: 200 }) },
  { additionalProperties: false },
);
export const ResetRequest = Type.Object({ email: Type.String({ minLength: 1, maxLength: 320 }) }, { additionalProperties: false });
export const PasswordChange = Type.Object(
  { currentPassword: Type.Optional(Password), newPassword: Password },
  { additionalProperties: false, description: '`currentPassword` is needed once the account has a password' },
);
export const Accepted = Type.Object({ status: Type.String() });

export const MemberInviteBody = Type.Object({ email: Email, role: MemberRole }, { additionalProperties: false });
export const MemberRoleBody = Type.Object({ role: MemberRole }, { additionalProperties: false });
export const PortalMember = Type.Object({
  id: Type.String(),
  userId: Type.String(),
  email: Type.String(),
  role: MemberRole,
  disabled: Type.Boolean(),
  createdAt: Type.String(),
});
export const PortalMemberPage = Type.Object({ items: Type.Array(PortalMember), nextCursor: Type.Null() });
export const PortalInvitation = Type.Object({
  invitation: Type.Object({ url: Type.String(), email: Type.String(), role: Type.String(), expiresAt: Type.String() }),
  emailSent: Type.Boolean(),
});
export const Operator = Type.Object({ id: Type.String(), email: Type.String(), disabled: Type.Boolean(), createdAt: Type.String() });
export const PortalUserIdParams = Type.Object({ userId: Type.String({ maxLength: 100 }) });
export const PortalUserAnswer = Type.Object({
  id: Type.String(),
  email: Type.String(),
  operator: Type.Boolean(),
  disabled: Type.Boolean({ description: 'A disabled account cannot sign in; disabling it ends its sessions' }),
  createdAt: Type.String(),
});
export const OperatorPage = Type.Object({ items: Type.Array(Operator), nextCursor: Type.Null() });
export const OperatorInvite = Type.Object({ email: Email }, { additionalProperties: false });

export const ConsumerIdParams = Type.Object({ id: Type.String({ maxLength: 100 }) });
export const MemberIdParams = Type.Object({ memberId: Type.String({ maxLength: 100 }) });
export const ConsumerMemberParams = Type.Object({ id: Type.String({ maxLength: 100 }), memberId: Type.String({ maxLength: 100 }) });

export const PortalProblem = Type.Object(
  { type: Type.String(), title: Type.String(), status: Type.Integer(), code: Type.String(), detail: Type.Optional(Type.String()) },
  { additionalProperties: true, description: 'RFC 9457 problem details' },
);
export const portalErrors = { '4xx': PortalProblem, '5xx': PortalProblem } as const;
