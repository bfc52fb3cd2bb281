// `portcullis start` with no config: the printed curl lines work when pasted. Runs the real CLI in a
// temp dir as a child process, parses its banner and replays each curl line with fetch.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { followLogs, noteSecret } from '../helpers/logs.js';

const CLI = resolve('dist/src/cli/launch.cjs');

interface Curl {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string | undefined;
}

/** Shell-style words: double and single quotes, backslash-newline continuations. */
function words(line: string): string[] {
  const out: string[] = [];
  const pattern = /"((?:[^"\\]|\\.)*)"|'([^']*)'|(\S+)/g;
  for (const match of line.replace(/\\\n/g, ' ').matchAll(pattern)) out.push(match[1] ?? match[2] ?? match[3]!);
  return out;
}

function parseCurl(command: string): Curl {
  const argv = words(command);
  assert.equal(argv.shift(), 'curl');
  const curl: Curl = { method: 'GET', url: '', headers: {}, body: undefined };
  while (argv.length > 0) {
    const arg = argv.shift()!;
    if (arg === '-X') curl.method = argv.shift()!;
    else if (arg === '-H') {
      const header = argv.shift()!;
      const colon = header.indexOf(':');
      curl.headers[header.slice(0, colon).trim()] = header.slice(colon + 1).trim();
    } else if (arg === '-d') {
      curl.body = argv.shift()!;
      if (curl.method === 'GET') curl.method = 'POST';
    } else if (/^-[a-z]+$/.test(arg)) continue;
    else curl.url = arg;
  }
  return curl;
}

/** Every curl command in the banner, continuation lines joined. */
function curlCommands(banner: string): string[] {
  const commands: string[] = [];
  const lines = banner.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (!lines[i]!.trim().startsWith('curl ')) continue;
    let command = lines[i]!.trim();
    while (command.endsWith('\\') && i + 1 < lines.length) command = `${command.slice(0, -1)} ${lines[++i]!.trim()}`;
    commands.push(command);
  }
  return commands;
}

async function run(command: string) {
  const curl = parseCurl(command);
  const response = await fetch(curl.url, { method: curl.method, headers: curl.headers, ...(curl.body ? { body: curl.body } : {}) });
  const text = await response.text();
  return { status: response.status, headers: response.headers, text };
}

describe('demo: npm start without a config', () => {
  let dir: string;
  let child: ChildProcess;
  let banner = '';

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'portcullis-demo-'));
    child = spawn(process.execPath, [CLI, 'start'], {
      cwd: dir,
      env: { ...process.env, PORTCULLIS_LISTEN_PORT: '0', PORTCULLIS_ADMIN_PORT: '0', PORTCULLIS_LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk));
    // Every log line the demo writes joins the run's end-of-suite search for credentials.
    followLogs(child.stdout);
    followLogs(child.stderr);
    // The banner is on stderr, the log lines on stdout.
    await new Promise<void>((resolvePromise, reject) => {
      child.stderr!.on('data', (chunk: Buffer) => {
        banner += chunk;
        if (banner.includes('Metrics: ')) resolvePromise();
      });
      child.once('exit', (code) => reject(new Error(`the CLI exited (${code}) before printing the banner:\n${banner}\n${stdout}`)));
    });
  });

  after(async () => {
    if (child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('prints curl lines for the demo API and the admin API', () => {
    const commands = curlCommands(banner);
    assert.ok(commands.length >= 6, banner);
    assert.match(banner, /PORTCULLIS_DEMO_KEY=pcl_[0-9A-Za-z]{36}/);
  });

  it('each pasted line behaves as the banner says, revocation included', async () => {
    const commands = curlCommands(banner);
    const createConsumer = commands.find((c) => c.includes('/admin/v1/consumers'))!;
    assert.equal((await run(createConsumer)).status, 201);

    const [bearer, apiKey] = commands.filter((c) => c.includes('/echo/hello') && !c.includes('-si'));
    for (const command of [bearer!, apiKey!]) {
      const response = await run(command);
      assert.equal(response.status, 200, command);
      const echo = JSON.parse(response.text);
      assert.equal(echo.identity.consumerName, 'demo');
      assert.equal(echo.identity.credentialType, 'api-key');
      assert.deepEqual(echo.identity.metadata, { accountId: 'acct_demo', plan: 'free' });
      assert.equal(echo.headers.authorization, undefined);
      assert.equal(echo.headers['x-api-key'], undefined);
    }

    // The demo API's OpenAPI operations and the paths it does not list (passed through) take the key too.
    const gateway = new URL(parseCurl(apiKey!).url).origin;
    const demoKey = parseCurl(apiKey!).headers['X-API-Key']!;
    const created = await fetch(`${gateway}/echo/items`, {
      method: 'POST',
      headers: { 'x-api-key': demoKey, 'content-type': 'application/json' },
      body: '{"name":"a"}',
    });
    assert.equal(created.status, 200);
    assert.deepEqual(((await created.json()) as { bodyBytes: number }).bodyBytes, 12);
    assert.equal((await fetch(`${gateway}/echo/not/in/the/document`, { headers: { 'x-api-key': demoKey } })).status, 200);
    assert.equal((await fetch(`${gateway}/echo/items/item_42`)).status, 401);

    const [withoutKey, afterRevoke] = commands.filter((c) => c.includes('/echo/hello') && c.includes('-si'));
    const denied = await run(withoutKey!);
    assert.equal(denied.status, 401);
    assert.match(denied.headers.get('www-authenticate')!, /^Bearer realm="portcullis"/);
    assert.equal(JSON.parse(denied.text).code, 'CREDENTIAL_MISSING');

    const revoke = commands.find((c) => c.includes('/revoke'))!;
    assert.equal((await run(revoke)).status, 200);
    const started = Date.now();
    const revoked = await run(afterRevoke!);
    assert.equal(revoked.status, 401);
    assert.ok(Date.now() - started < 1000);
    assert.match(revoked.headers.get('www-authenticate')!, /error="invalid_token"/);
    assert.equal(JSON.parse(revoked.text).reason, 'REVOKED');
  });

  it('prints a one-time operator sign-in link and a member invitation that work when opened, on stderr only', async () => {
    const signIn = banner.match(/\/portal\/sign-in-link#token=([A-Za-z0-9_-]{43})/);
    const invitation = banner.match(/\/portal\/accept#token=([A-Za-z0-9_-]{43})/);
    assert.ok(signIn && invitation, banner);
    noteSecret(signIn[1], invitation[1]);
    // The page POSTs the fragment's token to the portal API, from its own origin.
    const origin = new URL(
      curlCommands(banner)
        .find((c) => c.includes('/echo/hello'))!
        .split(' ')
        .find((w) => w.startsWith('http'))!,
    ).origin;
    const post = (path: string, body: unknown) =>
      fetch(`${origin}/portal/api/v1/${path}`, { method: 'POST', headers: { 'content-type': 'application/json', origin }, body: JSON.stringify(body) });
    const operator = await post('sign-in-link', { token: signIn[1] });
    assert.equal(operator.status, 200);
    assert.equal(((await operator.json()) as { user: { role: string } }).user.role, 'operator');
    // The demo API has an OpenAPI document (a file beside the demo database), so the reference page has one to render.
    const cookie = operator.headers.get('set-cookie')!.split(';')[0]!;
    const apis = await (await fetch(`${origin}/portal/api/v1/apis`, { headers: { cookie } })).json();
    assert.deepEqual(apis, [{ name: 'echo', basePath: '/echo', auth: ['api-key', 'jwt'], scopes: ['echo:read'], hasOpenApi: true }]);
    const reference = await fetch(`${origin}/portal/api/v1/apis/echo/openapi.json`, { headers: { cookie } });
    assert.equal(reference.status, 200);
    const document = (await reference.json()) as { openapi: string; servers: { url: string }[]; paths: object; components: { securitySchemes: any } };
    assert.equal(document.openapi, '3.1.0');
    assert.deepEqual(
      document.servers.map((s) => s.url),
      [origin],
    );
    assert.deepEqual(Object.keys(document.paths), ['/echo/hello', '/echo/items', '/echo/items/{itemId}']);
    assert.equal(document.components.securitySchemes.apiKey.name, 'X-API-Key');
    assert.equal(document.components.securitySchemes.oauth.flows.clientCredentials.tokenUrl, `${origin}/oauth/token`);
    assert.ok(existsSync(join(dir, '.portcullis', 'echo.openapi.yaml')));
    assert.match(operator.headers.get('set-cookie')!, /^portcullis_session=[A-Za-z0-9_-]{43}; Max-Age=\d+; Path=\/; HttpOnly; SameSite=Lax$/);
    const accepted = await post('invitations/accept', { token: invitation[1], password: 'a demo member password' });
    assert.equal(accepted.status, 200);
    assert.equal(((await accepted.json()) as { membership: { consumerName: string } }).membership.consumerName, 'demo');
  });
});
