// /admin/v1/imports: consumers, keys and OAuth clients from another system (src/imports).
import type { App } from '../../app.js';
import { PortcullisError } from '../../errors/codes.js';
import { MAX_RECORDS_PER_REQUEST, rowsOfDocument } from '../../imports/records.js';
import { IMPORT_BODY_LIMIT, ImportQuery, ImportReport, ImportRequest } from '../import-schemas.js';
import { errorResponses, ref } from '../schemas.js';
import type { AdminServer } from './admin-server.js';

export function importRoutes(server: AdminServer, app: App): void {
  server.post(
    '/admin/v1/imports',
    {
      bodyLimit: IMPORT_BODY_LIMIT,
      schema: {
        operationId: 'importRecords',
        tags: ['imports'],
        summary: 'Import consumers, keys and clients from another system (idempotent by externalId)',
        querystring: ImportQuery,
        body: ref(ImportRequest),
        response: { 200: ref(ImportReport), ...errorResponses },
      },
    },
    async (request) => {
      if (request.body.records.length > MAX_RECORDS_PER_REQUEST) {
        throw new PortcullisError('IMPORT_TOO_LARGE', `at most ${MAX_RECORDS_PER_REQUEST} records a request`);
      }
      return app.imports.run(rowsOfDocument(request.body), { actor: request.actor, dryRun: request.query.dryRun ?? false });
    },
  );
}
