// The store adapters every contract test runs against: SQLite always, PostgreSQL when
// PORTCULLIS_TEST_POSTGRES_URL is set (each run in a schema of its own, emptied afterwards and dropped
// when the process ends).

import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { openPostgresStore } from '../../src/store/postgres.js';
import { openSqliteStore } from '../../src/store/sqlite.js';
import type { Store } from '../../src/store/types.js';

export interface OpenedStore {
  store: Store;
  /** Closes the store and removes what the test created. */
  cleanup(): Promise<void>;
  /** For SQLite: the database file. */
  path?: string;
}

export interface StoreAdapter {
  name: 'sqlite' | 'postgres';
  /** Set when the adapter cannot run here, with the reason. */
  skip: string | false;
  open(): Promise<OpenedStore>;
}

export const POSTGRES_URL = process.env.PORTCULLIS_TEST_POSTGRES_URL;

export function tempDir(): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-test-'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export const sqliteAdapter: StoreAdapter = {
  name: 'sqlite',
  skip: false,
  async open() {
    const tmp = tempDir();
    const path = join(tmp.dir, 'portcullis.db');
    const store = openSqliteStore(path);
    await store.migrate();
    return {
      store,
      path,
      async cleanup() {
        await store.close();
        tmp.remove();
      },
    };
  },
};

/** One statement on a connection of its own, as the server's superuser (the test URL's). */
async function adminQuery(text: string, values: unknown[] = []): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  try {
    return await client.query(text, values);
  } finally {
    await client.end();
  }
}

// Schemas a test has given back, emptied, for the next store this process opens. Migrating a new
// schema costs the PostgreSQL server ~150–220 ms CPU (the DDL itself: replaying a dump of a migrated
// schema cost as much, and a database cloned from a migrated template ~140 ms); emptying one with
// TRUNCATE … RESTART IDENTITY ~6 ms. So a store still starts empty, with fresh sequences, in a schema
// no other store of the run uses while it is open. The schemas are dropped when the process ends.
const emptied: string[] = [];
let dropAtExit = false;

async function giveBack(schema: string): Promise<void> {
  try {
    const { rows } = await adminQuery("select tablename from pg_tables where schemaname = $1 and tablename not like 'kysely\\_%'", [schema]);
    await adminQuery(`truncate ${rows.map((r) => `"${schema}"."${r.tablename}"`).join(', ')} restart identity`);
  } catch {
    await adminQuery(`drop schema if exists "${schema}" cascade`);
    return;
  }
  emptied.push(schema);
  if (!dropAtExit) {
    dropAtExit = true;
    // When the last test of the process has ended: the loop would stop, and the drop keeps it going.
    process.once('beforeExit', async () => {
      const schemas = emptied.splice(0);
      if (schemas.length > 0) await adminQuery(`drop schema if exists ${schemas.map((name) => `"${name}"`).join(', ')} cascade`);
    });
  }
}

export const postgresAdapter: StoreAdapter = {
  name: 'postgres',
  skip: POSTGRES_URL ? false : 'PORTCULLIS_TEST_POSTGRES_URL is not set; PostgreSQL tests skipped',
  async open() {
    const schema = emptied.pop() ?? `pcl_test_${process.pid}_${randomBytes(4).toString('hex')}`;
    const store = openPostgresStore(POSTGRES_URL!, { schema, maxConnections: 4 });
    await store.migrate();
    return {
      store,
      async cleanup() {
        await store.close();
        await giveBack(schema);
      },
    };
  },
};

export const storeAdapters: StoreAdapter[] = [sqliteAdapter, postgresAdapter];
