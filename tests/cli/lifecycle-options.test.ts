// The CLI's --allowed-ips (keys, clients, consumers) and a consumer's key-policy options, on the store:
// values reach the admin API's fields normalised, `none` and --no-key-policy clear them, and a bad
// value is refused with the option named (CLI-side) or the API's code (server-side).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cli as run } from '../helpers/cli.js';
import { noteSecret } from '../helpers/logs.js';
import { tempDir } from '../helpers/stores.js';

test('--allowed-ips and the key policy options', async () => {
  const tmp = tempDir();
  try {
    const json = async (args: string[]) => {
      const result = await run(tmp.dir, [...args, '--json']);
      assert.equal(result.code, 0, `${args.join(' ')}: ${result.stderr}`);
      return JSON.parse(result.stdout);
    };
    const consumer = await json([
      'consumers',
      'create',
      '--name',
      'acme',
      '--allowed-ips',
      '10.0.0.0/8, 2001:DB8::/32',
      '--max-key-lifetime',
      '30d',
      '--warn-before-expiry',
      '3d',
    ]);
    assert.deepEqual(consumer.allowedIps, ['10.0.0.0/8', '2001:db8::/32']);
    assert.deepEqual(consumer.keyPolicy, { maxKeyLifetime: '30d', warnBeforeExpiry: '3d' });

    const key = await json(['keys', 'create', consumer.id, '--allowed-ips', '10.1.2.3']);
    noteSecret(key.key);
    assert.deepEqual(key.allowedIps, ['10.1.2.3']);
    assert.ok(key.expiresAt, 'the consumer’s maximum lifetime gave it an expiry');
    assert.deepEqual((await json(['keys', 'update', key.id, '--allowed-ips', 'none'])).allowedIps, []);

    const client = await json(['clients', 'create', consumer.id, '--allowed-ips', '192.0.2.0/24']);
    noteSecret(client.clientSecret);
    assert.deepEqual(client.allowedIps, ['192.0.2.0/24']);
    assert.deepEqual((await json(['clients', 'update', client.clientId, '--allowed-ips', '192.0.2.1,192.0.2.2'])).allowedIps, ['192.0.2.1', '192.0.2.2']);

    assert.equal((await json(['consumers', 'update', consumer.id, '--no-key-policy'])).keyPolicy, null);

    const badIp = await run(tmp.dir, ['keys', 'create', consumer.id, '--allowed-ips', '10.0.0.0/33']);
    assert.equal(badIp.code, 1);
    assert.match(badIp.stderr, /IP_ALLOWLIST_INVALID/);
    assert.match(badIp.stderr, /10\.0\.0\.0\/33/);
    const badDuration = await run(tmp.dir, ['consumers', 'update', consumer.id, '--disable-unused-after', 'soon']);
    assert.equal(badDuration.code, 1);
    assert.match(badDuration.stderr, /--disable-unused-after takes a duration/);
  } finally {
    tmp.remove();
  }
});
