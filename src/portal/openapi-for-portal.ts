// An API's OpenAPI document as the portal hands it out: its servers are this gateway's URL for the
// API's base path (never the upstream's), and its security schemes point at this Portcullis — the
// API-key header the gateway reads and the client-credentials flow of `{issuer}/oauth/token`.
import type { OpenApiDocument } from '../lib/openapi.js';

export interface PortalApi {
  name: string;
  basePath: string;
  auth: readonly string[];
  scopes: readonly string[];
  /** The header the gateway reads API keys from. */
  apiKeyHeader: string;
  /** Whether the document's paths follow the base path (true) or include it (false), as the gateway matches them. */
  stripBasePath: boolean;
}

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json => value !== null && typeof value === 'object' && !Array.isArray(value);

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

function scopesOfFlows(flows: unknown): Record<string, string> {
  const scopes: Record<string, string> = {};
  if (!isObject(flows)) return scopes;
  for (const flow of Object.values(flows)) {
    if (isObject(flow) && isObject(flow.scopes)) for (const [name, text] of Object.entries(flow.scopes)) scopes[name] = String(text);
  }
  return scopes;
}

export function documentForPortal(document: OpenApiDocument, api: PortalApi, urls: { gatewayUrl: string; tokenUrl: string }): Json {
  const copy = structuredClone(document) as Json;
  // The gateway matches the document's paths against the forwarded path (docs/gateway.md): the whole
  // request path, or with stripBasePath what follows the base path. The server is what precedes them.
  const prefix = api.stripBasePath ? api.basePath.replace(/\/+$/, '') : '';
  copy.servers = [{ url: `${urls.gatewayUrl}${prefix}`, description: `${api.name} through Portcullis` }];
  // Servers named per path or operation would send a "try it" around the gateway.
  if (isObject(copy.paths)) {
    for (const item of Object.values(copy.paths)) {
      if (!isObject(item)) continue;
      delete item.servers;
      for (const method of HTTP_METHODS) if (isObject(item[method])) delete (item[method] as Json).servers;
    }
  }
  const components = isObject(copy.components) ? copy.components : {};
  copy.components = components;
  const schemes: Json = isObject(components.securitySchemes) ? components.securitySchemes : {};
  components.securitySchemes = schemes;
  const clientCredentials = (scopes: Record<string, string>) => ({ clientCredentials: { tokenUrl: urls.tokenUrl, scopes } });
  for (const [name, scheme] of Object.entries(schemes)) {
    if (!isObject(scheme)) continue;
    // The gateway takes an oauth2 or OpenID Connect scheme as "a JWT of ours": its flow is our token endpoint.
    if (scheme.type === 'oauth2' || scheme.type === 'openIdConnect') {
      schemes[name] = {
        type: 'oauth2',
        ...(scheme.description ? { description: scheme.description } : {}),
        flows: clientCredentials(scopesOfFlows(scheme.flows)),
      };
    }
  }
  // Without its own security the document is served with the API's `auth`, as the gateway does.
  if (copy.security === undefined) {
    const security: Json[] = [];
    if (api.auth.includes('api-key')) {
      schemes.portcullisApiKey = { type: 'apiKey', in: 'header', name: api.apiKeyHeader, description: 'A Portcullis API key' };
      security.push({ portcullisApiKey: [] });
    }
    if (api.auth.includes('jwt')) {
      schemes.portcullisOAuth = {
        type: 'oauth2',
        description: 'An access token from Portcullis (client credentials)',
        flows: clientCredentials(Object.fromEntries(api.scopes.map((s) => [s, s]))),
      };
      security.push({ portcullisOAuth: [...api.scopes] });
    }
    copy.security = security;
  }
  return copy;
}
