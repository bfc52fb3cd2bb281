// What a Portcullis server sets for its whole process (`applyProcessWideSettings`, e.g. keeping
// nextTick's shapes) is set by the server start alone: an app that embeds Portcullis through
// `createApp` (library mode, tests) keeps its process as it was. Checked in a child process, whose
// process-wide state no other test has touched.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { tempDir } from '../helpers/stores.js';

const run = promisify(execFile);

const CHILD = `
const src = process.env.DIST_SRC;
const { createApp } = await import(src + 'app.js');
const { validateConfig } = await import(src + 'config/load.js');
const { isTickShapeKept } = await import(src + 'lib/tick-shape.js');
const { startPortcullis } = await import(src + 'server/start.js');
const { testLogger } = await import(process.env.DIST_HELPERS + 'logs.js');
const config = validateConfig(
  { store: 'sqlite:' + process.env.DIR + '/portcullis.db', listen: { host: '127.0.0.1', port: 0 }, admin: { host: '127.0.0.1', port: 0 } },
  'test',
);
const app = await createApp({ config, logger: testLogger() });
const afterCreateApp = isTickShapeKept();
await app.close();
const running = await startPortcullis({ loaded: { config, path: null, demo: false }, logger: testLogger(), print: () => {} });
const afterStart = isTickShapeKept();
await running.close();
console.log(JSON.stringify({ afterCreateApp, afterStart }));
`;

describe('process-wide settings', () => {
  let dir: ReturnType<typeof tempDir>;
  before(() => {
    dir = tempDir();
  });
  after(() => dir.remove());

  test('createApp leaves the process as it was; startPortcullis applies the process-wide settings', async () => {
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', CHILD], {
      env: {
        ...process.env,
        DIR: dir.dir,
        DIST_SRC: new URL('../../src/', import.meta.url).href,
        DIST_HELPERS: new URL('../helpers/', import.meta.url).href,
      },
    });
    assert.deepEqual(JSON.parse(stdout.trim().split('\n').at(-1)!), { afterCreateApp: false, afterStart: true });
  });
});
