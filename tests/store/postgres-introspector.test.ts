// Migrating a PostgreSQL store reads the current schema's tables only. Kysely's own introspector read
// every schema and failed (`schema "…" does not exist`) when another one was dropped meanwhile: a
// store migrating in a database where other schemas come and go (another app, a test run) failed
// its start. The churn below made that happen within a few migrations.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { Kysely, PostgresAdapter, PostgresDriver, PostgresQueryCompiler } from 'kysely';
import pg from 'pg';
import { openPostgresStore } from '../../src/store/postgres.js';
import { CurrentSchemaIntrospector } from '../../src/store/postgres-introspector.js';
import { POSTGRES_URL, postgresAdapter } from '../helpers/stores.js';

describe('PostgreSQL: the migrator looks at its own schema only', { skip: postgresAdapter.skip }, () => {
  const suffix = `${process.pid}_${randomBytes(4).toString('hex')}`;

  test('the introspector lists the current schema’s tables and no other schema’s', async () => {
    const own = `pcl_intro_own_${suffix}`;
    const other = `pcl_intro_other_${suffix}`;
    const admin = new pg.Client({ connectionString: POSTGRES_URL });
    await admin.connect();
    const db = new Kysely<unknown>({
      dialect: {
        createAdapter: () => new PostgresAdapter(),
        createDriver: () => new PostgresDriver({ pool: new pg.Pool({ connectionString: POSTGRES_URL, max: 1, options: `-c search_path=${own}` }) }),
        createIntrospector: (kysely) => new CurrentSchemaIntrospector(kysely),
        createQueryCompiler: () => new PostgresQueryCompiler(),
      },
    });
    try {
      await admin.query(`create schema "${own}"; create table "${own}".mine (id int); create view "${own}".mine_view as select id from "${own}".mine`);
      await admin.query(`create schema "${other}"; create table "${other}".theirs (id int)`);
      const tables = await db.introspection.getTables();
      assert.deepEqual(
        tables.map((t) => [t.schema, t.name, t.isView]),
        [
          [own, 'mine', false],
          [own, 'mine_view', true],
        ],
      );
      assert.deepEqual(await db.introspection.getSchemas(), [{ name: own }]);
    } finally {
      await db.destroy();
      await admin.query(`drop schema if exists "${own}" cascade; drop schema if exists "${other}" cascade`);
      await admin.end();
    }
  });

  test('stores migrate while other schemas are created and dropped around them', async () => {
    const churn = new pg.Client({ connectionString: POSTGRES_URL });
    await churn.connect();
    let churning = true;
    let dropped = 0;
    const loop = (async () => {
      for (let i = 0; churning; i++) {
        const name = `pcl_churn_${suffix}_${i}`;
        await churn.query(`create schema "${name}"; create table "${name}".t (id int)`);
        await churn.query(`drop schema "${name}" cascade`);
        dropped++;
      }
    })();
    const schemas: string[] = [];
    try {
      for (let i = 0; i < 4; i++) {
        const schema = `pcl_intro_store_${suffix}_${i}`;
        schemas.push(schema);
        const store = openPostgresStore(POSTGRES_URL!, { schema, maxConnections: 2 });
        try {
          assert.ok((await store.migrate()).length > 0);
        } finally {
          await store.close();
        }
      }
    } finally {
      churning = false;
      await loop;
      for (const schema of schemas) await churn.query(`drop schema if exists "${schema}" cascade`);
      await churn.end();
    }
    assert.ok(dropped > 0, 'schemas were dropped while the stores migrated');
  });
});
