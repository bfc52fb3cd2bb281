// Auth fails closed: with the database unreachable, verification answers 503 + Retry-After, never
// a denial code for a key that may be valid. The outage is real: a TCP proxy in front of
// PostgreSQL is cut mid-run.
import assert from 'node:assert/strict';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { test } from 'node:test';
import { createTestApp } from '../helpers/app.js';
import { POSTGRES_URL, postgresAdapter } from '../helpers/stores.js';

function tcpProxy(target: URL): Promise<{ server: Server; port: number; cut(): void }> {
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(Number(target.port || 5432), target.hostname);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => s.destroy());
    }
    client.pipe(upstream).pipe(client);
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        server,
        port: (server.address() as { port: number }).port,
        cut() {
          server.close();
          for (const s of sockets) s.destroy();
        },
      }),
    ),
  );
}

test('store unreachable → 503 STORE_UNAVAILABLE with Retry-After', { skip: postgresAdapter.skip }, async () => {
  const url = new URL(POSTGRES_URL!);
  const proxy = await tcpProxy(url);
  const proxied = new URL(POSTGRES_URL!);
  proxied.host = `127.0.0.1:${proxy.port}`;
  // This app's store goes through the proxy; the schema is dropped over a direct connection.
  const adapter = {
    ...postgresAdapter,
    open: async () => {
      const { openPostgresStore } = await import('../../src/store/postgres.js');
      const schema = `pcl_test_down_${process.pid}`;
      const store = openPostgresStore(proxied.toString(), { schema, maxConnections: 2 });
      await store.migrate();
      return {
        store,
        async cleanup() {
          await store.close().catch(() => {});
          const pg = (await import('pg')).default;
          const client = new pg.Client({ connectionString: POSTGRES_URL });
          await client.connect();
          await client.query(`drop schema if exists "${schema}" cascade`);
          await client.end();
        },
      };
    },
  };
  const t = await createTestApp({ adapter });
  try {
    const consumer = (await t.call('POST', '/admin/v1/consumers', { name: 'c' })).body;
    const key = (await t.call('POST', `/admin/v1/consumers/${consumer.id}/keys`, {})).body.key;
    // The admin key stays cached; the consumer key is dropped from the cache so it must hit the store.
    t.app.cache.clear();
    await t.app.verifyKey(t.adminKey);
    const { hashKey } = await import('../../src/keys/format.js');
    t.app.cache.delete(hashKey(key));
    proxy.cut();

    const response = await t.call('POST', '/admin/v1/keys/verify', { key });
    assert.equal(response.status, 503, JSON.stringify(response.body));
    assert.equal(response.body.code, 'STORE_UNAVAILABLE');
    assert.equal(response.headers['retry-after'], '5');
    const list = await t.call('GET', '/admin/v1/consumers');
    assert.equal(list.status, 503);
  } finally {
    await t.close().catch(() => {});
  }
});
