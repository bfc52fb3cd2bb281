// PostgreSQL's commit guard (migration 0005): a transaction carries a deadline in server time and
// the server refuses a COMMIT that arrives after it. This is what lets the store say "failed" for a
// COMMIT that went unanswered and mean "will never commit".
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { openPostgresStore } from '../../src/store/postgres.js';
import type { Store } from '../../src/store/types.js';
import { POSTGRES_URL, postgresAdapter } from '../helpers/stores.js';

describe('PostgreSQL commit guard', { skip: postgresAdapter.skip }, () => {
  const schema = `pcl_test_guard_${process.pid}_${randomBytes(4).toString('hex')}`;
  let store: Store;
  let client: pg.Client;
  before(async () => {
    store = openPostgresStore(POSTGRES_URL!, { schema, maxConnections: 2 });
    await store.migrate();
    client = new pg.Client({ connectionString: POSTGRES_URL, options: `-c search_path=${schema}` });
    await client.connect();
  });
  after(async () => {
    await client?.end();
    await store?.close();
    const direct = new pg.Client({ connectionString: POSTGRES_URL });
    await direct.connect();
    await direct.query(`drop schema if exists "${schema}" cascade`);
    await direct.end();
  });

  const consumers = async (name: string) => (await client.query('select count(*)::int as n from consumers where name = $1', [name])).rows[0].n;
  const insert = (name: string) =>
    client.query(`insert into consumers (id, name, metadata, scopes, enabled, created_at, updated_at) values ($1, $1, '{}', '[]', 1, 0, 0)`, [name]);

  test('a COMMIT within the deadline commits, and leaves no guard row behind', async () => {
    await client.query(`begin; insert into store_commit_guards (commit_before) values (now() + interval '10 seconds')`);
    await insert('in-time');
    await client.query('commit');
    assert.equal(await consumers('in-time'), 1);
    assert.equal((await client.query('select count(*)::int as n from store_commit_guards')).rows[0].n, 0);
  });

  test('a COMMIT after the deadline is refused and nothing commits', async () => {
    await client.query(`begin; insert into store_commit_guards (commit_before) values (now() + interval '20 milliseconds')`);
    await insert('too-late');
    // The server's own clock passes the deadline before the COMMIT arrives.
    await client.query('select pg_sleep(0.05)');
    await assert.rejects(client.query('commit'), (error: { code?: string }) => error.code === '57014');
    assert.equal(await consumers('too-late'), 0);
  });

  test('every store transaction carries a guard, even one that only reads', async () => {
    const url = new URL(POSTGRES_URL!);
    url.searchParams.set('application_name', schema);
    const named = openPostgresStore(url.toString(), { schema, maxConnections: 1 });
    await named.migrate();
    try {
      // A transaction that only reads gets a transaction id only if something wrote: the guard row.
      const writing = await named.transaction(async (tx) => {
        await tx.ping();
        const { rows } = await client.query('select count(*)::int as n from pg_stat_activity where application_name = $1 and backend_xid is not null', [
          schema,
        ]);
        return rows[0].n;
      });
      assert.equal(writing, 1);
      assert.equal((await client.query('select count(*)::int as n from store_commit_guards')).rows[0].n, 0, 'the guard row went with the COMMIT');
    } finally {
      await named.close();
    }
  });
});
