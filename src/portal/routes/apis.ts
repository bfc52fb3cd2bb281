// The APIs this gateway publishes, and each one's OpenAPI document pointed at this Portcullis.
import { isAbsolute, resolve } from 'node:path';
import { errorResponses, ref } from '../../admin/schemas.js';
import type { App } from '../../app.js';
import { type ApiConfig, DEFAULT_API_KEY_HEADER } from '../../config/schema.js';
import { PortcullisError } from '../../errors/codes.js';
import { loadOpenApi } from '../../lib/openapi.js';
import { documentForPortal } from '../openapi-for-portal.js';
import { ApiList, ApiParams, OpenApiDocument } from '../schemas.js';
import type { PortalServer } from './portal-server.js';

export function apiRoutes(server: PortalServer, app: App, apis: () => readonly ApiConfig[], baseDir: string): void {
  // Read on first use and kept with the API's config entry: a reload brings new entries (and reads
  // the documents again, as the gateway did), and the old entries' documents go with them.
  const documents = new WeakMap<ApiConfig, Record<string, unknown>>();

  server.get(
    '/apis',
    {
      schema: {
        operationId: 'listApis',
        tags: ['apis'],
        summary: 'The APIs this gateway publishes',
        response: { 200: ref(ApiList), ...errorResponses },
      },
    },
    async () => apis().map((api) => ({ name: api.name, basePath: api.basePath, auth: api.auth, scopes: api.scopes, hasOpenApi: api.openapi !== undefined })),
  );

  server.get(
    '/apis/:name/openapi.json',
    {
      schema: {
        operationId: 'getApiOpenApi',
        tags: ['apis'],
        summary: 'An API’s OpenAPI document, its servers and security schemes pointing at this Portcullis',
        params: ApiParams,
        response: { 200: ref(OpenApiDocument), ...errorResponses },
      },
    },
    async (request) => {
      const name = request.params.name;
      const api = apis().find((a) => a.name === name);
      const cached = api && documents.get(api);
      if (cached) return cached;
      if (!api?.openapi) throw new PortcullisError('API_NOT_FOUND', `no API ${name} with an OpenAPI document`);
      let document: ReturnType<typeof loadOpenApi>;
      try {
        document = loadOpenApi(isAbsolute(api.openapi) ? api.openapi : resolve(baseDir, api.openapi));
      } catch (error) {
        request.log.warn({ err: error, api: name }, 'the API’s OpenAPI document cannot be read');
        throw new PortcullisError('API_NOT_FOUND', `no API ${name} with an OpenAPI document`);
      }
      const { issuer, tokenEndpoint } = app.oauth.settings;
      const served = documentForPortal(
        document,
        {
          name: api.name,
          basePath: api.basePath,
          stripBasePath: api.stripBasePath,
          auth: api.auth,
          scopes: api.scopes,
          apiKeyHeader: api.apiKeyHeader ?? DEFAULT_API_KEY_HEADER,
        },
        { gatewayUrl: issuer, tokenUrl: tokenEndpoint },
      );
      documents.set(api, served);
      return served;
    },
  );
}
