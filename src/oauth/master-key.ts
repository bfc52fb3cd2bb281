// The master key that encrypts signing keys at rest: from config (or PORTCULLIS_OAUTH_MASTER_KEY),
// or — for the zero-config demo only — a key file kept beside the demo database with mode 0600.
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export const MASTER_KEY_BYTES = 32;
export const DEMO_MASTER_KEY_PATH = '.portcullis/master.key';

/** 32 random bytes as base64url: the form `oauth.masterKey` takes. */
export function generateMasterKey(): string {
  return randomBytes(MASTER_KEY_BYTES).toString('base64url');
}

export function parseMasterKey(text: string): Buffer {
  const trimmed = text.trim();
  const bytes = Buffer.from(trimmed, 'base64url');
  if (!/^[A-Za-z0-9_-]{43}$/.test(trimmed) || bytes.length !== MASTER_KEY_BYTES) {
    throw new Error('the master key must be 32 bytes in base64url (43 characters)');
  }
  return bytes;
}

/** Reads the demo key file, creating it (and its directory) on first use. */
export function loadDemoMasterKey(path: string = DEMO_MASTER_KEY_PATH): Buffer {
  if (existsSync(path)) return parseMasterKey(readFileSync(path, 'utf8'));
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const key = generateMasterKey();
  writeFileSync(path, `${key}\n`, { mode: 0o600, flag: 'wx' });
  chmodSync(path, 0o600);
  return parseMasterKey(key);
}

/**
 * The master key for this run: the configured one, else in demo mode the key file, else none (the
 * caller decides whether that is fatal: `portcullis start` refuses, CLI commands on the store go on).
 */
export function resolveMasterKey({ configured, demo, store }: { configured: string | undefined; demo: boolean; store: string }): Buffer | undefined {
  if (configured !== undefined) return parseMasterKey(configured);
  if (!demo) return undefined;
  if (store === 'sqlite::memory:') return randomBytes(MASTER_KEY_BYTES);
  return loadDemoMasterKey(store.startsWith('sqlite:') ? join(dirname(store.slice('sqlite:'.length)), 'master.key') : DEMO_MASTER_KEY_PATH);
}
