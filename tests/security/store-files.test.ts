// The SQLite store's files: the database, its WAL and shared-memory files are the operator's
// secrets (key hashes, sealed signing keys), so Portcullis creates them 0600 and the folders it
// creates 0700. A path that cannot be opened fails the start with an error that names it.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { createApp } from '../../src/app.js';
import { validateConfig } from '../../src/config/load.js';
import { generateMasterKey } from '../../src/oauth/master-key.js';
import { cli } from '../helpers/cli.js';
import { testLogger } from '../helpers/logs.js';
import { tempDir } from '../helpers/stores.js';

const modeOf = (path: string) => statSync(path).mode & 0o777;
const octal = (mode: number) => `0${mode.toString(8)}`;

async function startOn(store: string) {
  const config = validateConfig({ store, log: { level: 'silent' }, oauth: { masterKey: generateMasterKey() } }, 'test');
  return createApp({ config, logger: testLogger() });
}

test('the database, WAL and SHM files are 0600 and the folders Portcullis creates 0700', async () => {
  const tmp = tempDir();
  const previousMask = process.umask(0o022);
  try {
    const dbPath = join(tmp.dir, 'data', 'nested', 'portcullis.db');
    const app = await startOn(`sqlite:${dbPath}`);
    try {
      await app.consumers.create({ name: 'acme' }, { id: 'test', sourceIp: null });
      for (const file of [dbPath, `${dbPath}-wal`, `${dbPath}-shm`]) {
        assert.ok(existsSync(file), `${file} exists while the store is open`);
        assert.equal(octal(modeOf(file)), '0600', file);
      }
      assert.equal(octal(modeOf(join(tmp.dir, 'data'))), '0700');
      assert.equal(octal(modeOf(join(tmp.dir, 'data', 'nested'))), '0700');
    } finally {
      await app.close();
    }
  } finally {
    process.umask(previousMask);
    tmp.remove();
  }
});

test('a folder the operator made keeps its mode; the files in it are still 0600', async () => {
  const tmp = tempDir();
  const previousMask = process.umask(0o022);
  try {
    const folder = join(tmp.dir, 'operator');
    mkdirSync(folder, { mode: 0o750 });
    const dbPath = join(folder, 'portcullis.db');
    const app = await startOn(`sqlite:${dbPath}`);
    try {
      await app.consumers.create({ name: 'acme' }, { id: 'test', sourceIp: null });
      assert.equal(octal(modeOf(folder)), '0750');
      for (const file of [dbPath, `${dbPath}-wal`, `${dbPath}-shm`]) assert.equal(octal(modeOf(file)), '0600', file);
    } finally {
      await app.close();
    }
  } finally {
    process.umask(previousMask);
    tmp.remove();
  }
});

test('a store path that cannot be opened names the path (createApp)', async () => {
  const tmp = tempDir();
  try {
    const file = join(tmp.dir, 'a-file');
    writeFileSync(file, 'not a database, and not a folder either');
    const cases = [
      tmp.dir, // a directory
      join(file, 'sub', 'x.db'), // under a regular file
      file, // not a database
    ];
    for (const path of cases) {
      await assert.rejects(startOn(`sqlite:${path}`), (error: Error) => {
        assert.ok(error.message.includes(path), `the error names ${path}: ${error.message}`);
        return true;
      });
    }
  } finally {
    tmp.remove();
  }
});

// Through the command parser in this process (runCli, which the executable runs); the start fails before it listens.
test('`portcullis start` on a store path that cannot be opened exits with the path in its message', async () => {
  const tmp = tempDir();
  try {
    const configPath = join(tmp.dir, 'portcullis.yaml');
    writeFileSync(configPath, `store: sqlite:${tmp.dir}\nlisten: { port: 0 }\nadmin: { port: 0 }\noauth: { masterKey: ${generateMasterKey()} }\n`);
    const result = await cli(tmp.dir, ['start', '--config', configPath], { PORTCULLIS_LOG_LEVEL: 'silent' });
    assert.notEqual(result.code, 0, 'start fails');
    assert.ok(result.stderr.includes(tmp.dir), `stderr names the path: ${result.stderr}`);
    assert.ok(!/\n\s+at /.test(result.stderr), 'no stack trace');
  } finally {
    tmp.remove();
  }
});
