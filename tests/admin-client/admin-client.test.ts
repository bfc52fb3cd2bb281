// portcullis/admin: the typed admin client, held to the OpenAPI document the server serves (every
// operation has a method with the same path, body and answer), and driven over a real socket through
// the package's own name, as a user's import would.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { adminComponents } from '../../src/admin/components.js';
import { ImportQuery } from '../../src/admin/import-schemas.js';
import { AuditQuery, PageQuery, UsageQuery } from '../../src/admin/schemas.js';
import { WebhookQuery } from '../../src/admin/webhook-schemas.js';
import type { AdminApiError as AdminApiErrorType, AdminClient } from '../../src/admin-client/index.js';
import { type AdminOperationId, adminOperations } from '../../src/admin-client/operations.js';
import { hashKey } from '../../src/keys/format.js';
import { noteSecret } from '../helpers/logs.js';
import { createOAuthHarness, type OAuthHarness } from '../oauth/helpers.js';

const sdk = (await import('portcullis/admin')) as typeof import('../../src/admin-client/index.js');

// The code is the registry's union, not any string: this line must not compile.
// @ts-expect-error 'NOT_A_CODE' is not an error code
const notACode: AdminApiErrorType['code'] = 'NOT_A_CODE';
void notACode;

const QUERIES = { PageQuery, AuditQuery, UsageQuery, ImportQuery, WebhookQuery };
const METHODS = ['get', 'post', 'patch', 'put', 'delete'];
/** The AdminApiError a call is refused with. */
async function refusal(call: Promise<unknown>): Promise<AdminApiErrorType> {
  try {
    await call;
  } catch (error) {
    assert.ok(error instanceof sdk.AdminApiError, String(error));
    return error;
  }
  return assert.fail('the call was not refused');
}

const componentName = (schema: { $ref?: string } | undefined) => schema?.$ref?.replace('#/components/schemas/', '');

describe('portcullis/admin', () => {
  let h: OAuthHarness;
  let doc: any;
  let url: string;

  before(async () => {
    h = await createOAuthHarness();
    await h.admin.listen({ host: '127.0.0.1', port: 0 });
    url = `http://127.0.0.1:${(h.admin.server.address() as AddressInfo).port}`;
    doc = (await h.call('GET', '/admin/v1/openapi.json')).body;
  });
  after(async () => h?.close());

  test('every operation of the OpenAPI document has a client method with its method, path, query, body and answer', () => {
    const documented = new Set<string>();
    for (const [path, item] of Object.entries<any>(doc.paths)) {
      for (const method of METHODS.filter((m) => item[m])) {
        const op = item[method];
        const label = `${method.toUpperCase()} ${path} (${op.operationId})`;
        documented.add(op.operationId);
        const spec = adminOperations[op.operationId as AdminOperationId] as (typeof adminOperations)[AdminOperationId] & {
          body?: string;
          query?: keyof typeof QUERIES;
        };
        assert.ok(spec, `${label} has no client method`);
        assert.equal(spec.method, method.toUpperCase(), label);
        assert.equal(spec.path, path, label);
        assert.equal(spec.body, componentName(op.requestBody?.content['application/json'].schema), `${label} body`);
        const success = Object.entries<any>(op.responses).filter(([status]) => /^2\d\d$/.test(status));
        assert.equal(success.length, 1, label);
        assert.equal(spec.response, success[0]![0] === '204' ? null : componentName(success[0]![1].content['application/json'].schema), `${label} answer`);
        const queryNames = (op.parameters ?? []).filter((p: any) => p.in === 'query').map((p: any) => p.name);
        assert.deepEqual(queryNames.sort(), Object.keys(spec.query ? QUERIES[spec.query].properties : {}).sort(), `${label} query`);
      }
    }
    assert.deepEqual(
      Object.keys(adminOperations).filter((id) => !documented.has(id)),
      [],
      'client methods without a route',
    );
    // The client's types are those of the schemas the document names.
    for (const [name, schema] of Object.entries(adminComponents)) assert.equal(schema.$id, name);
    assert.deepEqual(Object.keys(doc.components.schemas).sort(), Object.keys(adminComponents).sort());
  });

  test('drives every operation over HTTP; each answer matches the document', async () => {
    const called = new Set<string>();
    const ajv = new Ajv2020({ strict: false, validateFormats: false });
    ajv.addSchema({ components: doc.components }, 'doc');
    const raw = sdk.createAdminClient({ url: `${url}/`, adminKey: h.adminKey });
    // Every method call is counted, and its answer checked against the document's schema.
    const admin = new Proxy(raw, {
      get(target, name: string) {
        const method = (target as any)[name];
        const spec = adminOperations[name as AdminOperationId];
        if (!spec) return method;
        return async (...args: unknown[]) => {
          const answer = await method(...args);
          called.add(name);
          if (spec.response === null) assert.equal(answer, undefined, name);
          else {
            const validate = ajv.getSchema(`doc#/components/schemas/${spec.response}`)!;
            assert.ok(validate(answer), `${name}: ${JSON.stringify(validate.errors)}`);
          }
          return answer;
        };
      },
    }) as AdminClient;

    const consumer = await admin.createConsumer({ name: 'acme', scopes: ['orders:read', 'orders:write'], metadata: { plan: 'pro' } });
    assert.match(consumer.id, /^con_/);
    assert.equal((await admin.getConsumer(consumer.id)).quotaStatus, null);
    assert.equal((await admin.updateConsumer(consumer.id, { metadata: { plan: 'team' } })).metadata.plan, 'team');
    const consumers = await admin.listConsumers({ limit: 1 });
    assert.equal(consumers.items.length, 1);
    assert.ok(consumers.nextCursor);

    const issued = await admin.createKey(consumer.id, { name: 'ci', scopes: ['orders:read'] });
    noteSecret(issued.key);
    assert.equal((await admin.verifyKey({ key: issued.key, scopes: ['orders:read'] })).code, 'VALID');
    assert.equal((await admin.getKey(issued.id)).name, 'ci');
    assert.equal((await admin.updateKey(issued.id, { name: 'ci-2' })).name, 'ci-2');
    assert.deepEqual(
      (await admin.listKeys(consumer.id)).items.map((k) => k.id),
      [issued.id],
    );
    const rolled = await admin.rollKey(issued.id, { expireOldInSeconds: 60 });
    noteSecret(rolled.key);
    assert.equal(rolled.oldKey.id, issued.id);
    assert.ok(rolled.oldKey.expiresAt);
    assert.ok((await admin.revokeKey(rolled.id)).revokedAt);
    const leaked = await admin.reportLeakedKeys({ hashes: [hashKey(issued.key)], source: 'admin-client test' });
    assert.deepEqual([leaked.items[0]!.keyId, leaked.items[0]!.policyApplied], [issued.id, 'revoke']);

    const client = await admin.createClient(consumer.id, { name: 'billing' });
    noteSecret(client.clientSecret);
    assert.match(client.clientId, /^cli_/);
    assert.equal((await admin.getClient(client.clientId)).secrets?.length, 1);
    assert.deepEqual((await admin.updateClient(client.clientId, { scopes: ['orders:read'] })).scopes, ['orders:read']);
    assert.deepEqual(
      (await admin.listClients(consumer.id)).items.map((c) => c.clientId),
      [client.clientId],
    );
    const rotated = await admin.rotateClientSecret(client.clientId, { expireOldInSeconds: 0 });
    noteSecret(rotated.clientSecret);
    assert.ok((await admin.revokeClientTokens(client.clientId)).tokensRevokedBefore);
    assert.equal((await admin.revokeToken('jti-1')).jti, 'jti-1');
    const signing = await admin.rotateSigningKey();
    assert.ok((await admin.listSigningKeys()).items.some((k) => k.kid === signing.kid));
    await admin.deleteClient(client.clientId);

    const invited = await admin.inviteMember(consumer.id, { email: 'dev@acme.example', role: 'developer' });
    assert.match(invited.invitation.url, /\/portal\/accept#token=[A-Za-z0-9_-]{43}$/);
    noteSecret(invited.invitation.url.split('#token=')[1]);
    assert.equal(invited.emailSent, true);
    assert.deepEqual((await admin.listMembers(consumer.id)).items, []);
    assert.match((await admin.listOutbox({ limit: 1 })).items[0]!.text, /accept#token=/);
    await h.app.members.acceptInvitation({ token: invited.invitation.url.split('#token=')[1]!, password: 'a long enough password' }, null);
    const [member] = (await admin.listMembers(consumer.id)).items;
    assert.equal(member?.email, 'dev@acme.example');
    assert.equal((await admin.disablePortalUser(member!.userId)).disabled, true);
    assert.equal((await admin.listMembers(consumer.id)).items[0]?.disabled, true);
    assert.equal((await admin.enablePortalUser(member!.userId)).disabled, false);
    await admin.removeMember(consumer.id, member!.id);
    const missingMember = await refusal(admin.removeMember(consumer.id, member!.id));
    assert.equal(missingMember.code, 'MEMBER_NOT_FOUND');

    const events = await admin.listAuditEvents({ targetId: consumer.id });
    assert.deepEqual(events.items.map((e) => e.action).sort(), ['consumer.created', 'consumer.updated', 'member.invited']);
    assert.equal((await admin.getUsage({ consumer: consumer.id, granularity: 'day' })).granularity, 'day');
    const imports = { records: [{ type: 'consumer', externalId: 'sdk-import', name: 'SDK import' }] };
    assert.deepEqual((await admin.importRecords(imports, { dryRun: true })).created, { consumers: 1, keys: 0, clients: 0 });
    assert.equal((await admin.importRecords(imports)).outcomes[0]!.outcome, 'created');
    assert.equal((await admin.importRecords(imports)).outcomes[0]!.code, 'ALREADY_IMPORTED');

    const hook = await admin.createWebhook({ url: 'http://127.0.0.1:9/hooks', events: ['key.created'], allowPrivateNetworks: true, consumerId: consumer.id });
    noteSecret(hook.secret);
    assert.equal((await admin.getWebhook(hook.id)).url, 'http://127.0.0.1:9/hooks');
    assert.deepEqual((await admin.updateWebhook(hook.id, { events: ['key.created', 'key.revoked'] })).events, ['key.created', 'key.revoked']);
    assert.deepEqual(
      (await admin.listWebhooks({ consumer: consumer.id })).items.map((w) => w.id),
      [hook.id],
    );
    noteSecret((await admin.rollWebhookSecret(hook.id, { expireOldInSeconds: 60 })).secret);
    noteSecret((await admin.createKey(consumer.id, { name: 'hooked' })).key);
    const [delivery] = (await admin.listWebhookDeliveries(hook.id)).items;
    assert.equal(delivery?.eventType, 'key.created');
    assert.equal((await admin.retryWebhookDelivery(hook.id, delivery!.id)).status, 'pending');
    await admin.deleteWebhook(hook.id);
    await admin.deleteConsumer(consumer.id);
    // This admin API is no running server's: it has no file to reload. The 200 answer, on a running
    // server, is checked against the document in tests/server/reload.test.ts.
    assert.equal((await refusal(admin.reloadConfig())).code, 'RELOAD_UNAVAILABLE');
    called.add('reloadConfig');

    assert.deepEqual(
      Object.keys(adminOperations).filter((id) => !called.has(id)),
      [],
      'operations the test did not call',
    );
  });

  test('a refusal is an AdminApiError carrying the problem JSON and its code', async () => {
    const admin = sdk.createAdminClient({ url, adminKey: h.adminKey });
    const missing = await refusal(admin.getConsumer('con_0000000000000000000000'));
    assert.equal(missing.status, 404);
    assert.equal(missing.code, 'CONSUMER_NOT_FOUND');
    assert.equal(missing.problem.status, 404);
    assert.match(String(missing.problem.requestId), /^req_/);

    const invalid = await refusal(admin.createConsumer({ name: '' }));
    assert.equal(invalid.code, 'VALIDATION_FAILED');
    assert.ok(invalid.problem.errors?.some((e) => e.field === 'body.name'));

    const stranger = sdk.createAdminClient({ url, adminKey: 'pcl_not-a-key' });
    assert.equal((await refusal(stranger.listConsumers())).code, 'UNAUTHENTICATED');

    // A path parameter is encoded, never a way to another route.
    assert.equal((await refusal(admin.getKey('../consumers'))).code, 'BAD_PATH');

    // An answer that is not Portcullis' problem JSON (a proxy's error page) keeps its status.
    const proxied = sdk.createAdminClient({ url, adminKey: h.adminKey, fetch: async () => new Response('<html>Bad Gateway</html>', { status: 502 }) });
    const gateway = await refusal(proxied.listConsumers());
    assert.equal(gateway.status, 502);
    assert.equal(gateway.code, 'INTERNAL');
  });

  test('an Idempotency-Key is sent with a write: the retry gets the first answer', async () => {
    const admin = sdk.createAdminClient({ url, adminKey: h.adminKey });
    const first = await admin.createConsumer({ name: 'once' }, { idempotencyKey: 'create-once-1' });
    const again = await admin.createConsumer({ name: 'once' }, { idempotencyKey: 'create-once-1' });
    assert.equal(again.id, first.id);
  });
});

test('portcullis/admin loads nothing but its own modules: no fastify, no native module', () => {
  const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const seen = new Set<string>();
  const bare: string[] = [];
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const text = readFileSync(file, 'utf8');
    for (const [, specifier] of text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g)) {
      if (!specifier) continue;
      if (specifier.startsWith('.')) visit(resolve(dirname(file), specifier));
      else bare.push(specifier);
    }
  };
  visit(join(root, pkg.exports['./admin']));
  assert.deepEqual(bare, [], 'no package is imported');
  assert.deepEqual([...seen].map((f) => f.slice(root.length + 1)).sort(), [
    'dist/src/admin-client/client.js',
    'dist/src/admin-client/index.js',
    'dist/src/admin-client/operations.js',
    'dist/src/errors/codes.js',
  ]);
});

test('the CLI’s --url mode and remote library mode send their requests through this client (one place for the admin API’s HTTP code)', () => {
  const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
  for (const file of ['dist/src/cli/transport.js', 'dist/src/library/verifier.js']) {
    const source = readFileSync(join(root, file), 'utf8');
    assert.match(source, /from '\.\.\/admin-client\/client\.js'/, file);
    assert.doesNotMatch(source, /\bfetch\(/, `${file}: no fetch of its own`);
  }
});
