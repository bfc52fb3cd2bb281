// The portal's list of APIs and their documents after a config reload: the list is read from the
// gateway's current APIs on each request, and a document is cached with its API's config entry, so a
// reload (new entries) serves the new list and reads the documents again.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import Fastify from 'fastify';
import type { ApiConfig } from '../../src/config/schema.js';
import { toProblem } from '../../src/errors/fastify-errors.js';
import { sendProblem } from '../../src/errors/problem.js';
import { registerResourceRoutes } from '../../src/portal/resources.js';
import { createTestApp } from '../helpers/app.js';
import { tempDir } from '../helpers/stores.js';

const tmp = tempDir();
after(() => tmp.remove());

const api = (name: string): ApiConfig =>
  ({
    name,
    basePath: `/${name}`,
    upstream: 'http://127.0.0.1:9',
    openapi: 'doc.json',
    auth: ['api-key'],
    scopes: [],
    stripBasePath: false,
    passThrough: false,
  }) as ApiConfig;
const document = (path: string) =>
  JSON.stringify({ openapi: '3.1.0', info: { title: 'Doc', version: '1' }, paths: { [path]: { get: { responses: { 200: { description: 'ok' } } } } } });

test('after a reload the portal lists the new APIs and serves their documents as they are now', async () => {
  const t = await createTestApp({ config: { issuer: 'https://gateway.portcullis.test' } });
  const consumer = await t.app.consumers.create({ name: 'Org' }, { id: 'test', sourceIp: null });
  let current: readonly ApiConfig[] = [api('a')];
  writeFileSync(join(tmp.dir, 'doc.json'), document('/a/old'));
  const portal = Fastify({ logger: false });
  portal.setErrorHandler((error, request, reply) => sendProblem(reply, { ...toProblem(error as Error, request), requestId: String(request.id) }));
  await portal.register(
    async (scope) => {
      const principal = { userId: 'usr_dev', email: 'dev@org.test', operator: false, membership: { consumerId: consumer.id, role: 'developer' as const } };
      registerResourceRoutes(scope, { app: t.app, principalOf: () => principal, baseDir: tmp.dir, apis: () => current });
    },
    { prefix: '/portal/api/v1' },
  );
  const get = async (url: string) => (await portal.inject({ method: 'GET', url: `/portal/api/v1${url}` })).json();
  try {
    assert.deepEqual(
      (await get('/apis')).map((a: { name: string }) => a.name),
      ['a'],
    );
    assert.ok('/a/old' in (await get('/apis/a/openapi.json')).paths);

    writeFileSync(join(tmp.dir, 'doc.json'), document('/a/new'));
    assert.ok('/a/old' in (await get('/apis/a/openapi.json')).paths, 'kept while the config entry is the same');
    current = [api('a'), api('b')]; // what a reload hands over: new entries
    assert.deepEqual(
      (await get('/apis')).map((a: { name: string }) => a.name),
      ['a', 'b'],
    );
    assert.ok('/a/new' in (await get('/apis/a/openapi.json')).paths, 'read again after the reload');
    current = [api('b')];
    assert.equal((await get('/apis/a/openapi.json')).code, 'API_NOT_FOUND', 'a removed API is gone');
  } finally {
    await portal.close();
    await t.close();
  }
});
