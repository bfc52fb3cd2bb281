// Config reload on a running server (POST /admin/v1/reload, `running.reload()`, `portcullis reload`,
// SIGHUP): the YAML file on disk changes, the node serves the new APIs, limits, OpenAPI documents,
// trusted issuers and log level; an invalid file is refused and the old config keeps serving; a
// request under way finishes on the old upstream while a new one goes to the new; every reload is
// audited. One spawned `portcullis start` proves SIGHUP.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { join, resolve } from 'node:path';
import { after, describe, test } from 'node:test';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { stringify } from 'yaml';
import { runCli } from '../../src/cli/main.js';
import { loadConfig } from '../../src/config/load.js';
import { type RunningPortcullis, startPortcullis } from '../../src/server/start.js';
import { followLogs, testLogger } from '../helpers/logs.js';
import { tempDir } from '../helpers/stores.js';
import { startTestIdp } from '../oauth/idp.js';

const tmp = tempDir();
after(() => tmp.remove());

/** An upstream answering its own name; requests to …/slow wait until released. */
async function startUpstream(name: string) {
  const held: ServerResponse[] = [];
  const server: Server = createServer((req, res) => {
    if ((req.url ?? '').endsWith('/slow')) {
      held.push(res);
      return;
    }
    res.end(name);
  });
  server.keepAliveTimeout = 60_000;
  const open = new Set<Socket>();
  server.on('connection', (socket) => {
    open.add(socket);
    socket.once('close', () => open.delete(socket));
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    held,
    connections: () => open.size,
    async close() {
      server.closeAllConnections();
      await new Promise((done) => server.close(done));
    },
  };
}

async function waitFor(what: string, condition: () => boolean, ms = 10_000): Promise<void> {
  const until = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((done) => setTimeout(done, 10));
  }
}

function baseConfig(name: string, apis: unknown[], extra: Record<string, unknown> = {}) {
  return {
    store: `sqlite:${join(tmp.dir, `${name}.db`)}`,
    admin: { port: 0, host: '127.0.0.1' },
    listen: { port: 0, host: '127.0.0.1' },
    log: { level: 'info' },
    oauth: { masterKey: 'a'.repeat(43) },
    portal: { enabled: false },
    apis,
    ...extra,
  };
}

/** A server started from a YAML file in its own folder; `write` changes the file. */
async function startFromFile(name: string, config: Record<string, unknown>) {
  const path = join(tmp.dir, `${name}.yaml`);
  const write = (next: Record<string, unknown> | string) => writeFileSync(path, typeof next === 'string' ? next : stringify(next));
  write(config);
  const logger = testLogger('info');
  const running: RunningPortcullis = await startPortcullis({ loaded: loadConfig({ path }), logger, print: () => {} });
  const adminKey = running.firstAdminKey!;
  const authorization = `Bearer ${adminKey}`;
  const admin = async (method: string, url: string, payload?: unknown) => {
    const response = await fetch(`${running.adminUrl}${url}`, {
      method,
      headers: { authorization, ...(payload === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(payload === undefined ? {} : { body: JSON.stringify(payload) }),
    });
    return { status: response.status, body: (await response.json()) as any };
  };
  const consumer = (await admin('POST', '/admin/v1/consumers', { name: `${name}-consumer`, externalIds: ['svc-1'] })).body;
  const key = (await admin('POST', `/admin/v1/consumers/${consumer.id}/keys`, {})).body.key as string;
  const get = async (path: string, headers: Record<string, string> = { 'x-api-key': key }) => {
    const response = await fetch(`${running.gatewayUrl}${path}`, { headers });
    return { status: response.status, text: await response.text() };
  };
  return { running, path, write, admin, get, adminKey, logs: logger.captured };
}

describe('config reload', () => {
  test('adding an API, changing a limit and the log level take effect; the reload is audited with its caller', async () => {
    const one = await startUpstream('one');
    const s = await startFromFile('apply', baseConfig('apply', [{ name: 'a', basePath: '/a', upstream: one.url, auth: ['api-key'] }]));
    try {
      assert.equal((await s.get('/b/x')).status, 404, 'no API b yet');
      assert.equal(s.running.app.logs.level, 'info');
      s.write(
        baseConfig(
          'apply',
          [
            { name: 'a', basePath: '/a', upstream: one.url, auth: ['api-key'], rateLimit: { limit: 1, window: '1m' } },
            { name: 'b', basePath: '/b', upstream: one.url, auth: ['api-key'] },
          ],
          { log: { level: 'debug' } },
        ),
      );
      const answer = await s.admin('POST', '/admin/v1/reload');
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      assert.deepEqual(answer.body.apis, { added: ['b'], removed: [], changed: ['a'] });
      assert.deepEqual(answer.body.logLevel, { from: 'info', to: 'debug' });
      assert.deepEqual(answer.body.restartRequired, []);
      assert.equal(answer.body.config, s.path);
      const document = (await s.admin('GET', '/admin/v1/openapi.json')).body;
      const ajv = new Ajv2020({ strict: false, validateFormats: false });
      ajv.addSchema({ components: document.components }, 'doc');
      const validate = ajv.getSchema('doc#/components/schemas/ReloadOutcome')!;
      assert.ok(validate(answer.body), `the answer matches the document: ${JSON.stringify(validate.errors)}`);

      assert.deepEqual(await s.get('/b/x'), { status: 200, text: 'one' }, 'the new API serves');
      assert.equal((await s.get('/a/x')).status, 200);
      assert.equal((await s.get('/a/x')).status, 429, 'the new limit of 1 a minute holds');
      assert.equal(s.running.app.logs.level, 'debug');
      assert.equal(s.running.app.log.level, 'debug');

      const events = (await s.admin('GET', '/admin/v1/audit-events?action=config.reloaded')).body.items;
      assert.equal(events.length, 1);
      assert.match(events[0].actor, /^key_/, 'recorded as the admin key that asked');
      assert.deepEqual(events[0].details.apis, { added: ['b'], removed: [], changed: ['a'] });
      assert.equal(events[0].targetType, 'config');
    } finally {
      await s.running.close();
      await one.close();
    }
  });

  test('an invalid file is refused with 422 CONFIG_INVALID and the old config keeps serving', async () => {
    const one = await startUpstream('one');
    const api = { name: 'a', basePath: '/a', upstream: one.url, auth: ['api-key'] };
    const s = await startFromFile('invalid', baseConfig('invalid', [api]));
    try {
      const cases: Array<[string, Record<string, unknown> | string, RegExp]> = [
        ['not YAML', 'oauth: {masterKey: secret-value-not-shown\n', /not valid YAML.*line 2, column 1/],
        ['a schema error', baseConfig('invalid', [{ ...api, upstream: 42 }]), /apis\.0\.upstream/],
        ['a duplicate base path', baseConfig('invalid', [api, { ...api, name: 'b' }]), /apis\.1\.basePath/],
        ['a missing OpenAPI file', baseConfig('invalid', [{ ...api, openapi: 'nowhere.yaml' }]), /apis\.0\.openapi/],
        ['a trusted issuer listed twice', baseConfig('invalid', [api], { trustedIssuers: [issuer('x'), issuer('x')] }), /listed twice/],
        ['a bad master key', baseConfig('invalid', [api], { oauth: { masterKey: 'secret-value-not-shown' } }), /oauth\.masterKey/],
      ];
      for (const [what, content, detail] of cases) {
        s.write(content);
        const answer = await s.admin('POST', '/admin/v1/reload');
        assert.equal(answer.status, 422, what);
        assert.equal(answer.body.code, 'CONFIG_INVALID', what);
        assert.match(answer.body.detail, detail, what);
        assert.doesNotMatch(answer.body.detail, /secret-value-not-shown/, `${what}: no value of a secret field is echoed`);
        assert.deepEqual(await s.get('/a/x'), { status: 200, text: 'one' }, `${what}: the old API still serves`);
      }
      const failed = (await s.admin('GET', '/admin/v1/audit-events?action=config.reload_failed')).body.items;
      assert.equal(failed.length, cases.length, 'each refusal is audited');
      assert.ok(!s.logs.join('').includes('secret-value-not-shown'), 'the log does not echo it either');
    } finally {
      await s.running.close();
      await one.close();
    }
  });

  test('a request under way finishes on the old upstream while a new one goes to the new', async () => {
    const one = await startUpstream('one');
    const two = await startUpstream('two');
    const s = await startFromFile('inflight', baseConfig('inflight', [{ name: 'a', basePath: '/a', upstream: one.url, auth: ['api-key'] }]));
    try {
      const slow = s.get('/a/slow');
      await waitFor('the slow request at upstream one', () => one.held.length === 1);
      s.write(baseConfig('inflight', [{ name: 'a', basePath: '/a', upstream: two.url, auth: ['api-key'] }]));
      const outcome = await s.running.reload();
      assert.deepEqual(outcome.apis.changed, ['a']);
      assert.deepEqual(await s.get('/a/x'), { status: 200, text: 'two' }, 'a new request goes to the new upstream');
      one.held[0]!.end('one, late');
      assert.deepEqual(await slow, { status: 200, text: 'one, late' }, 'the request under way finished on the old upstream');
      assert.deepEqual(await s.get('/a/x'), { status: 200, text: 'two' });
      // Both ends would keep the connection for a minute (keepAliveTimeout): only closing the pool ends it now.
      await waitFor('the replaced pool to close its connections to upstream one', () => one.connections() === 0, 3_000);
    } finally {
      await s.running.close();
      await one.close();
      await two.close();
    }
  });

  test('one reload at a time (409 RELOAD_IN_PROGRESS); audit: false records nothing; an Idempotency-Key retry replays', async () => {
    const s = await startFromFile('concurrent', baseConfig('concurrent', []));
    try {
      const [first, second] = await Promise.allSettled([s.running.reload(), s.running.reload()]);
      assert.equal(first.status, 'fulfilled');
      assert.equal(second.status === 'rejected' && (second.reason as { code: string }).code, 'RELOAD_IN_PROGRESS');
      assert.equal((await s.admin('POST', '/admin/v1/reload')).status, 200, 'and the next one runs');

      // A supervisor reloading several workers has one of them audit: the others record nothing.
      const audited = async () => (await s.admin('GET', '/admin/v1/audit-events?action=config.reloaded')).body.items.length;
      const before = await audited();
      await s.running.reload({ audit: false });
      assert.equal(await audited(), before, 'audit: false records nothing');

      // Like the other admin writes, a retry with the same Idempotency-Key replays the first answer.
      const send = () =>
        fetch(`${s.running.adminUrl}/admin/v1/reload`, { method: 'POST', headers: { authorization: `Bearer ${s.adminKey}`, 'idempotency-key': 'reload-1' } });
      const original = await send();
      assert.equal(original.status, 200);
      const retry = await send();
      assert.equal(retry.status, 200);
      assert.equal(retry.headers.get('idempotent-replayed'), 'true');
      assert.deepEqual(await retry.json(), await original.json());
      assert.equal(await audited(), before + 1, 'the retry did not reload again');
    } finally {
      await s.running.close();
    }
  });

  test('an OpenAPI document changed in place is read again', async () => {
    const one = await startUpstream('one');
    const document = (paths: string[]) =>
      stringify({
        openapi: '3.0.3',
        info: { title: 't', version: '1' },
        paths: Object.fromEntries(paths.map((p) => [p, { get: { responses: { 200: { description: 'ok' } } } }])),
      });
    writeFileSync(join(tmp.dir, 'doc.yaml'), document(['/old']));
    const api = { name: 'a', basePath: '/a', upstream: one.url, auth: ['api-key'], openapi: 'doc.yaml', stripBasePath: true };
    const s = await startFromFile('openapi', baseConfig('openapi', [api]));
    try {
      assert.equal((await s.get('/a/new')).status, 404);
      writeFileSync(join(tmp.dir, 'doc.yaml'), document(['/new']));
      const outcome = await s.running.reload();
      assert.deepEqual(outcome.apis, { added: [], removed: [], changed: ['a'] });
      assert.equal((await s.get('/a/new')).status, 200);
      assert.equal((await s.get('/a/old')).status, 404);
    } finally {
      await s.running.close();
      await one.close();
    }
  });

  test('a trusted issuer added is accepted at once; removed, its cached tokens stop working', async () => {
    const one = await startUpstream('one');
    const idp = await startTestIdp();
    idp.addKey('ES256');
    const trusted = { ...issuer(idp.issuer), jwksUri: idp.jwksUri };
    const api = { name: 'a', basePath: '/a', upstream: one.url, auth: ['jwt'] };
    const s = await startFromFile('issuers', baseConfig('issuers', [api]));
    try {
      const now = Math.floor(Date.now() / 1000);
      const token = idp.sign({ iss: idp.issuer, sub: 'svc-1', aud: ['https://api.example.com'], iat: now, exp: now + 600, jti: randomUUID() });
      const bearer = { authorization: `Bearer ${token}` };
      assert.equal((await s.get('/a/x', bearer)).status, 401, 'not trusted yet');

      s.write(baseConfig('issuers', [api], { trustedIssuers: [trusted] }));
      assert.deepEqual((await s.running.reload()).trustedIssuers, { added: [idp.issuer], removed: [], changed: [] });
      assert.deepEqual(await s.get('/a/x', bearer), { status: 200, text: 'one' }, 'trusted now');
      assert.equal((await s.get('/a/x', bearer)).status, 200, 'and cached');

      s.write(baseConfig('issuers', [api]));
      assert.deepEqual((await s.running.reload()).trustedIssuers, { added: [], removed: [idp.issuer], changed: [] });
      assert.equal((await s.get('/a/x', bearer)).status, 401, 'the cached verdict did not outlive the issuer');
    } finally {
      await s.running.close();
      await idp.close();
      await one.close();
    }
  });

  test('fields only a restart applies are named; the rest is applied', async () => {
    const one = await startUpstream('one');
    const s = await startFromFile('restart', baseConfig('restart', []));
    try {
      s.write(
        baseConfig('restart', [{ name: 'a', basePath: '/a', upstream: one.url, auth: ['api-key'] }], {
          admin: { port: 0, host: '127.0.0.1', bodyLimit: 2048 },
          oauth: { masterKey: 'b'.repeat(43) },
        }),
      );
      const answer = await s.admin('POST', '/admin/v1/reload');
      assert.equal(answer.status, 200);
      assert.deepEqual(answer.body.restartRequired.sort(), ['admin.bodyLimit', 'oauth.masterKey']);
      assert.ok(!JSON.stringify(answer.body).includes('b'.repeat(43)), 'names only, never a value');
      assert.equal((await s.get('/a/x')).status, 200, 'the API was applied');
      assert.ok(s.logs.some((line) => line.includes('only a restart applies them')));
    } finally {
      await s.running.close();
      await one.close();
    }
  });

  test('`portcullis reload` prints the outcome and exits 1 on a refusal', async () => {
    const one = await startUpstream('one');
    const s = await startFromFile('cli', baseConfig('cli', []));
    const run = async () => {
      let stdout = '';
      let stderr = '';
      const code = await runCli(['reload', '--url', s.running.adminUrl, '--admin-key', s.adminKey], {
        cwd: tmp.dir,
        env: { ...process.env, PORTCULLIS_LOG_LEVEL: 'silent' },
        stdout: { write: (text: string) => (stdout += text) },
        stderr: { write: (text: string) => (stderr += text) },
      });
      return { code, stdout, stderr };
    };
    try {
      s.write(baseConfig('cli', [{ name: 'a', basePath: '/a', upstream: one.url, auth: ['api-key'] }]));
      const ok = await run();
      assert.equal(ok.code, 0, ok.stderr);
      assert.match(ok.stdout, /APIs added: a/);
      s.write('apis: [unclosed');
      const refused = await run();
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, /CONFIG_INVALID/);
      assert.equal((await s.get('/a/x')).status, 200);
    } finally {
      await s.running.close();
      await one.close();
    }
  });

  test('the demo has no file to reload: 409 RELOAD_UNAVAILABLE', async () => {
    const dir = tempDir();
    const loaded = loadConfig({
      cwd: dir.dir,
      env: {
        PORTCULLIS_STORE: `sqlite:${join(dir.dir, 'demo.db')}`,
        PORTCULLIS_LISTEN_HOST: '127.0.0.1',
        PORTCULLIS_LISTEN_PORT: '0',
        PORTCULLIS_ADMIN_PORT: '0',
      },
    });
    assert.equal(loaded.demo, true);
    const running = await startPortcullis({ loaded, logger: testLogger('warn'), print: () => {} });
    try {
      const response = await fetch(`${running.adminUrl}/admin/v1/reload`, { method: 'POST', headers: { authorization: `Bearer ${running.firstAdminKey}` } });
      assert.equal(response.status, 409);
      assert.equal(((await response.json()) as { code: string }).code, 'RELOAD_UNAVAILABLE');
      await assert.rejects(running.reload(), { code: 'RELOAD_UNAVAILABLE' });
    } finally {
      await running.close();
      dir.remove();
    }
  });
});

function issuer(name: string) {
  return { issuer: name, jwksUri: 'https://idp.example/jwks.json', audience: 'https://api.example.com', algorithms: ['ES256'], consumerClaim: 'sub' };
}

test('SIGHUP on `portcullis start` reloads the config file', async () => {
  const one = await startUpstream('one');
  const dir = tempDir();
  const file = join(dir.dir, 'portcullis.yaml');
  // With a config file `start` is a supervisor: SIGHUP goes to it, and its worker reloads (tests/server/workers.test.ts has two).
  const config = (apis: unknown[]) => ({ ...baseConfig('sighup', apis), workers: 1, store: `sqlite:${join(dir.dir, 'p.db')}`, log: { level: 'info' } });
  writeFileSync(file, stringify(config([])));
  const child = spawn(process.execPath, [resolve('dist/src/cli/launch.cjs'), 'start'], {
    cwd: dir.dir,
    env: { ...process.env, PORTCULLIS_LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  let stdout = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk));
  followLogs(child.stdout);
  try {
    await waitFor('the start log line', () => stdout.includes('"portcullis started"'), 30_000);
    const started = JSON.parse(stdout.split('\n').find((line) => line.includes('"portcullis started"'))!);
    assert.equal((await fetch(`${started.gatewayUrl}/a/x`)).status, 404);
    writeFileSync(file, stringify(config([{ name: 'a', basePath: '/a', upstream: one.url, auth: ['api-key'] }])));
    child.kill('SIGHUP');
    await waitFor('the reload log line', () => stdout.includes('"config reloaded"'), 20_000);
    const answer = await fetch(`${started.gatewayUrl}/a/x`);
    assert.equal(answer.status, 401, 'API a exists now (and wants a key)');
    assert.equal(child.exitCode, null, 'the process kept running');
  } finally {
    child.kill('SIGTERM');
    await waitFor('the exit', () => child.exitCode !== null || child.signalCode !== null, 20_000).catch(() => child.kill('SIGKILL'));
    await one.close();
    dir.remove();
  }
});
