// /admin/v1/consumers/{id}/members (the developer portal's members of a consumer) and
// /admin/v1/outbox (emails kept in the store when no portal.smtp is configured).
import type { App } from '../../app.js';
import { decodeCursor, encodeCursor } from '../../lib/cursor.js';
import type { MemberRecord, PortalUserRecord } from '../../store/members-types.js';
import { IssuedInvitation, MemberInvite, MemberPage, MemberParams, OutboxMessagePage, PortalUser, PortalUserParams } from '../member-schemas.js';
import { ConsumerParams, errorResponses, noContent, PageQueryWithDefaults, ref } from '../schemas.js';
import type { AdminServer } from './admin-server.js';

const iso = (ms: number) => new Date(ms).toISOString();

export const memberView = (m: MemberRecord) => ({
  id: m.id,
  userId: m.userId,
  email: m.email,
  role: m.role,
  disabled: m.disabled,
  createdAt: iso(m.createdAt),
});
export const portalUserView = (u: PortalUserRecord) => ({ id: u.id, email: u.email, operator: u.operator, disabled: u.disabled, createdAt: iso(u.createdAt) });

export function memberRoutes(server: AdminServer, app: App): void {
  server.post(
    '/admin/v1/consumers/:id/members',
    {
      schema: {
        operationId: 'inviteMember',
        tags: ['members'],
        summary: 'Invite a person to the developer portal as a member of this consumer; the link is emailed and shown once',
        params: ConsumerParams,
        body: ref(MemberInvite),
        response: { 201: ref(IssuedInvitation), ...errorResponses },
      },
    },
    async (request, reply) => {
      const issued = await app.members.invite(request.params.id, request.body, request.actor);
      return reply.code(201).send({ ...issued, invitation: { ...issued.invitation, expiresAt: iso(issued.invitation.expiresAt) } });
    },
  );

  server.get(
    '/admin/v1/consumers/:id/members',
    {
      schema: {
        operationId: 'listMembers',
        tags: ['members'],
        summary: 'List the portal members of a consumer',
        params: ConsumerParams,
        response: { 200: ref(MemberPage), ...errorResponses },
      },
    },
    async (request) => ({ items: (await app.members.listMembers(request.params.id)).map(memberView), nextCursor: null }),
  );

  server.delete(
    '/admin/v1/consumers/:id/members/:memberId',
    {
      schema: {
        operationId: 'removeMember',
        tags: ['members'],
        summary: 'Remove a member; their portal sessions end at once',
        params: MemberParams,
        response: { 204: noContent, ...errorResponses },
      },
    },
    async (request, reply) => {
      await app.members.removeMember(request.params.id, request.params.memberId, request.actor);
      return reply.code(204).send();
    },
  );

  for (const [action, disabled] of [
    ['disable', true],
    ['enable', false],
  ] as const) {
    server.post(
      `/admin/v1/portal-users/:userId/${action}`,
      {
        schema: {
          operationId: `${action}PortalUser`,
          tags: ['members'],
          summary: disabled
            ? 'Disable a portal account: it cannot sign in, and its sessions end at once'
            : 'Enable a disabled portal account again (it signs in anew)',
          params: PortalUserParams,
          response: { 200: ref(PortalUser), ...errorResponses },
        },
      },
      async (request) => portalUserView(await app.members.setUserDisabled(request.params.userId, disabled, request.actor)),
    );
  }

  server.get(
    '/admin/v1/outbox',
    {
      schema: {
        operationId: 'listOutbox',
        tags: ['members'],
        summary: 'List the emails kept in the store (no portal.smtp configured), newest first',
        querystring: PageQueryWithDefaults,
        response: { 200: ref(OutboxMessagePage), ...errorResponses },
      },
    },
    async (request) => {
      const page = await app.store.listOutboxMessages({ after: decodeCursor(request.query.cursor), limit: request.query.limit });
      return {
        items: page.items.map((m) => ({ id: m.id, to: m.recipient, subject: m.subject, text: m.text, createdAt: iso(m.createdAt) })),
        nextCursor: encodeCursor(page.nextCursor),
      };
    },
  );
}
