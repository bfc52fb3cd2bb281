// The store adapters every contract test runs against: SQLite always, PostgreSQL when
// PORTCULLIS_TEST_POSTGRES_URL is set (each run in its own schema, dropped afterwards).

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

export const postgresAdapter: StoreAdapter = {
  name: 'postgres',
  skip: POSTGRES_URL ? false : 'PORTCULLIS_TEST_POSTGRES_URL is not set; PostgreSQL tests skipped',
  async open() {
    const schema = `pcl_test_${process.pid}_${randomBytes(4).toString('hex')}`;
    const store = openPostgresStore(POSTGRES_URL!, { schema, maxConnections: 4 });
    await store.migrate();
    return {
      store,
      async cleanup() {
        await store.close();
        const client = new pg.Client({ connectionString: POSTGRES_URL });
        await client.connect();
        await client.query(`drop schema if exists "${schema}" cascade`);
        await client.end();
      },
    };
  },
};

export const storeAdapters: StoreAdapter[] = [sqliteAdapter, postgresAdapter];
