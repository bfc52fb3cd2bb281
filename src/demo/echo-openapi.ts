// The demo API's OpenAPI document, written beside the demo database on the first demo start and
// named by the demo API's `openapi`, as a user's config names theirs: the portal's reference page
// renders it and the gateway matches its operations (paths it does not list still pass through).
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { stringify } from 'yaml';

export const DEMO_OPENAPI_FILE = 'echo.openapi.yaml';

const echoAnswer = {
  description: 'What the echo upstream received: method, path, body size and the identity headers Portcullis added',
  content: { 'application/json': { schema: { $ref: '#/components/schemas/Echo' } } },
};

/** OpenAPI 3.1: the echo upstream answers every request with an `Echo`; the document names a few of them. */
export const ECHO_OPENAPI = {
  openapi: '3.1.0',
  info: {
    title: 'Echo (Portcullis demo)',
    version: '1.0.0',
    description:
      'The demo API. Every call reaches a built-in upstream that answers with what it received — method, path, body size and the identity headers the gateway added — so each call shows what an upstream sees.',
  },
  // Any one of these: an API key in X-API-Key, an API key or access token as a Bearer token, or an
  // access token of the client-credentials flow (the portal points tokenUrl at this Portcullis).
  security: [{ apiKey: [] }, { bearer: [] }, { oauth: ['echo:read'] }],
  paths: {
    '/echo/hello': {
      get: { operationId: 'sayHello', summary: 'Say hello', tags: ['echo'], responses: { 200: echoAnswer, 401: { $ref: '#/components/responses/Problem' } } },
    },
    '/echo/items': {
      post: {
        operationId: 'createItem',
        summary: 'Send an item; the echo tells its size',
        tags: ['echo'],
        requestBody: {
          required: true,
          content: { 'application/json': { schema: { $ref: '#/components/schemas/Item' }, example: { name: 'first item', quantity: 2 } } },
        },
        responses: { 200: echoAnswer, 401: { $ref: '#/components/responses/Problem' } },
      },
    },
    '/echo/items/{itemId}': {
      get: {
        operationId: 'getItem',
        summary: 'Get an item by id; the echo shows the path it received',
        tags: ['echo'],
        parameters: [{ name: 'itemId', in: 'path', required: true, schema: { type: 'string', maxLength: 64 }, example: 'item_42' }],
        responses: { 200: echoAnswer, 401: { $ref: '#/components/responses/Problem' } },
      },
    },
  },
  components: {
    securitySchemes: {
      apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key', description: 'A Portcullis API key' },
      bearer: { type: 'http', scheme: 'bearer', description: 'A Portcullis API key or access token, as `Authorization: Bearer …`' },
      oauth: {
        type: 'oauth2',
        description: 'An access token from Portcullis’ token endpoint (client credentials)',
        flows: { clientCredentials: { tokenUrl: '/oauth/token', scopes: { 'echo:read': 'Call the echo API' } } },
      },
    },
    schemas: {
      Item: {
        type: 'object',
        required: ['name'],
        properties: { name: { type: 'string', maxLength: 100 }, quantity: { type: 'integer', minimum: 1 } },
      },
      Echo: {
        type: 'object',
        required: ['message', 'method', 'path', 'bodyBytes', 'identity', 'headers'],
        properties: {
          message: { type: 'string' },
          method: { type: 'string', examples: ['GET'] },
          path: { type: 'string', examples: ['/echo/hello'] },
          bodyBytes: { type: 'integer', minimum: 0 },
          identity: {
            type: 'object',
            properties: {
              consumerId: { type: ['string', 'null'] },
              consumerName: { type: ['string', 'null'] },
              credentialType: { type: ['string', 'null'], enum: ['api-key', 'jwt', null] },
              credentialId: { type: ['string', 'null'] },
              scopes: { type: ['string', 'null'] },
              metadata: { type: ['object', 'null'] },
            },
          },
          headers: { type: 'object', additionalProperties: { type: 'string' } },
        },
      },
    },
    responses: {
      Problem: {
        description: 'No credential, or one the gateway refuses (RFC 9457 problem JSON)',
        content: { 'application/problem+json': { schema: { type: 'object', properties: { code: { type: 'string' }, title: { type: 'string' } } } } },
      },
    },
  },
};

/**
 * The document's file for this demo: beside the SQLite database (`./.portcullis/` by default), or in
 * `./.portcullis/` for another store. Written when missing, so an edited copy is kept; delete it to
 * get this one back.
 */
export function ensureDemoOpenApi(store: string): string {
  const folder = store.startsWith('sqlite:') && store !== 'sqlite::memory:' ? dirname(store.slice('sqlite:'.length)) : '.portcullis';
  const path = resolve(join(folder, DEMO_OPENAPI_FILE));
  if (!existsSync(path)) {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    writeFileSync(
      path,
      `# The Portcullis demo API's OpenAPI document (the demo API's \`openapi\`). Delete it to get the original back.\n${stringify(ECHO_OPENAPI)}`,
    );
  }
  return path;
}
