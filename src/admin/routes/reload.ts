// /admin/v1/reload: re-read the config file (APIs, OpenAPI documents, trusted issuers, log level).
import { PortcullisError } from '../../errors/codes.js';
import { ReloadOutcome, type ReloadRequest } from '../reload-schemas.js';
import { errorResponses, ref } from '../schemas.js';
import type { AdminServer } from './admin-server.js';

export function reloadRoutes(server: AdminServer, reload: ReloadRequest | undefined): void {
  server.post(
    '/admin/v1/reload',
    {
      schema: {
        operationId: 'reloadConfig',
        tags: ['config'],
        summary: 'Re-read the config file; an invalid one is refused (422 CONFIG_INVALID) and the running config stays',
        response: { 200: ref(ReloadOutcome), ...errorResponses },
      },
    },
    async (request) => {
      if (!reload) throw new PortcullisError('RELOAD_UNAVAILABLE', 'this admin API has no config file to reload');
      return reload(request.actor);
    },
  );
}
