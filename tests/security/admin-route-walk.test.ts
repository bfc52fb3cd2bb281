// Issue #19 §1: every admin route, in every spelling of its path, refuses a caller without an admin
// key (400/401/403; never 2xx, never 5xx), over a real socket so no client normalises the target.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { adminRoutes } from '../../src/admin/route-access.js';
import { validateConfig } from '../../src/config/load.js';
import { generateKey } from '../../src/keys/format.js';
import { generateMasterKey } from '../../src/oauth/master-key.js';
import { type RunningPortcullis, startPortcullis } from '../../src/server/start.js';
import { testLogger } from '../helpers/logs.js';
import { failedMessage } from '../webhooks/fixtures.js';
import { inBatches, type RawResponse, rawRequest } from './admin-raw-http.js';

interface Operation {
  method: string;
  /** OpenAPI path, `{param}` style. */
  path: string;
  /** A body that passes the route's schema, so a request that got past auth would reach the handler. */
  body?: string;
  /** Public by design (answers 200 to anyone at its canonical spelling). */
  public?: boolean;
}

type Schema = {
  $ref?: string;
  type?: string;
  format?: string;
  required?: string[];
  properties?: Record<string, Schema>;
  minProperties?: number;
  default?: unknown;
  anyOf?: Schema[];
  const?: unknown;
  enum?: unknown[];
  minimum?: number;
  items?: Schema;
  minItems?: number;
};

/** The smallest value the schema accepts, as far as the admin schemas need; `components` resolves `$ref`s. */
function sample(schema: Schema, components: Record<string, Schema>): unknown {
  if (schema.$ref) return sample(components[schema.$ref.replace('#/components/schemas/', '')]!, components);
  if (schema.default !== undefined) return schema.default;
  if (schema.const !== undefined) return schema.const;
  if (schema.enum) return schema.enum[0];
  if (schema.anyOf) return sample(schema.anyOf.find((s) => s.type !== 'null') ?? schema.anyOf[0]!, components);
  switch (schema.type) {
    case 'string':
      // A URL by an IP address of TEST-NET-1: public (a webhook may reach it) and never resolved.
      return schema.format === 'email' ? 'probe@example.com' : schema.format === 'uri' ? 'http://192.0.2.1/hooks' : 'probe';
    case 'integer':
    case 'number':
      return schema.minimum ?? 1;
    case 'boolean':
      return false;
    case 'array':
      return (schema.minItems ?? 0) > 0 && schema.items ? [sample(schema.items, components)] : [];
    case 'object': {
      const out: Record<string, unknown> = {};
      const names = [...(schema.required ?? [])];
      if (names.length === 0 && (schema.minProperties ?? 0) > 0)
        names.push(Object.keys(schema.properties ?? {}).find((n) => n === 'name') ?? Object.keys(schema.properties ?? {})[0]!);
      for (const name of names) out[name] = sample(schema.properties?.[name] ?? {}, components);
      return out;
    }
    default:
      return null;
  }
}

/** The path spellings an attacker tries; each must be refused like the canonical one, or as a bad path. */
function spellings(path: string, port: number): Array<{ name: string; target: string }> {
  const [first, ...rest] = path.slice(1).split('/');
  const tail = rest.join('/');
  const upperFirst = first!.charAt(0).toUpperCase() + first!.slice(1);
  const list = [
    { name: 'as is', target: path },
    { name: '%61 for a', target: path.replace('a', '%61') },
    { name: '%2F for a slash', target: rest.length ? `/${first}%2F${tail}` : `${path}%2F` },
    { name: '%2f for a slash', target: rest.length ? `/${first}%2f${tail}` : `${path}%2f` },
    { name: 'absolute-form', target: `http://127.0.0.1:${port}${path}` },
    { name: 'absolute-form, other host', target: `http://evil.example${path}` },
    { name: 'leading //', target: `/${path}` },
    { name: 'inner //', target: rest.length ? `/${first}//${tail}` : `${path}//` },
    { name: '/./', target: rest.length ? `/${first}/./${tail}` : `/.${path}` },
    { name: '/../', target: rest.length ? `/${first}/../${first}/${tail}` : `/x/..${path}` },
    { name: '%2e%2e', target: rest.length ? `/${first}/%2e%2e/${first}/${tail}` : `/x/%2e%2e${path}` },
    { name: '%2E', target: rest.length ? `/${first}/%2E/${tail}` : `/%2E${path}` },
    { name: 'trailing ;x', target: `${path};x` },
    { name: 'trailing /', target: `${path}/` },
    { name: 'query ?x', target: `${path}?x` },
    { name: 'mixed case', target: `/${upperFirst}${rest.length ? `/${tail}` : ''}` },
    { name: '%7E and %2D', target: `${path.replace(/-/, '%2D')}%7E` },
    { name: 'fragment', target: `${path}#x` },
  ];
  return list;
}

describe('admin API: no spelling of a route gets past authentication', () => {
  let running: RunningPortcullis;
  let dir: string;
  let port: number;
  let consumerKey: string;
  const ids: Record<string, string> = {};

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'portcullis-admin-walk-'));
    const config = validateConfig(
      { store: `sqlite:${join(dir, 'p.db')}`, listen: { host: '127.0.0.1', port: 0 }, admin: { port: 0 }, oauth: { masterKey: generateMasterKey() } },
      'test',
    );
    running = await startPortcullis({ loaded: { config, path: null, demo: false }, logger: testLogger(), print: () => undefined });
    port = (running.admin.server.address() as AddressInfo).port;
    const actor = { id: 'test', sourceIp: null };
    // Real objects: a request that got past auth would read or change them (2xx), not 404.
    const consumer = await running.app.consumers.create({ name: 'victim', metadata: { secret: 'meta' }, scopes: ['read'] }, actor);
    const issued = await running.app.keys.create(consumer.id, { scopes: ['read'] }, actor);
    consumerKey = issued.key;
    const client = await running.app.oauth.clients.create(consumer.id, { name: 'c' }, actor);
    ids.id = consumer.id;
    ids.keyId = issued.record.id;
    ids.clientId = client.client.id;
    ids.jti = 'probe-jti';
    ids.userId = (await running.app.members.createOperatorSignInLink('walk@example.com', actor)).userId;
    // A disabled endpoint (nothing is sent) with one message in its delivery log.
    const webhook = await running.app.webhooks.create(null, { url: 'http://192.0.2.1/hooks', events: ['key.created'], enabled: false }, actor);
    const at = running.app.clock.now();
    ids.webhookId = webhook.endpoint.id;
    const delivery = failedMessage(ids.webhookId, at);
    ids.deliveryId = delivery.id;
    await running.app.store.insertWebhookMessages([delivery]);
  });
  after(async () => {
    await running.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function operations(): Promise<Operation[]> {
    const response = await rawRequest(port, { method: 'GET', target: '/admin/v1/openapi.json' });
    assert.equal(response.status, 200, 'the OpenAPI document is public');
    const doc = JSON.parse(response.body) as {
      paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: Schema }> } }>>;
      components: { schemas: Record<string, Schema> };
    };
    const ops: Operation[] = [];
    for (const [path, methods] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(methods)) {
        const schema = op.requestBody?.content['application/json']?.schema;
        ops.push({ method: method.toUpperCase(), path, ...(schema ? { body: JSON.stringify(sample(schema, doc.components.schemas)) } : {}) });
        if (method === 'get') ops.push({ method: 'HEAD', path });
      }
    }
    assert.ok(ops.length >= 24, `the document lists the admin routes (${ops.length})`);
    // Routes the server registers itself, outside the document.
    for (const path of ['/healthz', '/readyz', '/admin/v1/openapi.json']) {
      ops.push({ method: 'GET', path, public: true }, { method: 'HEAD', path, public: true });
    }
    ops.push({ method: 'GET', path: '/metrics' }, { method: 'HEAD', path: '/metrics' });
    // And any other route the listener has: none may escape the walk by being left out of the document.
    const known = new Set(ops.map((op) => `${op.method} ${op.path}`));
    for (const route of adminRoutes(running.admin)) {
      const path = route.url.replace(/:(\w+)/g, '{$1}');
      if (!known.has(`${route.method} ${path}`)) ops.push({ method: route.method, path, public: route.access === 'public' });
    }
    // Methods no route has on these paths (the not-found handler is a route of its own).
    for (const path of new Set(ops.map((op) => op.path))) ops.push({ method: 'PUT', path }, { method: 'OPTIONS', path });
    assert.deepEqual(
      adminRoutes(running.admin)
        .filter((r) => r.access === 'public')
        .map((r) => `${r.method} ${r.url}`)
        .sort(),
      ['GET /admin/v1/openapi.json', 'GET /healthz', 'GET /readyz', 'HEAD /admin/v1/openapi.json', 'HEAD /healthz', 'HEAD /readyz'],
    );
    return ops;
  }

  const fill = (path: string) => path.replace(/\{(\w+)\}/g, (_m, name: string) => ids[name] ?? `${name}_probe`);

  it('answers 400, 401 or 403 to every spelling, with no key, a consumer key or a wrong key', async () => {
    const wrongKey = `${consumerKey.slice(0, 10)}${consumerKey.slice(10, 20).split('').reverse().join('')}${consumerKey.slice(20)}`;
    const credentials: Array<[string, Record<string, string>]> = [
      ['no key', {}],
      ['consumer key', { authorization: `Bearer ${consumerKey}` }],
      ['wrong key', { authorization: `Bearer ${wrongKey}` }],
      ['unknown well-formed key', { authorization: `Bearer ${generateKey('pcl')}` }],
      ['consumer key as x-api-key', { 'x-api-key': consumerKey }],
    ];
    const tasks: Array<() => Promise<{ label: string; response: RawResponse; expectPublic: boolean }>> = [];
    for (const op of await operations()) {
      for (const spelling of spellings(fill(op.path), port)) {
        for (const [credential, headers] of credentials) {
          const label = `${op.method} ${spelling.target} (${spelling.name}, ${credential})`;
          // The public routes answer at their canonical spellings; only those.
          const expectPublic = op.public === true && (spelling.name === 'as is' || spelling.name === 'query ?x');
          tasks.push(async () => ({
            label,
            expectPublic,
            response: await rawRequest(port, {
              method: op.method,
              target: spelling.target,
              headers: op.body === undefined ? headers : { ...headers, 'content-type': 'application/json' },
              ...(op.body === undefined ? {} : { body: op.body }),
            }),
          }));
        }
      }
    }
    // Answers that reached a handler (2xx, or 5xx from one that ran without an actor) are listed first.
    const served: string[] = [];
    const other: string[] = [];
    for (const { label, response, expectPublic } of await inBatches(tasks)) {
      if (expectPublic) {
        if (response.status !== 200) other.push(`${label}: ${response.status}, expected the public route`);
      } else if (![400, 401, 403].includes(response.status)) {
        (response.status < 300 || response.status >= 500 ? served : other).push(`${label}: ${response.status} ${response.code ?? response.body.slice(0, 80)}`);
      }
    }
    const failures = [...served, ...other];
    assert.equal(failures.length, 0, `${failures.length} of ${tasks.length} requests got through, e.g.:\n${failures.slice(0, 40).join('\n')}`);
    // Nothing changed: the victim is still there, with its key.
    assert.equal((await running.app.consumers.get(ids.id!)).name, 'victim');
    assert.equal((await running.app.keys.get(ids.keyId!)).revokedAt, null);
  });

  it('the walk sends bodies the routes accept: with the admin key the canonical spellings reach the handlers', async () => {
    const adminKey = running.firstAdminKey!;
    const failures: string[] = [];
    // Reads and harmless writes only; the destructive ones are covered by the validation of their body.
    for (const op of await operations()) {
      if (op.public || op.method === 'DELETE' || /revoke|roll|rotate|secrets/.test(op.path)) continue;
      const response = await rawRequest(port, {
        method: op.method,
        target: fill(op.path),
        headers: { authorization: `Bearer ${adminKey}`, ...(op.body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(op.body === undefined ? {} : { body: op.body }),
      });
      if (response.status >= 500 || [400, 401, 403].includes(response.status))
        failures.push(`${op.method} ${op.path}: ${response.status} ${response.body.slice(0, 200)}`);
    }
    assert.equal(failures.length, 0, failures.join('\n'));
  });
});
