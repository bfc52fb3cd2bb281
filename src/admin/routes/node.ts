// /admin/v1/restart: a rolling restart of this node's workers (docs/deployment.md "Workers"). The admin
// listener is served by the workers; the one that answers asks its supervisor, which replaces every
// worker one at a time after the answer has gone (202). A node without a supervisor has nothing to replace.
import { hostname } from 'node:os';
import type { App } from '../../app.js';
import { PortcullisError } from '../../errors/codes.js';
import { errorResponses, RestartAccepted, ref } from '../schemas.js';
import type { AdminServer } from './admin-server.js';

export function nodeRoutes(server: AdminServer, app: App, rollingRestart: (() => void) | undefined): void {
  server.post(
    '/admin/v1/restart',
    {
      schema: {
        operationId: 'rollingRestart',
        tags: ['node'],
        summary: "Replace this node's workers one at a time: each new one listens before the old one drains (202; the restart runs after the answer)",
        response: { 202: ref(RestartAccepted), ...errorResponses },
      },
    },
    async (request, reply) => {
      if (!rollingRestart) throw new PortcullisError('RESTART_UNAVAILABLE', 'this node runs one process (no workers); restart it with its service manager');
      await app.audit.record(app.store, request.actor, 'node.restart_requested', { type: 'node', id: hostname() }, { kind: 'rolling' });
      rollingRestart();
      return reply.code(202).send({ status: 'restarting', detail: 'the workers are replaced one at a time; watch the log for "rolling restart done"' });
    },
  );
}
