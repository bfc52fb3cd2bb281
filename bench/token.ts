// OAuth benchmarks, bounded in time, 127.0.0.1 only:
// 1. Token endpoint: Portcullis' POST /oauth/token (client_secret_basic, ES256, on the real public
//    listener) against oidc-provider configured the same way (client credentials, JWT access tokens,
//    ES256, in-memory) and a floor (bare node:http answering with one ES256 signature and nothing
//    else), each in its own process, driven in turn by autocannon. Goal ≥ 3× oidc-provider.
// 2. In process: signing an access token with node:crypto key objects on libuv's thread pool, on the
//    event loop, and with jose's SignJWT (the choice behind src/oauth/signing-keys/sign.ts), 16 in
//    flight; verifying a cached JWT (goal ≥ 300k/s) next to a cached API key, and an uncached JWT
//    (signature check) for scale.
// 3. Gateway: cached JWT auth against API-key auth through the same listener and upstream (goal ≥ 0.95×).
//   npm run bench -- token   (or: node dist/bench/token.js [--duration 5] [--rounds 3] [--connections 32] [--token-only])

import { type ChildProcess, spawn } from 'node:child_process';
import { generateKeyPairSync, sign } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { SignJWT } from 'jose';
import { pino } from 'pino';
import { type App, createApp } from '../src/app.js';
import { threadPoolSize } from '../src/cli/thread-pool.cjs';
import { validateConfig } from '../src/config/load.js';
import { buildGateway } from '../src/gateway/start.js';
import { createLogger } from '../src/logger.js';
import { generateMasterKey } from '../src/oauth/master-key.js';
import { registerOAuthRoutes } from '../src/oauth/routes.js';
import { createCompactSigner } from '../src/oauth/signing-keys/sign.js';
import { applyProcessWideSettings } from '../src/server/start.js';
import { announced, option } from './lib/child.js';
import { cpuMs } from './lib/cpu.js';
import { median } from './lib/median.js';
import { concurrentRate, ratePerSecond } from './lib/rate.js';

const self = fileURLToPath(import.meta.url);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 2);
const AUDIENCE = 'https://api.example.com';
const FORM = 'grant_type=client_credentials&scope=orders%3Aread';
const actor = { id: 'bench', sourceIp: null };

function announce(value: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}

// The logger `portcullis start` uses (pino's synchronous destination), pointed at /dev/null.
const quietLogger = () => createLogger('info', pino.destination({ dest: '/dev/null', sync: true }));

async function portcullisApp(dir: string, extra: Record<string, unknown> = {}): Promise<App> {
  const config = validateConfig(
    { store: `sqlite:${join(dir, 'bench.db')}`, issuer: 'http://127.0.0.1:9', log: { level: 'silent' }, oauth: { masterKey: generateMasterKey() }, ...extra },
    'bench',
  );
  // As `portcullis start` sets its process up.
  applyProcessWideSettings();
  return createApp({ config, logger: quietLogger() });
}

// ---- child processes -------------------------------------------------------------------------

/** Portcullis' public listener with the OAuth routes, as `portcullis start` builds it. */
async function portcullisTokenServer(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-bench-'));
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  const app = await portcullisApp(dir);
  const consumer = await app.consumers.create({ name: 'bench', scopes: ['orders:read'] }, actor);
  const { client, secret } = await app.oauth.clients.create(consumer.id, { audiences: [AUDIENCE] }, actor);
  const gateway = await buildGateway({ app, baseDir: dir, register: (server) => registerOAuthRoutes(server, { oauth: app.oauth }) });
  await gateway.fastify.listen({ host: '127.0.0.1', port: 0 });
  announce({ port: (gateway.server.address() as AddressInfo).port, path: '/oauth/token', clientId: client.id, secret: secret!.secret });
}

/**
 * The floor: bare node:http that reads the form and answers with a freshly signed ES256 JWT (signed
 * as Portcullis signs, on the thread pool) — no client authentication, no parsing of the form, no
 * checks, no log. No token endpoint can cost less on this stack; it shows how much of a token's cost
 * is HTTP, the kernel and the signature.
 */
async function floorServer(): Promise<void> {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const sign = createCompactSigner('ES256', privateKey, { typ: 'at+jwt', kid: 'k1' });
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', async () => {
      const iat = Math.floor(Date.now() / 1000);
      const body = JSON.stringify({
        access_token: await sign({
          iss: 'http://127.0.0.1:9',
          sub: 'cli_x',
          client_id: 'cli_x',
          aud: AUDIENCE,
          scope: 'orders:read',
          iat,
          exp: iat + 3600,
          jti: String(iat),
        }),
        token_type: 'Bearer',
        expires_in: 3600,
        scope: 'orders:read',
      });
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  announce({ port: (server.address() as AddressInfo).port, path: '/token', clientId: 'cli_x', secret: 'unused' });
}

/** oidc-provider: client credentials, JWT access tokens signed ES256, the in-memory adapter. */
async function oidcProviderServer(): Promise<void> {
  // oidc-provider ships no types; it is a devDependency used only here.
  const specifier = 'oidc-provider';
  const { default: Provider } = (await import(specifier)) as {
    default: new (issuer: string, configuration: unknown) => { callback(): (...args: any[]) => void };
  };
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const secret = 'bench-secret-bench-secret-bench-secret-0123';
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const provider = new Provider(`http://127.0.0.1:${port}`, {
    jwks: { keys: [{ ...(privateKey.export({ format: 'jwk' }) as object), kid: 'k1', alg: 'ES256', use: 'sig' } as never] },
    clients: [
      {
        client_id: 'bench',
        client_secret: secret,
        grant_types: ['client_credentials'],
        redirect_uris: [],
        response_types: [],
        token_endpoint_auth_method: 'client_secret_basic',
        id_token_signed_response_alg: 'ES256',
        scope: 'orders:read',
      },
    ],
    scopes: ['orders:read'],
    ttl: { ClientCredentials: 3600 },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => AUDIENCE,
        useGrantedResource: () => true,
        getResourceServerInfo: () => ({ scope: 'orders:read', audience: AUDIENCE, accessTokenFormat: 'jwt', jwt: { sign: { alg: 'ES256' } } }),
      },
    },
  });
  server.on('request', provider.callback());
  server.keepAliveTimeout = 60_000;
  announce({ port, path: '/token', clientId: 'bench', secret });
}

/** An upstream and the public listener with one API accepting API keys and JWTs; a key and a token for it. */
async function gatewayServer(): Promise<void> {
  const body = JSON.stringify({ id: 'ord_123', status: 'shipped' });
  const upstream = createServer((req, res) => {
    req.resume();
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
  });
  upstream.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  const target = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-bench-'));
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  const app = await portcullisApp(dir, {
    apis: [{ name: 'orders', basePath: '/orders', upstream: target, auth: ['api-key', 'jwt'], scopes: ['orders:read'], audience: AUDIENCE }],
  });
  const consumer = await app.consumers.create({ name: 'bench', scopes: ['orders:read'], metadata: { plan: 'pro', accountId: 'acct_42' } }, actor);
  const { key } = await app.keys.create(consumer.id, {}, actor);
  const { client } = await app.oauth.clients.create(consumer.id, { audiences: [AUDIENCE] }, actor);
  const { token } = await app.oauth.issueAccessToken({
    clientId: client.id,
    audiences: [AUDIENCE],
    scopes: ['orders:read'],
    ttlSeconds: 3600,
    issuedAtMs: Date.now(),
  });
  const gateway = await buildGateway({ app, baseDir: dir });
  await gateway.fastify.listen({ host: '127.0.0.1', port: 0 });
  announce({ port: (gateway.server.address() as AddressInfo).port, path: '/orders/123', key, token });
}

/** Rates on one core, each for SECONDS. */
async function inProcess(): Promise<void> {
  const rate = (work: (i: number) => unknown, batch = 1000) => ratePerSecond(work, SECONDS, batch);

  const results: Record<string, number> = {};
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const claims = {
    iss: 'https://auth.example.com',
    sub: 'cli_x',
    client_id: 'cli_x',
    aud: AUDIENCE,
    scope: 'orders:read',
    iat: 1_800_000_000,
    exp: 1_800_003_600,
    jti: 'x',
  };
  // Signing, 16 tokens in flight as on a busy token endpoint: tokens/s and the event loop's CPU per token.
  const signCompact = createCompactSigner('ES256', privateKey, { typ: 'at+jwt', kid: 'k1' });
  const header = Buffer.from(JSON.stringify({ alg: 'ES256', typ: 'at+jwt', kid: 'k1' })).toString('base64url');
  const signOnLoop = async () => {
    const input = `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
    return `${input}.${sign('sha256', Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`;
  };
  const signing = {
    threadPool: await concurrentRate(() => signCompact(claims), SECONDS),
    eventLoop: await concurrentRate(signOnLoop, SECONDS),
    jose: await concurrentRate(() => new SignJWT(claims).setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: 'k1' }).sign(privateKey), SECONDS),
  };
  for (const [name, figure] of Object.entries(signing)) {
    results[`sign_${name}`] = figure.rate;
    results[`sign_${name}_loopMicros`] = figure.loopMicros;
  }

  const dir = mkdtempSync(join(tmpdir(), 'portcullis-bench-'));
  try {
    const app = await portcullisApp(dir);
    const consumer = await app.consumers.create({ name: 'bench', scopes: ['orders:read'], metadata: { plan: 'pro' } }, actor);
    const { client } = await app.oauth.clients.create(consumer.id, { audiences: [AUDIENCE] }, actor);
    const tokens: string[] = [];
    for (let i = 0; i < 1000; i++) {
      tokens.push(
        (await app.oauth.issueAccessToken({ clientId: client.id, audiences: [AUDIENCE], scopes: ['orders:read'], ttlSeconds: 3600, issuedAtMs: Date.now() }))
          .token,
      );
    }
    const keys: string[] = [];
    for (let i = 0; i < 1000; i++) keys.push((await app.keys.create(consumer.id, {}, actor)).key);
    const jwt = app.authMethods.get('jwt')!;
    const apiKey = app.authMethods.get('api-key')!;
    const requirements = { scopes: ['orders:read'], audience: AUDIENCE };
    for (const t of tokens) if (!(await jwt.authenticate(t, requirements)).ok) throw new Error('a bench token was refused');
    results.verifyCachedJwt = await rate((i) => jwt.authenticate(tokens[i % 1000]!, requirements));
    results.verifyCachedApiKey = await rate((i) => apiKey.authenticate(keys[i % 1000]!, requirements));
    await app.close();
    // The same store with the verified-token cache off: every call checks the signature.
    const uncached = await portcullisApp(dir, { oauth: { masterKey: app.config.oauth.masterKey, tokenCacheMaxEntries: 0 } });
    const jwtUncached = uncached.authMethods.get('jwt')!;
    results.verifyUncachedJwt = await rate((i) => jwtUncached.authenticate(tokens[i % 1000]!, requirements), 100);
    await uncached.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  announce(results);
}

// ---- the driver ------------------------------------------------------------------------------

interface Started {
  child: ChildProcess;
  info: { port: number; path: string; clientId?: string; secret?: string; key?: string; token?: string; [k: string]: unknown };
}

function start(mode: string): Promise<Started> {
  // BENCH_CPU_PROF=<dir>: Portcullis' token server writes a --cpu-prof profile there when it exits.
  const profile = process.env.BENCH_CPU_PROF && mode === 'portcullis' ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];
  // Portcullis (and the floor, which signs as Portcullis does) runs with the thread pool the
  // `portcullis` command sets up; oidc-provider with Node's default, as its users run it.
  const env =
    mode === 'oidc-provider' ? process.env : { ...process.env, UV_THREADPOOL_SIZE: threadPoolSize(availableParallelism(), process.env.UV_THREADPOOL_SIZE) };
  const child = spawn(process.execPath, [...profile, self, mode], { stdio: ['ignore', 'pipe', 'ignore'], env });
  return announced(child, mode);
}

interface Figure {
  rate: number;
  cpuPerRequest: number;
  p50: number;
  p99: number;
}

async function drive(
  target: Started,
  request: { method: 'GET' | 'POST'; headers: Record<string, string>; body?: string },
  seconds: number,
  connections: number,
): Promise<Figure> {
  const before = cpuMs(target.child.pid!);
  const result = await autocannon({
    url: `http://127.0.0.1:${target.info.port}${target.info.path}`,
    method: request.method,
    headers: request.headers,
    ...(request.body ? { body: request.body } : {}),
    connections,
    duration: seconds,
  });
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`${result.non2xx} non-2xx, ${result.errors} errors from port ${target.info.port}`);
  return {
    rate: result.requests.average,
    cpuPerRequest: result.requests.total > 0 ? ((cpuMs(target.child.pid!) - before) * 1000) / result.requests.total : 0,
    p50: result.latency.p50,
    p99: result.latency.p99,
  };
}

async function compare(
  title: string,
  targets: Array<{ name: string; started: Started; request: { method: 'GET' | 'POST'; headers: Record<string, string>; body?: string } }>,
  rounds: number,
  duration: number,
  connections: number,
): Promise<Map<string, Figure>> {
  for (const t of targets) await drive(t.started, t.request, 2, connections); // warm-up
  const figures = new Map<string, Figure[]>();
  for (let round = 0; round < rounds; round++) {
    for (const t of targets) figures.set(t.name, [...(figures.get(t.name) ?? []), await drive(t.started, t.request, duration, connections)]);
  }
  const medians = new Map<string, Figure>();
  console.log(`\n${title}\n\n| target | req/s | p50 ms | p99 ms | CPU µs/req (server process) |\n|---|---|---|---|---|`);
  for (const t of targets) {
    const list = figures.get(t.name)!;
    const m: Figure = {
      rate: median(list.map((f) => f.rate)),
      cpuPerRequest: median(list.map((f) => f.cpuPerRequest)),
      p50: median(list.map((f) => f.p50)),
      p99: median(list.map((f) => f.p99)),
    };
    medians.set(t.name, m);
    console.log(`| ${t.name} | ${Math.round(m.rate).toLocaleString('en-US')} | ${m.p50.toFixed(1)} | ${m.p99.toFixed(1)} | ${m.cpuPerRequest.toFixed(0)} |`);
  }
  return medians;
}

async function main(): Promise<void> {
  const duration = option('duration', 5);
  const rounds = option('rounds', 3);
  const connections = option('connections', 32);
  console.log(
    `token bench: ${cpus().length} cores, Node ${process.version}, ${rounds} interleaved round(s) of ${duration}s (medians), ${connections} connections, 127.0.0.1; ` +
      `Portcullis' thread pool: ${threadPoolSize(availableParallelism(), process.env.UV_THREADPOOL_SIZE)}, oidc-provider's: ${process.env.UV_THREADPOOL_SIZE ?? '4 (default)'}`,
  );

  const basic = (s: Started) => `Basic ${Buffer.from(`${s.info.clientId}:${s.info.secret}`).toString('base64')}`;
  const tokenRequest = (s: Started) => ({
    method: 'POST' as const,
    headers: { authorization: basic(s), 'content-type': 'application/x-www-form-urlencoded' },
    body: FORM,
  });
  const children: Started[] = [];
  try {
    const ours = await start('portcullis');
    children.push(ours);
    const theirs = await start('oidc-provider');
    children.push(theirs);
    const floor = await start('floor');
    children.push(floor);
    const token = await compare(
      'Token endpoint, client_secret_basic, ES256 JWT access tokens',
      [
        { name: 'Portcullis POST /oauth/token', started: ours, request: tokenRequest(ours) },
        { name: 'oidc-provider POST /token', started: theirs, request: tokenRequest(theirs) },
        { name: 'floor: bare node:http + one ES256 signature', started: floor, request: tokenRequest(floor) },
      ],
      rounds,
      duration,
      connections,
    );
    for (const c of children.splice(0)) c.child.kill();
    const ratio = token.get('Portcullis POST /oauth/token')!.rate / token.get('oidc-provider POST /token')!.rate;
    console.log(`\nPortcullis / oidc-provider: ${ratio.toFixed(2)}× (goal ≥ 3×)`);
    const floorFigure = token.get('floor: bare node:http + one ES256 signature')!;
    const oidcFigure = token.get('oidc-provider POST /token')!;
    console.log(
      `floor / oidc-provider: ${(floorFigure.rate / oidcFigure.rate).toFixed(2)}× by req/s, ${(oidcFigure.cpuPerRequest / floorFigure.cpuPerRequest).toFixed(2)}× by CPU per token (the most any token endpoint on this stack could reach)`,
    );
    if (process.argv.includes('--token-only')) return;

    const gw = await start('gateway');
    children.push(gw);
    const gateway = await compare(
      'Gateway GET /orders/123 through the same listener and upstream',
      [
        { name: 'API-key auth (cached)', started: gw, request: { method: 'GET', headers: { authorization: `Bearer ${gw.info.key}` } } },
        { name: 'JWT auth (cached)', started: gw, request: { method: 'GET', headers: { authorization: `Bearer ${gw.info.token}` } } },
      ],
      rounds,
      duration,
      connections,
    );
    for (const c of children.splice(0)) c.child.kill();
    const gatewayRatio = gateway.get('JWT auth (cached)')!.rate / gateway.get('API-key auth (cached)')!.rate;
    console.log(`\nJWT / API key through the gateway: ${gatewayRatio.toFixed(3)} (goal ≥ 0.95)`);

    const local = await start('in-process');
    children.push(local);
    const r = local.info as unknown as Record<string, number>;
    const fmt = (n: number) => `${Math.round(n).toLocaleString('en-US')}/s`;
    console.log(`\nIn process, ${SECONDS}s per figure (verification on one core)\n\n| figure | rate |\n|---|---|`);
    const signRow = (label: string, name: string) =>
      `| ${label} | ${fmt(r[`sign_${name}`]!)}, event loop ${r[`sign_${name}_loopMicros`]!.toFixed(1)} µs a token |`;
    const pool = threadPoolSize(availableParallelism(), process.env.UV_THREADPOOL_SIZE);
    console.log(signRow(`sign an access token, node:crypto KeyObject on the thread pool (${pool} thread(s); ES256, 16 in flight)`, 'threadPool'));
    console.log(signRow('sign an access token, node:crypto KeyObject on the event loop (ES256)', 'eventLoop'));
    console.log(signRow('sign an access token, jose SignJWT (ES256, 16 in flight)', 'jose'));
    console.log(`| verify a cached JWT (jwt auth method, scope + audience) | ${fmt(r.verifyCachedJwt!)} |`);
    console.log(`| verify a cached API key (api-key auth method, same checks) | ${fmt(r.verifyCachedApiKey!)} |`);
    console.log(`| verify an uncached JWT (jose signature check + claims) | ${fmt(r.verifyUncachedJwt!)} |`);
    console.log(
      `\nsigning, event loop µs a token: thread pool ${r.sign_threadPool_loopMicros!.toFixed(1)}, on the loop ${r.sign_eventLoop_loopMicros!.toFixed(1)}, jose ${r.sign_jose_loopMicros!.toFixed(1)}; ` +
        `cached JWT: ${(r.verifyCachedJwt! / 300_000).toFixed(2)}× the goal (300k/s)`,
    );
    console.log(`BENCH_JSON ${JSON.stringify({ bench: 'token', tokenEndpointRatio: ratio, gatewayRatio, inProcess: r })}`);
  } finally {
    for (const c of children) c.child.kill();
  }
}

const [mode] = process.argv.slice(2);
if (mode) process.once('SIGTERM', () => process.exit(0));
if (mode === 'portcullis') await portcullisTokenServer();
else if (mode === 'oidc-provider') await oidcProviderServer();
else if (mode === 'floor') await floorServer();
else if (mode === 'gateway') await gatewayServer();
else if (mode === 'in-process') {
  await inProcess();
  process.exit(0);
} else await main();
