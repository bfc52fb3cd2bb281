// `portcullis webhooks …` on the local store, in-process: create (secret shown once), list,
// deliveries after a change, retry, roll-secret, delete; a refused URL is a clear error.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cli as run } from '../helpers/cli.js';
import { noteSecret } from '../helpers/logs.js';
import { tempDir } from '../helpers/stores.js';

async function json(cwd: string, args: string[]) {
  const result = await run(cwd, [...args, '--json']);
  assert.equal(result.code, 0, `${args.join(' ')}: ${result.stderr}`);
  return JSON.parse(result.stdout);
}

test('webhooks create, list, deliveries, retry, roll-secret and delete on the local store', async () => {
  const tmp = tempDir();
  try {
    assert.equal((await run(tmp.dir, ['init'])).code, 0);
    const refused = await run(tmp.dir, ['webhooks', 'create', 'http://169.254.169.254/', '--events', 'key.created']);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /169\.254\.169\.254 is a link-local address.*\[WEBHOOK_URL_NOT_ALLOWED\]/);

    const created = await run(tmp.dir, ['webhooks', 'create', 'http://127.0.0.1:9/hooks', '--events', 'key.created,key.revoked', '--allow-private-networks']);
    assert.equal(created.code, 0, created.stderr);
    const secret = /^ {2}(whsec_\S+)$/m.exec(created.stdout)?.[1];
    assert.ok(secret, created.stdout);
    noteSecret(secret);
    const id = /^id\s+(whk_\S+)$/m.exec(created.stdout)?.[1] ?? '';
    assert.ok(id, created.stdout);

    const listed = await run(tmp.dir, ['webhooks', 'list']);
    assert.match(listed.stdout, new RegExp(id));
    assert.ok(!listed.stdout.includes(secret), 'a listing never shows the secret');

    const consumer = await json(tmp.dir, ['consumers', 'create', '--name', 'acme']);
    noteSecret((await json(tmp.dir, ['keys', 'create', consumer.id])).key);
    const deliveries = await json(tmp.dir, ['webhooks', 'deliveries', id]);
    assert.equal(deliveries.items.length, 1);
    assert.equal(deliveries.items[0].eventType, 'key.created');
    assert.equal(deliveries.items[0].status, 'pending', 'the CLI writes the outbox; a running server delivers it');
    const retried = await run(tmp.dir, ['webhooks', 'retry', id, deliveries.items[0].id]);
    assert.equal(retried.code, 0, retried.stderr);
    assert.match(retried.stdout, /status\s+pending/);

    const rolled = await json(tmp.dir, ['webhooks', 'roll-secret', id, '--expire-old-in', '3600']);
    noteSecret(rolled.secret);
    assert.match(rolled.secret, /^whsec_/);
    assert.notEqual(rolled.secret, secret);
    assert.equal((await json(tmp.dir, ['webhooks', 'list'])).items[0].secrets.length, 2);

    assert.match((await run(tmp.dir, ['webhooks', 'delete', id])).stdout, new RegExp(`deleted ${id}`));
    assert.deepEqual((await json(tmp.dir, ['webhooks', 'list'])).items, []);
  } finally {
    tmp.remove();
  }
});
