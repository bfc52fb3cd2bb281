// In-process key verification: cached valid keys, malformed keys, and cold lookups from SQLite
// with the cache off. Each figure is a rate on one core, next to a baseline from the same run
// (one SHA-256 of a key, the floor any hash-based verifier pays).

import { hash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp } from '../src/app.js';
import { validateConfig } from '../src/config/load.js';
import { generateKey } from '../src/keys/format.js';
import { createLogger } from '../src/logger.js';
import { openSqliteStore } from '../src/store/sqlite.js';
import { ratePerSecond } from './lib/rate.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 2);

async function rate(label: string, work: (i: number) => unknown | Promise<unknown>, batch = 1000): Promise<number> {
  const perSecond = await ratePerSecond(work, SECONDS, batch);
  console.log(`${label.padEnd(44)} ${Math.round(perSecond).toLocaleString('en-US').padStart(12)} /s`);
  return perSecond;
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-bench-'));
  const results: Record<string, number> = {};
  try {
    const dbPath = join(dir, 'bench.db');
    const make = (maxEntries: number, preparedKeyLookup = true) =>
      createApp({
        config: validateConfig({ store: `sqlite:${dbPath}`, keys: { cache: { maxEntries } }, log: { level: 'silent' } }, 'bench'),
        logger: createLogger('silent'),
        store: openSqliteStore(dbPath, { preparedKeyLookup }),
      });
    const actor = { id: 'bench', sourceIp: null };
    const cached = await make(100_000);
    const consumer = await cached.consumers.create({ name: 'bench', scopes: ['read'], metadata: { plan: 'pro' } }, actor);
    const keys: string[] = [];
    for (let i = 0; i < 1000; i++) keys.push((await cached.keys.create(consumer.id, {}, actor)).key);
    const malformed = keys.map((k) => k.slice(0, -1) + (k.endsWith('a') ? 'b' : 'a'));

    console.log(`key verification, ${SECONDS}s per figure, node ${process.version}`);
    results.baselineSha256 = await rate('baseline: SHA-256 of a key', (i) => hash('sha256', keys[i % 1000]!, 'hex'));
    results.cachedValid = await rate('verify, cached valid key', (i) => cached.verifyKey(keys[i % 1000]!, { scopes: ['read'] }));
    results.malformed = await rate('verify, malformed key (checksum)', (i) => cached.verifyKey(malformed[i % 1000]!));
    results.unknownCached = await rate('verify, unknown key (negative cache)', (i) => cached.verifyKey(keys[i % 1000]!.replace('pcl_', 'pcl_')));
    await cached.close();

    const cold = await make(0);
    results.coldSqlite = await rate('verify, cache off, from SQLite', (i) => cold.verifyKey(keys[i % 1000]!), 200);
    const unknown = Array.from({ length: 1000 }, () => generateKey('pcl'));
    results.coldUnknown = await rate('verify, cache off, unknown key, SQLite', (i) => cold.verifyKey(unknown[i % 1000]!), 200);
    await cold.close();
    const viaKysely = await make(0, false);
    results.coldSqliteKysely = await rate('  same, lookup through Kysely (baseline)', (i) => viaKysely.verifyKey(keys[i % 1000]!), 200);
    await viaKysely.close();

    const goals: Array<[string, number]> = [
      ['cachedValid', 500_000],
      ['malformed', 1_000_000],
      ['coldSqlite', 30_000],
    ];
    console.log('');
    for (const [name, goal] of goals) {
      const value = results[name]!;
      console.log(
        `${name.padEnd(14)} ${(value / goal).toFixed(2)}× goal (${goal.toLocaleString('en-US')}/s), ${(value / results.baselineSha256!).toFixed(2)}× the SHA-256 baseline`,
      );
    }
    console.log(`prepared SQLite lookup: ${(results.coldSqlite! / results.coldSqliteKysely!).toFixed(2)}× the Kysely lookup`);
    console.log(`BENCH_JSON ${JSON.stringify({ bench: 'keys', results })}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
