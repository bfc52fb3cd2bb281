// Shared by the two-node tests: a node on a shared SQLite file with caches that outlive the test, and
// a bounded wait for what the other node should see.
import assert from 'node:assert/strict';
import { type App, createApp } from '../../src/app.js';
import { validateConfig } from '../../src/config/load.js';
import { createManualClock } from '../../src/lib/clock.js';
import { openSqliteStore } from '../../src/store/sqlite.js';
import { testLogger } from '../helpers/logs.js';

export const actor = { id: 'test', sourceIp: null };

/** A node with its own connection to the SQLite file at `path`; keys stay cached for an hour. */
export function clusterNode(path: string, masterKey: string, config: Record<string, unknown> = {}): Promise<App> {
  const { oauth, keys, ...rest } = config as { oauth?: object; keys?: { cache?: object } };
  return createApp({
    config: validateConfig(
      {
        store: `sqlite:${path}`,
        issuer: 'https://auth.portcullis.test',
        keys: { cache: { ttl: '1h', ...keys?.cache } },
        oauth: { masterKey, ...oauth },
        log: { level: 'silent' },
        ...rest,
      },
      'test',
    ),
    clock: createManualClock(Date.now()),
    store: openSqliteStore(path),
    logger: testLogger(),
  });
}

/** Polls until `check` holds; the cap only keeps a broken build from hanging the run. */
export async function eventually(what: string, check: () => Promise<boolean> | boolean): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  assert.fail(`never happened: ${what}`);
}
