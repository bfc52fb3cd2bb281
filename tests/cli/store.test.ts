// The CLI on a store, as a user meets it: it names the store it acts on (on stderr, a PostgreSQL
// password never), and a command that only reads refuses to run where there is no store instead of
// answering from a new, empty one. Commands that change something create the store, and say so.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import pg from 'pg';
import { cli as run } from '../helpers/cli.js';
import { noteSecret } from '../helpers/logs.js';
import { POSTGRES_URL, tempDir } from '../helpers/stores.js';

const READS = [
  ['consumers', 'list'],
  ['consumers', 'get', 'con_0000000000000000000000'],
  ['keys', 'list', 'con_0000000000000000000000'],
  ['keys', 'verify', 'pcl_000000000000000000000000000000000000'],
  ['clients', 'get', 'cli_0000000000000000000000'],
  ['usage'],
  ['signing-keys', 'list'],
];

test('a read command where there is no store says so, and creates nothing', async () => {
  const tmp = tempDir();
  try {
    const shown = `sqlite:./.portcullis/portcullis.db (${join(tmp.dir, '.portcullis', 'portcullis.db')})`;
    for (const args of READS) {
      const result = await run(tmp.dir, args);
      assert.equal(result.code, 1, `${args.join(' ')}: ${result.stdout}${result.stderr}`);
      assert.equal(
        result.stderr,
        `portcullis: no Portcullis store at ${shown}; run from the folder you started Portcullis in, or pass --config / --url\n`,
        args.join(' '),
      );
      assert.equal(result.stdout, '');
    }
    assert.equal(existsSync(join(tmp.dir, '.portcullis')), false, 'no store, no folder, no demo master key');

    // A store file that holds no Portcullis schema (an empty file) is no store either.
    mkdirSync(join(tmp.dir, '.portcullis'));
    writeFileSync(join(tmp.dir, '.portcullis', 'portcullis.db'), '');
    assert.match((await run(tmp.dir, ['consumers', 'list'])).stderr, /^portcullis: no Portcullis store at /);
  } finally {
    tmp.remove();
  }
});

test('commands on the store name it; a write where there is none creates it and says so', async () => {
  const tmp = tempDir();
  try {
    const shown = `sqlite:./.portcullis/portcullis.db (${join(tmp.dir, '.portcullis', 'portcullis.db')})`;
    const created = await run(tmp.dir, ['consumers', 'create', '--name', 'acme', '--json']);
    assert.equal(created.code, 0, created.stderr);
    assert.equal(created.stderr, `creating a Portcullis store at ${shown}\n`);
    const consumer = JSON.parse(created.stdout) as { id: string };

    const listed = await run(tmp.dir, ['consumers', 'list', '--json']);
    assert.equal(listed.stderr, `using ${shown}\n`);
    assert.equal(JSON.parse(listed.stdout).items[0].id, consumer.id, 'stdout is the output alone');
    for (const args of [['migrate'], ['admin', 'create-key', '--json'], ['signing-keys', 'list'], ['keys', 'list', consumer.id]]) {
      const result = await run(tmp.dir, args);
      assert.equal(result.code, 0, result.stderr);
      assert.equal(result.stderr, `using ${shown}\n`, args.join(' '));
      if (args[0] === 'admin') noteSecret(JSON.parse(result.stdout).key);
    }

    // From another folder: the store of the config (an absolute path is shown as it is).
    const elsewhere = join(tmp.dir, 'elsewhere');
    mkdirSync(elsewhere);
    const absolute = join(tmp.dir, '.portcullis', 'portcullis.db');
    assert.match(
      (await run(elsewhere, ['consumers', 'list'])).stderr,
      /^portcullis: no Portcullis store at sqlite:\.\/\.portcullis\/portcullis\.db \(.*elsewhere/,
    );
    const viaEnv = await run(elsewhere, ['consumers', 'list', '--json'], { PORTCULLIS_STORE: `sqlite:${absolute}` });
    assert.equal(viaEnv.stderr, `using sqlite:${absolute}\n`);
    assert.equal(JSON.parse(viaEnv.stdout).items[0].id, consumer.id);
  } finally {
    tmp.remove();
  }
});

test('on PostgreSQL the CLI names the store without its password, and a read does not create the schema', {
  skip: POSTGRES_URL ? false : 'PORTCULLIS_TEST_POSTGRES_URL is not set',
}, async () => {
  const schema = `pcl_cli_${randomBytes(4).toString('hex')}`;
  const url = new URL(POSTGRES_URL!);
  // A password the server does not check (trust) unless the URL brings its own: either way it must not be shown.
  if (!url.password) url.password = `pw-${randomBytes(8).toString('hex')}`;
  const password = decodeURIComponent(url.password);
  noteSecret(password);
  url.searchParams.set('options', `-c search_path=${schema}`);
  const shown = `${url.protocol}//${decodeURIComponent(url.username)}@${url.host}${url.pathname}`;
  const admin = new pg.Client({ connectionString: POSTGRES_URL });
  await admin.connect();
  const tables = async () => Number((await admin.query('select count(*) as n from information_schema.tables where table_schema = $1', [schema])).rows[0].n);
  const tmp = tempDir();
  try {
    const env = { PORTCULLIS_STORE: url.toString() };
    const refused = await run(tmp.dir, ['consumers', 'list'], env);
    assert.equal(refused.code, 1);
    assert.equal(refused.stderr, `portcullis: no Portcullis store at ${shown}; run from the folder you started Portcullis in, or pass --config / --url\n`);

    await admin.query(`create schema "${schema}"`);
    assert.match((await run(tmp.dir, ['usage'], env)).stderr, /^portcullis: no Portcullis store at /, 'an empty schema is no store');
    assert.equal(await tables(), 0, 'the reads created nothing');

    const migrated = await run(tmp.dir, ['migrate'], env);
    assert.equal(migrated.code, 0, migrated.stderr);
    assert.equal(migrated.stderr, `creating a Portcullis store at ${shown}\n`);
    const listed = await run(tmp.dir, ['consumers', 'list', '--json'], env);
    assert.equal(listed.code, 0, listed.stderr);
    assert.equal(listed.stderr, `using ${shown}\n`);
    assert.ok(!`${refused.stderr}${migrated.stderr}${listed.stderr}`.includes(password));
  } finally {
    tmp.remove();
    await admin.query(`drop schema if exists "${schema}" cascade`);
    await admin.end();
  }
});
