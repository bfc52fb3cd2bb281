// `portcullis portal create-operator` in this process (runCli) on a local store: it prints a one-time
// sign-in link; the link's token signs the operator in once through the portal API.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { createApp } from '../../src/app.js';
import { loadConfig } from '../../src/config/load.js';
import { cli } from '../helpers/cli.js';
import { noteSecret } from '../helpers/logs.js';
import { tempDir } from '../helpers/stores.js';

test('portal create-operator prints a one-time sign-in link for a new or existing operator', async () => {
  const tmp = tempDir();
  try {
    writeFileSync(join(tmp.dir, 'portcullis.yaml'), 'store: sqlite:./data/portcullis.db\nportal:\n  publicUrl: https://api.example.com\n');
    const printed = await cli(tmp.dir, ['portal', 'create-operator', '--email', 'ops@example.com']);
    assert.equal(printed.code, 0, printed.stderr);
    const link = printed.stdout.match(/https:\/\/api\.example\.com\/portal\/sign-in-link#token=([A-Za-z0-9_-]{43})/);
    assert.ok(link, printed.stdout);
    noteSecret(link[1]);

    const json = await cli(tmp.dir, ['portal', 'create-operator', '--email', 'OPS@example.com', '--json']);
    assert.equal(json.code, 0, json.stderr);
    const answer = JSON.parse(json.stdout);
    noteSecret(answer.signInUrl.split('#token=')[1]);
    assert.match(answer.userId, /^usr_/);
    assert.ok(answer.expiresAt);

    const bad = await cli(tmp.dir, ['portal', 'create-operator', '--email', 'not an email']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /--email: "not an email" is not an email address/);

    // The printed token signs in once, as an operator; the second link belongs to the same account.
    const { config } = loadConfig({ cwd: tmp.dir, env: {} });
    const app = await createApp({ config: { ...config, store: `sqlite:${join(tmp.dir, 'data/portcullis.db')}` } });
    try {
      const user = await app.members.signInWithLink(link[1]!);
      assert.equal(user.operator, true);
      assert.equal(user.id, answer.userId);
      await assert.rejects(app.members.signInWithLink(link[1]!), { code: 'LINK_NOT_VALID' });
    } finally {
      await app.close();
    }
  } finally {
    tmp.remove();
  }
});
