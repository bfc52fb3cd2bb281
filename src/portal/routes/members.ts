// The portal API's member routes: an owner manages the members of their consumer (`members`); an
// operator manages any consumer's (`admin/consumers/{id}/members`) and the operators (`admin/operators`).
// A member id outside the principal's consumer is answered 404, as an unknown one.
import type { FastifyRequest } from 'fastify';
import type { App } from '../../app.js';
import { PortcullisError } from '../../errors/codes.js';
import type { MemberRecord } from '../../store/members-types.js';
import {
  ConsumerIdParams,
  ConsumerMemberParams,
  MemberIdParams,
  MemberInviteBody,
  MemberRoleBody,
  OperatorInvite,
  OperatorPage,
  PortalInvitation,
  PortalMember,
  PortalMemberPage,
  PortalUserAnswer,
  PortalUserIdParams,
  portalErrors,
} from '../account-schemas.js';
import { portalActor, principalOf } from '../session.js';
import type { PortalServer } from './portal-server.js';

const iso = (ms: number) => new Date(ms).toISOString();
const memberView = (m: MemberRecord) => ({ id: m.id, userId: m.userId, email: m.email, role: m.role, disabled: m.disabled, createdAt: iso(m.createdAt) });
const noContent = { type: 'null', description: 'No content' } as const;
const tags = ['members'];

/** The consumer whose members an owner manages; a developer (or an operator without a membership) may not. */
function ownedConsumer(request: FastifyRequest): string {
  const { membership } = principalOf(request);
  if (membership?.role !== 'owner') throw new PortcullisError('PORTAL_ROLE_REQUIRED', 'only an owner manages the members of an organisation');
  return membership.consumerId;
}

function requireOperator(request: FastifyRequest): void {
  if (!principalOf(request).operator) throw new PortcullisError('PORTAL_ROLE_REQUIRED', 'only an operator may do this');
}

/** An unknown consumer is a missing member to an operator too: one answer for what does not exist. */
async function operatorConsumer(app: App, request: FastifyRequest, id: string): Promise<string> {
  requireOperator(request);
  if (!(await app.store.getConsumer(id))) throw new PortcullisError('CONSUMER_NOT_FOUND', `no consumer ${id}`);
  return id;
}

function invitationView(issued: { invitation: { url: string; email: string; role: string; expiresAt: number }; emailSent: boolean }) {
  return { ...issued, invitation: { ...issued.invitation, expiresAt: iso(issued.invitation.expiresAt) } };
}

/** GET|POST members, PATCH|DELETE members/{memberId} for one consumer, found by `consumerOf`. */
function memberRoutesFor(
  scope: PortalServer,
  app: App,
  prefix: string,
  consumerOf: (request: FastifyRequest) => Promise<string>,
  idPrefix: 'owner' | 'operator',
) {
  const op = (name: string) => (idPrefix === 'owner' ? name : `operator${name[0]!.toUpperCase()}${name.slice(1)}`);
  const params = idPrefix === 'owner' ? MemberIdParams : ConsumerMemberParams;
  const listParams = idPrefix === 'owner' ? {} : { params: ConsumerIdParams };

  scope.get(
    `${prefix}/members`,
    { schema: { operationId: op('listMembers'), tags, summary: 'List the members', ...listParams, response: { 200: PortalMemberPage, ...portalErrors } } },
    async (request) => ({ items: (await app.members.listMembers(await consumerOf(request))).map(memberView), nextCursor: null }),
  );

  scope.post(
    `${prefix}/members`,
    {
      schema: {
        operationId: op('inviteMember'),
        tags,
        summary: 'Invite a member: the link is emailed, and shown once here',
        ...listParams,
        body: MemberInviteBody,
        response: { 201: PortalInvitation, ...portalErrors },
      },
    },
    async (request, reply) =>
      reply.code(201).send(invitationView(await app.members.invite(await consumerOf(request), request.body, portalActor(app, request)))),
  );

  scope.patch(
    `${prefix}/members/:memberId`,
    {
      schema: {
        operationId: op('changeMemberRole'),
        tags,
        summary: 'Change a member’s role',
        params,
        body: MemberRoleBody,
        response: { 200: PortalMember, ...portalErrors },
      },
    },
    async (request) => {
      const { memberId } = request.params as { memberId: string };
      return memberView(await app.members.changeRole(await consumerOf(request), memberId, request.body.role, portalActor(app, request)));
    },
  );

  scope.delete(
    `${prefix}/members/:memberId`,
    {
      schema: { operationId: op('removeMember'), tags, summary: 'Remove a member; their sessions end', params, response: { 204: noContent, ...portalErrors } },
    },
    async (request, reply) => {
      const { memberId } = request.params as { memberId: string };
      await app.members.removeMember(await consumerOf(request), memberId, portalActor(app, request));
      return reply.code(204).send();
    },
  );
}

export function memberRoutes(scope: PortalServer, app: App): void {
  memberRoutesFor(scope, app, '', async (request) => ownedConsumer(request), 'owner');
  memberRoutesFor(scope, app, '/admin/consumers/:id', (request) => operatorConsumer(app, request, (request.params as { id: string }).id), 'operator');

  scope.get(
    '/admin/operators',
    { schema: { operationId: 'listOperators', tags, summary: 'List the operators', response: { 200: OperatorPage, ...portalErrors } } },
    async (request) => {
      requireOperator(request);
      const operators = await app.members.listOperators();
      return { items: operators.map((o) => ({ id: o.id, email: o.email, disabled: o.disabled, createdAt: iso(o.createdAt) })), nextCursor: null };
    },
  );

  scope.post(
    '/admin/operators',
    {
      schema: {
        operationId: 'inviteOperator',
        tags,
        summary: 'Invite an operator: the link is emailed, and shown once here',
        body: OperatorInvite,
        response: { 201: PortalInvitation, ...portalErrors },
      },
    },
    async (request, reply) => {
      requireOperator(request);
      const issued = await app.members.inviteOperator(request.body.email, portalActor(app, request));
      return reply.code(201).send(invitationView({ ...issued, invitation: { ...issued.invitation, role: 'operator' } }));
    },
  );

  // An operator disables or enables any portal account (a member or another operator), not their own.
  for (const [action, disabled] of [
    ['disable', true],
    ['enable', false],
  ] as const) {
    scope.post(
      `/admin/users/:userId/${action}`,
      {
        schema: {
          operationId: `operator${action === 'disable' ? 'Disable' : 'Enable'}User`,
          tags,
          summary: disabled ? 'Disable a portal account: it cannot sign in, and its sessions end at once' : 'Enable a disabled portal account again',
          params: PortalUserIdParams,
          response: { 200: PortalUserAnswer, ...portalErrors },
        },
      },
      async (request) => {
        requireOperator(request);
        const { userId } = request.params as { userId: string };
        if (userId === principalOf(request).userId) throw new PortcullisError('PORTAL_USER_SELF', 'you cannot disable or enable your own account');
        const user = await app.members.setUserDisabled(userId, disabled, portalActor(app, request));
        return { id: user.id, email: user.email, operator: user.operator, disabled: user.disabled, createdAt: iso(user.createdAt) };
      },
    );
  }
}
