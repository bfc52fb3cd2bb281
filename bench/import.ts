// Import throughput: 100,000 keys (half given as plaintext, half as the SHA-256 of a foreign key,
// over 100 consumers) imported into SQLite, then the same file again (everything skipped); the goal
// is under a minute for the first run on the 2-core machine. With PORTCULLIS_BENCH_POSTGRES_URL (or
// PORTCULLIS_TEST_POSTGRES_URL) set, the same on PostgreSQL, in a schema of its own dropped afterwards.
//   node dist/bench/import.js [--keys N]
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { createApp } from '../src/app.js';
import { validateConfig } from '../src/config/load.js';
import type { ImportRow } from '../src/imports/records.js';
import { createLogger } from '../src/logger.js';
import { openPostgresStore } from '../src/store/postgres.js';
import { openSqliteStore } from '../src/store/sqlite.js';
import type { Store } from '../src/store/types.js';
import { option } from './lib/child.js';

const KEYS = option('keys', 100_000);
const CONSUMERS = 100;
const GOAL_MS = 60_000;
const POSTGRES_URL = process.env.PORTCULLIS_BENCH_POSTGRES_URL ?? process.env.PORTCULLIS_TEST_POSTGRES_URL;

function rowsToImport(): ImportRow[] {
  const rows: ImportRow[] = [];
  for (let c = 0; c < CONSUMERS; c++)
    rows.push({ row: rows.length + 1, value: { type: 'consumer', externalId: `c-${c}`, name: `consumer ${c}`, scopes: ['read'] } });
  for (let k = 0; k < KEYS; k++) {
    const foreign = `legacy_${randomBytes(18).toString('base64url')}`;
    const value =
      k % 2 === 0
        ? { type: 'key', externalId: `k-${k}`, consumer: `c-${k % CONSUMERS}`, key: foreign }
        : {
            type: 'key',
            externalId: `k-${k}`,
            consumer: `c-${k % CONSUMERS}`,
            sha256: createHash('sha256').update(foreign).digest('base64'),
            start: 'legacy_',
          };
    rows.push({ row: rows.length + 1, value });
  }
  return rows;
}

async function run(label: string, store: Store, rows: ImportRow[]): Promise<boolean> {
  const app = await createApp({
    config: validateConfig({ store: 'sqlite::memory:', oauth: { syncInterval: '1h' }, log: { level: 'silent' } }, 'bench'),
    logger: createLogger('silent'),
    store,
  });
  const actor = { id: 'bench', sourceIp: null };
  try {
    let started = performance.now();
    const first = await app.imports.run(rows, { actor });
    const firstMs = performance.now() - started;
    started = performance.now();
    const second = await app.imports.run(rows, { actor });
    const secondMs = performance.now() - started;
    const rate = (ms: number) => Math.round(rows.length / (ms / 1000)).toLocaleString('en-US');
    console.log(
      `${label.padEnd(11)} first run  ${(firstMs / 1000).toFixed(1).padStart(5)} s  ${rate(firstMs).padStart(8)} rows/s  created ${first.created.keys} keys, ${first.created.consumers} consumers`,
    );
    console.log(
      `${label.padEnd(11)} second run ${(secondMs / 1000).toFixed(1).padStart(5)} s  ${rate(secondMs).padStart(8)} rows/s  skipped ${second.skipped.keys} keys, created ${second.created.keys}`,
    );
    return first.created.keys === KEYS && second.created.keys === 0 && firstMs < GOAL_MS;
  } finally {
    await app.close();
  }
}

async function main() {
  const rows = rowsToImport();
  console.log(
    `import of ${KEYS.toLocaleString('en-US')} keys (half plaintext, half foreign SHA-256) over ${CONSUMERS} consumers; goal: first run < ${GOAL_MS / 1000} s`,
  );
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-bench-import-'));
  let ok = true;
  try {
    const sqlite = openSqliteStore(join(dir, 'import.db'));
    await sqlite.migrate();
    ok = (await run('sqlite', sqlite, rows)) && ok;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  if (POSTGRES_URL) {
    const schema = `pcl_bench_import_${randomBytes(4).toString('hex')}`;
    try {
      const postgres = openPostgresStore(POSTGRES_URL, { schema });
      await postgres.migrate();
      ok = (await run('postgresql', postgres, rows)) && ok;
    } finally {
      const client = new pg.Client({ connectionString: POSTGRES_URL });
      await client.connect();
      await client.query(`drop schema if exists "${schema}" cascade`);
      await client.end();
    }
  } else {
    console.log('postgresql  skipped: set PORTCULLIS_BENCH_POSTGRES_URL (or PORTCULLIS_TEST_POSTGRES_URL)');
  }
  if (!ok) {
    console.log('FAILED: a run missed the goal or created the wrong number of keys');
    process.exit(1);
  }
}

await main();
