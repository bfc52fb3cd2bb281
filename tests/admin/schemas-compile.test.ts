// The admin API's and the portal API's route schemas are compiled at their first use
// (src/admin/schema-compilers.ts). A schema that cannot compile must fail here, not at a user's first
// request: with both listeners built, every schema still waiting is compiled now.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import Fastify from 'fastify';
import { adminSerializers, compilePendingSchemas } from '../../src/admin/schema-compilers.js';
import { createPortalHarness, type PortalHarness } from '../portal/helpers.js';

describe('route schemas compiled at first use', () => {
  let h: PortalHarness;
  before(async () => {
    h = await createPortalHarness();
    await h.admin.ready();
    await h.portal.fastify.ready();
  });
  after(() => h.close());

  test('every schema of the admin and portal routes compiles, and the routes answer', async () => {
    compilePendingSchemas();
    const consumers = await h.call('GET', '/admin/v1/consumers');
    assert.equal(consumers.status, 200);
    assert.deepEqual(
      consumers.body.items.map((c: { name: string }) => c.name),
      ['portcullis-admin'],
    );
    const me = await h.browser().request('GET', 'me');
    assert.equal(me.status, 401);
    assert.equal(me.body.code, 'SESSION_REQUIRED');
  });

  test('a schema that cannot compile is found by compilePendingSchemas, though the server started', async () => {
    const server = Fastify();
    server.setSerializerCompiler(adminSerializers());
    server.get('/broken', { schema: { response: { 200: { $ref: 'NoSuchSchema' } } } }, async () => ({}));
    await server.ready();
    assert.throws(() => compilePendingSchemas(), /NoSuchSchema/);
    assert.equal(compilePendingSchemas(), 0);
    await server.close();
  });
});
