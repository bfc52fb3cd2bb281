// Verification as the key table grows, and memory with a full cache (PRODUCT.md: "verification cost
// flat from 10k to 1M stored keys; RSS ≤ 150 MB with 100k keys cached"). SQLite, one core.
// 1. Cold verification (cache off) with 10k keys stored, then with 1M — the same 10k keys looked up.
// 2. A fresh process and app with a 100k-entry cache: 100k distinct keys verified once each (so all
//    are cached), then the process RSS and heap after a full GC, next to the same with the cache empty.
// Keys are bulk-inserted with one prepared INSERT in a transaction (the admin API would take minutes
// for a million); every lookup goes through the real verification path.
//   npm run bench -- scale    (or: node --expose-gc dist/bench/scale.js [--keys 1000000])
import { spawnSync } from 'node:child_process';
import { createReadStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import BetterSqlite3 from 'better-sqlite3';
import { createApp } from '../src/app.js';
import { validateConfig } from '../src/config/load.js';
import { generateKey, hashKey, maskKey } from '../src/keys/format.js';
import { newId } from '../src/lib/ids.js';
import { createLogger } from '../src/logger.js';
import { ratePerSecond } from './lib/rate.js';

const keysArg = process.argv.indexOf('--keys');
const TOTAL = keysArg > 0 ? Number(process.argv[keysArg + 1]) : 1_000_000;
const SAMPLE = 10_000;
const CACHED = 100_000;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 2);
const actor = { id: 'bench', sourceIp: null };

const app = (dbPath: string, maxEntries: number) =>
  createApp({
    config: validateConfig({ store: `sqlite:${dbPath}`, keys: { cache: { maxEntries, ttl: '1h' } }, log: { level: 'silent' } }, 'bench'),
    logger: createLogger('silent'),
  });

/** Adds `count` keys of `consumerId` straight into SQLite; returns their plaintexts when asked. */
function insertKeys(dbPath: string, consumerId: string, count: number, keep: number): string[] {
  const db = new BetterSqlite3(dbPath);
  db.pragma('journal_mode = WAL');
  const insert = db.prepare(
    `insert into api_keys (id, consumer_id, name, hash, masked, scopes, metadata, expires_at, enabled, revoked_at, last_used_at, created_at, updated_at)
     values (?, ?, 'bulk', ?, ?, '[]', '{}', null, 1, null, null, ?, ?)`,
  );
  const kept: string[] = [];
  const now = Date.now();
  db.transaction(() => {
    for (let i = 0; i < count; i++) {
      const key = generateKey('pcl');
      if (kept.length < keep) kept.push(key);
      insert.run(newId('key', now), consumerId, hashKey(key), maskKey(key, 'pcl'), now, now);
    }
  })();
  db.close();
  return kept;
}

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

/**
 * Part 2, in its own process so part 1's heap does not count: the keys were inserted by the parent and
 * their plaintexts written to `keysFile`, which is read line by line so the process never holds them
 * all; after the run it holds the 100k cached keys and nothing else the bench made.
 */
async function memory(dbPath: string, keysFile: string): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});
  const a = await app(dbPath, CACHED);
  const lines = () => createInterface({ input: createReadStream(keysFile), crlfDelay: Infinity });
  for await (const key of lines()) {
    await a.verifyKey(key); // the prepared statement and the code paths are warm before the first reading
    break;
  }
  a.cache.clear();
  gc();
  const before = process.memoryUsage();
  for await (const key of lines()) if ((await a.verifyKey(key)).code !== 'VALID') throw new Error('expected VALID');
  gc();
  const after = process.memoryUsage();
  console.log(
    JSON.stringify({
      cached: a.cache.size,
      rssBefore: before.rss,
      rssAfter: after.rss,
      heapBefore: before.heapUsed,
      heapAfter: after.heapUsed,
      heapTotalAfter: after.heapTotal,
    }),
  );
  await a.close();
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-bench-'));
  try {
    const dbPath = join(dir, 'scale.db');
    const setup = await app(dbPath, 0);
    const consumer = await setup.consumers.create({ name: 'bench', scopes: ['read'] }, actor);
    await setup.close();
    console.log(`verification at scale, SQLite, node ${process.version}, ${SECONDS}s per figure`);

    const sample = insertKeys(dbPath, consumer.id, SAMPLE, SAMPLE);
    let cold = await app(dbPath, 0);
    const small = await ratePerSecond((i) => cold.verifyKey(sample[i % SAMPLE]!), SECONDS, 200);
    await cold.close();

    const started = Date.now();
    insertKeys(dbPath, consumer.id, TOTAL - SAMPLE, 0);
    const filled = Date.now() - started;
    cold = await app(dbPath, 0);
    const large = await ratePerSecond((i) => cold.verifyKey(sample[i % SAMPLE]!), SECONDS, 200);
    await cold.close();

    const memoryDb = join(dir, 'memory.db');
    const other = await app(memoryDb, 0);
    const owner = await other.consumers.create({ name: 'bench', scopes: ['read'], metadata: { plan: 'pro' } }, actor);
    await other.close();
    const keysFile = join(dir, 'keys.txt');
    writeFileSync(keysFile, insertKeys(memoryDb, owner.id, CACHED, CACHED).join('\n'));
    const child = spawnSync(
      process.execPath,
      [
        ...(process.env.BENCH_NODE_FLAGS ? process.env.BENCH_NODE_FLAGS.split(' ') : []),
        '--expose-gc',
        fileURLToPath(import.meta.url),
        'memory',
        memoryDb,
        keysFile,
      ],
      { encoding: 'utf8' },
    );
    if (child.status !== 0) throw new Error(`memory run failed: ${child.stderr}`);
    const m = JSON.parse(child.stdout.trim().split('\n').pop()!) as {
      cached: number;
      rssBefore: number;
      rssAfter: number;
      heapBefore: number;
      heapAfter: number;
      heapTotalAfter: number;
    };

    console.log(`\n| figure | value |\n|---|---|`);
    console.log(`| cold verification, ${SAMPLE.toLocaleString('en-US')} keys stored | ${Math.round(small).toLocaleString('en-US')}/s |`);
    console.log(`| cold verification, ${TOTAL.toLocaleString('en-US')} keys stored (same keys looked up) | ${Math.round(large).toLocaleString('en-US')}/s |`);
    console.log(`| ratio (goal: flat) | ${(large / small).toFixed(3)} |`);
    console.log(`| inserting ${(TOTAL - SAMPLE).toLocaleString('en-US')} keys (one transaction) | ${(filled / 1000).toFixed(1)} s |`);
    console.log(`| keys in the cache | ${m.cached.toLocaleString('en-US')} |`);
    console.log(`| process RSS with them cached | ${mb(m.rssAfter)} (goal ≤ 150 MB; ${mb(m.rssBefore)} with the cache empty) |`);
    console.log(
      `| JS heap used, cache empty / full | ${mb(m.heapBefore)} / ${mb(m.heapAfter)} (${Math.round((m.heapAfter - m.heapBefore) / m.cached)} bytes per cached key) |`,
    );
    console.log(`| JS heap reserved, cache full | ${mb(m.heapTotalAfter)} |`);
    console.log(`BENCH_JSON ${JSON.stringify({ bench: 'scale', results: { coldSmall: small, coldLarge: large, ratio: large / small, ...m } })}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === 'memory') await memory(process.argv[3]!, process.argv[4]!);
else await main();
