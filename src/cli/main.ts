#!/usr/bin/env node
// The `portcullis` command line: start the server, manage consumers and keys on the configured store
// or against a running admin API (--url, --admin-key).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Command, Option } from 'commander';
import { ConfigError, loadConfig } from '../config/load.js';
import { sampleConfig } from '../config/sample.js';
import { createTokenClient, TokenRequestError, type ClientAuthMethod } from '../client/index.js';
import { parseDuration } from '../lib/duration.js';
import { generateMasterKey } from '../oauth/master-key.js';
import { resolveIssuer } from '../oauth/settings.js';
import { startPortcullis } from '../server/start.js';
import { openStore } from '../store/open.js';
import { printJson, printRecord, printTable } from './output.js';
import { announceStore, CliError, connect, localTransport, type AdminTransport, type ConnectionOptions, type LocalAccess } from './transport.js';
import { packageVersion } from './version.js';

interface Common extends ConnectionOptions {
  json?: boolean;
}

const CONSUMER_COLUMNS = ['id', 'name', 'enabled', 'scopes', 'externalIds', 'createdAt'];
const KEY_COLUMNS = ['id', 'name', 'masked', 'scopes', 'enabled', 'expiresAt', 'revokedAt', 'lastUsedAt'];
const CLIENT_COLUMNS = ['clientId', 'name', 'authMethods', 'scopes', 'audiences', 'tokenTtlSeconds', 'enabled', 'tokensRevokedBefore'];
const SIGNING_KEY_COLUMNS = ['kid', 'alg', 'state', 'activatesAt', 'retiresAt', 'removeAfter'];

function withConnection(command: Command): Command {
  return command
    .option('--config <file>', 'config file (default ./portcullis.yaml)')
    .option('--json', 'print JSON')
    .addOption(new Option('--url <url>', 'admin API of a running Portcullis').env('PORTCULLIS_URL'))
    .addOption(new Option('--admin-key <key>', 'admin key for --url').env('PORTCULLIS_ADMIN_KEY'));
}

function parseJsonOption(name: string, value: string | undefined): unknown {
  if (value === undefined) return undefined;
  try {
    return JSON.parse(value);
  } catch {
    throw new CliError(`--${name} must be JSON, e.g. --${name} '{"plan":"pro"}'`);
  }
}

/** `100/1m` → `{ limit: 100, window: "1m" }`; `none` clears. */
function parseRateLimit(value: string | undefined): { limit: number; window: string } | null | undefined {
  if (value === undefined) return undefined;
  if (value === 'none') return null;
  const match = /^([0-9]+)\/([0-9]+(?:ms|s|m|h|d))$/.exec(value);
  if (!match) throw new CliError(`--rate-limit takes LIMIT/WINDOW, e.g. 100/1m or 10/1s (or none), not ${JSON.stringify(value)}`);
  return { limit: Number(match[1]), window: match[2]! };
}

/** `1000/month` → `{ limit: 1000, period: "month" }`; `none` clears. */
function parseQuota(value: string | undefined): { limit: number; period: string } | null | undefined {
  if (value === undefined) return undefined;
  if (value === 'none') return null;
  const match = /^([0-9]+)\/(day|month|total)$/.exec(value);
  if (!match) throw new CliError(`--quota takes LIMIT/PERIOD with PERIOD day, month or total, e.g. 1000/month (or none), not ${JSON.stringify(value)}`);
  return { limit: Number(match[1]), period: match[2]! };
}

/**
 * `--expires-at`, `--from`, `--to`: an RFC 3339 time (ISO 8601 with a zone), or a date meaning its
 * start in UTC; sent on as RFC 3339, the form the admin API takes.
 */
function parseTimeOption(name: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const time = /^[0-9]{4}-[0-9]{2}-[0-9]{2}$/.test(value) ? `${value}T00:00:00Z` : value;
  const wellFormed = /^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?(Z|[+-][0-9]{2}:[0-9]{2})$/i.test(time);
  const parsed = new Date(time);
  if (!wellFormed || Number.isNaN(parsed.getTime()) || !isCalendarDay(time.slice(0, 10))) {
    throw new CliError(`--${name} takes an ISO 8601 time with a zone, e.g. 2030-01-31T12:00:00Z, or a date, 2030-01-31 (its start in UTC); not ${JSON.stringify(value)}`);
  }
  return parsed.toISOString();
}

/** `Date` rolls 2030-02-30 over to March 2; the day written must be one the calendar has. */
function isCalendarDay(date: string): boolean {
  const [year, month, day] = date.split('-').map(Number);
  return new Date(Date.UTC(year!, month! - 1, day!)).toISOString().startsWith(date);
}

const list = (value: string | undefined) => (value === undefined ? undefined : value.split(',').map((s) => s.trim()).filter(Boolean));

/** `--auth-method`: one method pins the client; both secret methods (as `clients list` prints them) unpin it. */
function authMethodOption(value: string | undefined): string | null | undefined {
  const methods = list(value);
  if (methods === undefined || methods.length === 1) return methods?.[0];
  if (methods.length === 2 && methods.includes('client_secret_basic') && methods.includes('client_secret_post')) return null;
  throw new CliError('--auth-method takes one method, or client_secret_basic,client_secret_post for both');
}

function clean<T extends Record<string, unknown>>(object: T): Partial<T> {
  return Object.fromEntries(Object.entries(object).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Requests that only read (verifying a key changes nothing a user would see). */
const readsOnly = (method: string, path: string) => method === 'GET' || path === '/admin/v1/keys/verify';

/** Sends one admin request and prints the result; a problem response becomes a CliError. */
async function call(options: Common, method: string, path: string, body?: unknown, local: Pick<LocalAccess, 'asStart'> = {}): Promise<any> {
  let transport: AdminTransport | undefined;
  try {
    transport = await connect(options, { ...local, access: readsOnly(method, path) ? 'read' : 'write' });
    const response = await transport.request(method, path, body);
    if (response.status >= 400) {
      const p = response.body ?? {};
      const hint = response.status === 401 ? ' (check --admin-key / PORTCULLIS_ADMIN_KEY)' : '';
      throw new CliError(`${p.detail ?? p.title ?? `HTTP ${response.status}`} [${p.code ?? response.status}]${hint}`);
    }
    return response.body;
  } finally {
    await transport?.close();
  }
}

function show(options: Common, value: any, columns?: string[]): void {
  if (options.json) return printJson(value);
  if (value && Array.isArray(value.items)) {
    printTable(value.items, columns ?? Object.keys(value.items[0] ?? {}));
    if (value.nextCursor) process.stdout.write(`\nmore: --cursor ${value.nextCursor}\n`);
    return;
  }
  if (value && typeof value === 'object') return printRecord(value);
  process.stdout.write('done\n');
}

function printIssued(options: Common, issued: any): void {
  if (options.json) return printJson(issued);
  const { key, oldKey, ...rest } = issued;
  printRecord(rest);
  if (oldKey) process.stdout.write(`\nold key ${oldKey.id} expires at ${oldKey.expiresAt}\n`);
  process.stdout.write(`\nKey (shown once, store it now):\n\n  ${key}\n\n`);
}

function wholeSeconds(name: string, value: string): number {
  const seconds = Number(value);
  if (!Number.isInteger(seconds) || seconds < 0) throw new CliError(`--${name} takes a whole number of seconds`);
  return seconds;
}

/** `--jwks '{"keys":[…]}'` or `--jwks @keys.json`. */
function readJwksOption(value: string | undefined): unknown {
  if (value === undefined) return undefined;
  if (value.startsWith('@')) {
    try {
      return JSON.parse(readFileSync(value.slice(1), 'utf8'));
    } catch (error) {
      throw new CliError(`--jwks ${value}: ${(error as Error).message}`);
    }
  }
  return parseJsonOption('jwks', value);
}

function printClient(options: Common, issued: any): void {
  if (options.json) return printJson(issued);
  const { clientSecret, secrets, jwks, authMethod, ...rest } = issued;
  printRecord(rest);
  if (clientSecret) process.stdout.write(`\nClient secret (shown once, store it now):\n\n  ${clientSecret}\n\n`);
}

/**
 * Signing keys need the master key: remotely the server has it; locally the app is built as
 * `portcullis start` would build it (in the demo, with the demo key file).
 */
const signingKeysCall = (options: Common, method: string, path: string, body?: unknown): Promise<any> => call(options, method, path, body, { asStart: true });

const enc = encodeURIComponent;

export function buildProgram(): Command {
  const program = new Command('portcullis')
    .description('API gateway for machine-to-machine APIs: API keys and OAuth client-credentials JWTs')
    .version(packageVersion())
    .showHelpAfterError();

  program
    .command('start')
    .description('start Portcullis (no config file: a demo on SQLite under ./.portcullis/)')
    .option('--config <file>', 'config file (default ./portcullis.yaml)')
    .action(async (options: { config?: string }) => {
      const loaded = loadConfig({ path: options.config });
      if (!loaded.demo && !loaded.config.oauth.masterKey) {
        throw new ConfigError(
          'oauth.masterKey is required: it encrypts the token signing keys. Set it in the config or PORTCULLIS_OAUTH_MASTER_KEY; ' +
            "`npx portcullis init` writes a config with a fresh one (or: openssl rand -base64 32 | tr '+/' '-_' | tr -d '=').",
        );
      }
      const running = await startPortcullis({ loaded });
      const stop = () => {
        void running.close().then(() => process.exit(0));
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });

  program
    .command('init')
    .description('write a commented portcullis.yaml')
    .option('--path <file>', 'where to write it', 'portcullis.yaml')
    .option('--force', 'overwrite an existing file')
    .action((options: { path: string; force?: boolean }) => {
      const path = resolve(options.path);
      if (existsSync(path) && !options.force) throw new CliError(`${path} exists; pass --force to overwrite it`);
      writeFileSync(path, sampleConfig(generateMasterKey()), { mode: 0o600 });
      process.stdout.write(`wrote ${path}\nnext: npx portcullis start --config ${options.path}\n`);
    });

  program
    .command('migrate')
    .description('apply pending database migrations')
    .option('--config <file>', 'config file (default ./portcullis.yaml)')
    .option('--json', 'print JSON')
    .action(async (options: { config?: string; json?: boolean }) => {
      const { config } = loadConfig({ path: options.config });
      await announceStore(config, 'write');
      const store = openStore(config.store, { timeoutMs: parseDuration(config.storeTimeout) });
      try {
        const applied = await store.migrate();
        if (options.json) printJson({ applied });
        else process.stdout.write(applied.length ? `applied: ${applied.join(', ')}\n` : 'the schema is up to date\n');
      } finally {
        await store.close();
      }
    });

  const admin = program.command('admin').description('operator tasks');
  admin
    .command('create-key')
    .description('create an admin key (scope portcullis:admin) on the configured store')
    .option('--name <name>', 'a name for the key', 'admin key')
    .option('--config <file>', 'config file (default ./portcullis.yaml)')
    .option('--json', 'print JSON')
    .action(async (options: { name: string; config?: string; json?: boolean }) => {
      const transport = await localTransport(options.config, { access: 'write' });
      try {
        const issued = await transport.app!.createAdminKey(options.name, { id: 'cli:local', sourceIp: null });
        const { keyView } = await import('../admin/views.js');
        printIssued(options, { ...keyView(issued.record), key: issued.key });
      } finally {
        await transport.close();
      }
    });

  const consumers = program.command('consumers').description('manage consumers');
  withConnection(consumers.command('create'))
    .description('create a consumer')
    .requiredOption('--name <name>', 'unique name')
    .option('--metadata <json>', 'JSON object passed to upstreams')
    .option('--scopes <list>', 'comma-separated allowed scopes')
    .option('--external-ids <list>', 'comma-separated external IdP subjects')
    .option('--rate-limit <limit/window>', 'e.g. 100/1m; none clears')
    .option('--quota <limit/period>', 'e.g. 1000/month (day, month, total); none clears')
    .option('--disabled', 'create disabled')
    .action(async (o) =>
      show(
        o,
        await call(o, 'POST', '/admin/v1/consumers', clean({
          name: o.name,
          metadata: parseJsonOption('metadata', o.metadata),
          scopes: list(o.scopes),
          externalIds: list(o.externalIds),
          rateLimit: parseRateLimit(o.rateLimit),
          quota: parseQuota(o.quota),
          enabled: o.disabled ? false : undefined,
        })),
      ),
    );
  withConnection(consumers.command('list'))
    .description('list consumers')
    .option('--cursor <cursor>')
    .option('--limit <n>', 'page size', '50')
    .action(async (o) => {
      const query = new URLSearchParams(clean({ cursor: o.cursor, limit: o.limit }) as Record<string, string>);
      show(o, await call(o, 'GET', `/admin/v1/consumers?${query}`), CONSUMER_COLUMNS);
    });
  withConnection(consumers.command('get'))
    .description('show one consumer')
    .argument('<id>')
    .action(async (id: string, o) => show(o, await call(o, 'GET', `/admin/v1/consumers/${enc(id)}`)));
  withConnection(consumers.command('update'))
    .description('change a consumer')
    .argument('<id>')
    .option('--name <name>')
    .option('--metadata <json>')
    .option('--scopes <list>')
    .option('--external-ids <list>')
    .option('--rate-limit <limit/window>', 'e.g. 100/1m; none clears')
    .option('--quota <limit/period>', 'e.g. 1000/month (day, month, total); none clears')
    .option('--enable')
    .option('--disable')
    .action(async (id: string, o) =>
      show(
        o,
        await call(o, 'PATCH', `/admin/v1/consumers/${enc(id)}`, clean({
          name: o.name,
          metadata: parseJsonOption('metadata', o.metadata),
          scopes: list(o.scopes),
          externalIds: list(o.externalIds),
          rateLimit: parseRateLimit(o.rateLimit),
          quota: parseQuota(o.quota),
          enabled: o.enable ? true : o.disable ? false : undefined,
        })),
      ),
    );
  withConnection(consumers.command('delete'))
    .description('delete a consumer and all its keys')
    .argument('<id>')
    .action(async (id: string, o) => {
      await call(o, 'DELETE', `/admin/v1/consumers/${enc(id)}`);
      if (o.json) printJson({ deleted: id });
      else process.stdout.write(`deleted ${id}\n`);
    });

  const keys = program.command('keys').description('manage API keys');
  withConnection(keys.command('create'))
    .description('create an API key for a consumer (the key is shown once)')
    .argument('<consumerId>')
    .option('--name <name>')
    .option('--scopes <list>', 'comma-separated; a subset of the consumer’s (default: all of them)')
    .option('--metadata <json>')
    .option('--expires-at <time>', 'ISO 8601 time with a zone (2030-01-31T12:00:00Z) or a date (2030-01-31, UTC)')
    .option('--rate-limit <limit/window>', 'e.g. 100/1m; none clears')
    .option('--quota <limit/period>', 'e.g. 1000/month (day, month, total); none clears')
    .action(async (consumerId: string, o) =>
      printIssued(
        o,
        await call(o, 'POST', `/admin/v1/consumers/${enc(consumerId)}/keys`, clean({
          name: o.name,
          scopes: list(o.scopes),
          metadata: parseJsonOption('metadata', o.metadata),
          expiresAt: parseTimeOption('expires-at', o.expiresAt),
          rateLimit: parseRateLimit(o.rateLimit),
          quota: parseQuota(o.quota),
        })),
      ),
    );
  withConnection(keys.command('list'))
    .description('list a consumer’s keys (masked)')
    .argument('<consumerId>')
    .option('--cursor <cursor>')
    .option('--limit <n>', 'page size', '50')
    .action(async (consumerId: string, o) => {
      const query = new URLSearchParams(clean({ cursor: o.cursor, limit: o.limit }) as Record<string, string>);
      show(o, await call(o, 'GET', `/admin/v1/consumers/${enc(consumerId)}/keys?${query}`), KEY_COLUMNS);
    });
  withConnection(keys.command('get'))
    .description('show one key (masked)')
    .argument('<keyId>')
    .action(async (keyId: string, o) => show(o, await call(o, 'GET', `/admin/v1/keys/${enc(keyId)}`)));
  withConnection(keys.command('update'))
    .description('change a key')
    .argument('<keyId>')
    .option('--name <name>')
    .option('--scopes <list>')
    .option('--metadata <json>')
    .option('--expires-at <time>', 'ISO 8601 time with a zone (2030-01-31T12:00:00Z) or a date (2030-01-31, UTC)')
    .option('--rate-limit <limit/window>', 'e.g. 100/1m; none clears')
    .option('--quota <limit/period>', 'e.g. 1000/month (day, month, total); none clears')
    .option('--no-expiry', 'clear the expiry')
    .option('--enable')
    .option('--disable')
    .action(async (keyId: string, o) =>
      show(
        o,
        await call(o, 'PATCH', `/admin/v1/keys/${enc(keyId)}`, clean({
          name: o.name,
          scopes: list(o.scopes),
          metadata: parseJsonOption('metadata', o.metadata),
          expiresAt: o.expiry === false ? null : parseTimeOption('expires-at', o.expiresAt),
          rateLimit: parseRateLimit(o.rateLimit),
          quota: parseQuota(o.quota),
          enabled: o.enable ? true : o.disable ? false : undefined,
        })),
      ),
    );
  withConnection(keys.command('revoke'))
    .description('revoke a key for good')
    .argument('<keyId>')
    .action(async (keyId: string, o) => show(o, await call(o, 'POST', `/admin/v1/keys/${enc(keyId)}/revoke`)));
  withConnection(keys.command('roll'))
    .description('replace a key; the old one keeps working for --expire-old-in seconds')
    .argument('<keyId>')
    .option('--expire-old-in <seconds>', 'overlap in seconds (0 = the old key stops now)', '0')
    .action(async (keyId: string, o) => {
      const seconds = Number(o.expireOldIn);
      if (!Number.isInteger(seconds) || seconds < 0) throw new CliError('--expire-old-in takes a whole number of seconds, 0 or more');
      printIssued(o, await call(o, 'POST', `/admin/v1/keys/${enc(keyId)}/roll`, { expireOldInSeconds: seconds }));
    });
  withConnection(keys.command('verify'))
    .description('verify a key (prints the result code)')
    .argument('<key>')
    .option('--scopes <list>', 'scopes the key must have')
    .action(async (key: string, o) => {
      const result = await call(o, 'POST', '/admin/v1/keys/verify', clean({ key, scopes: list(o.scopes) }));
      show(o, result);
      if (!result.valid) process.exitCode = 3;
    });

  withConnection(program.command('usage'))
    .description('request counts per time bucket and status class')
    .option('--consumer <id>', 'one consumer')
    .option('--key <id>', 'one API key')
    .option('--client <id>', 'one OAuth client')
    .option('--api <name>', 'one API')
    .option('--from <time>', 'ISO 8601 (default: 24 hours before --to)')
    .option('--to <time>', 'ISO 8601 (default: now)')
    .option('--granularity <g>', 'minute, hour or day', 'hour')
    .action(async (o) => {
      const query = new URLSearchParams(
        clean({
          consumer: o.consumer,
          key: o.key,
          client: o.client,
          api: o.api,
          from: parseTimeOption('from', o.from),
          to: parseTimeOption('to', o.to),
          granularity: o.granularity,
        }) as Record<string, string>,
      );
      const usage = await call(o, 'GET', `/admin/v1/usage?${query}`);
      if (o.json) return printJson(usage);
      const rows = usage.buckets.map((b: { start: string; total: number; counts: Record<string, number> }) => ({ start: b.start, ...b.counts, total: b.total }));
      printTable(rows, ['start', '2xx', '3xx', '4xx', '5xx', 'total']);
      process.stdout.write(`\n${usage.total} requests from ${usage.from} to ${usage.to}\n`);
    });

  const clients = program.command('clients').description('manage OAuth clients (client credentials)');
  const clientBody = (o: Record<string, any>) =>
    clean({
      name: o.name,
      scopes: list(o.scopes),
      audiences: list(o.audiences),
      tokenTtlSeconds: o.tokenTtl === undefined ? undefined : wholeSeconds('token-ttl', o.tokenTtl),
      authMethod: authMethodOption(o.authMethod),
      jwks: readJwksOption(o.jwks),
      enabled: o.enable ? true : o.disable || o.disabled ? false : undefined,
      rateLimit: parseRateLimit(o.rateLimit),
      quota: parseQuota(o.quota),
    });
  withConnection(clients.command('create'))
    .description('create an OAuth client for a consumer (its secret is shown once)')
    .argument('<consumerId>')
    .option('--name <name>')
    .option('--scopes <list>', 'comma-separated; a subset of the consumer’s (default: all of them)')
    .option('--audiences <list>', 'comma-separated aud values the client may request')
    .option('--token-ttl <seconds>', 'token lifetime (default oauth.tokenTtl)')
    .option('--auth-method <method>', 'pin one: client_secret_basic, client_secret_post or private_key_jwt (default: a secret for basic and post)')
    .option('--jwks <json|@file>', 'public keys for private_key_jwt')
    .option('--disabled', 'create disabled')
    .option('--rate-limit <limit/window>', 'e.g. 100/1m; none clears')
    .option('--quota <limit/period>', 'e.g. 1000/month (day, month, total); none clears')
    .action(async (consumerId: string, o) => printClient(o, await call(o, 'POST', `/admin/v1/consumers/${enc(consumerId)}/clients`, clientBody(o))));
  withConnection(clients.command('list'))
    .description('list a consumer’s OAuth clients')
    .argument('<consumerId>')
    .option('--cursor <cursor>')
    .option('--limit <n>', 'page size', '50')
    .action(async (consumerId: string, o) => {
      const query = new URLSearchParams(clean({ cursor: o.cursor, limit: o.limit }) as Record<string, string>);
      show(o, await call(o, 'GET', `/admin/v1/consumers/${enc(consumerId)}/clients?${query}`), CLIENT_COLUMNS);
    });
  withConnection(clients.command('get'))
    .description('show one OAuth client and its masked secrets')
    .argument('<clientId>')
    .action(async (clientId: string, o) => show(o, await call(o, 'GET', `/admin/v1/clients/${enc(clientId)}`)));
  withConnection(clients.command('update'))
    .description('change an OAuth client')
    .argument('<clientId>')
    .option('--name <name>')
    .option('--scopes <list>')
    .option('--audiences <list>')
    .option('--token-ttl <seconds>')
    .option('--auth-method <method>', 'pin one method, or client_secret_basic,client_secret_post for both')
    .option('--jwks <json|@file>')
    .option('--enable')
    .option('--rate-limit <limit/window>', 'e.g. 100/1m; none clears')
    .option('--quota <limit/period>', 'e.g. 1000/month (day, month, total); none clears')
    .option('--disable')
    .action(async (clientId: string, o) => show(o, await call(o, 'PATCH', `/admin/v1/clients/${enc(clientId)}`, clientBody(o))));
  withConnection(clients.command('delete'))
    .description('delete an OAuth client; its tokens stop working')
    .argument('<clientId>')
    .action(async (clientId: string, o) => {
      await call(o, 'DELETE', `/admin/v1/clients/${enc(clientId)}`);
      if (o.json) printJson({ deleted: clientId });
      else process.stdout.write(`deleted ${clientId}\n`);
    });
  withConnection(clients.command('rotate-secret'))
    .description('issue a new client secret; the old one keeps working for --expire-old-in seconds')
    .argument('<clientId>')
    .option('--expire-old-in <seconds>', 'overlap in seconds (0 = the old secret stops now)', '0')
    .action(async (clientId: string, o) => {
      const rotated = await call(o, 'POST', `/admin/v1/clients/${enc(clientId)}/secrets`, { expireOldInSeconds: wholeSeconds('expire-old-in', o.expireOldIn) });
      if (o.json) return printJson(rotated);
      process.stdout.write(`old secrets of ${clientId} expire at ${rotated.oldSecretsExpireAt}\n`);
      process.stdout.write(`\nClient secret (shown once, store it now):\n\n  ${rotated.clientSecret}\n\n`);
    });
  withConnection(clients.command('revoke-tokens'))
    .description('revoke every token the client was issued until now (new tokens work)')
    .argument('<clientId>')
    .action(async (clientId: string, o) => show(o, await call(o, 'POST', `/admin/v1/clients/${enc(clientId)}/revoke-tokens`)));

  const tokens = program.command('tokens').description('access tokens');
  withConnection(tokens.command('revoke'))
    .description('revoke one access token by its jti')
    .argument('<jti>')
    .action(async (jti: string, o) => show(o, await call(o, 'POST', `/admin/v1/tokens/${enc(jti)}/revoke`)));

  const signingKeys = program.command('signing-keys').description('the keys that sign access tokens');
  withConnection(signingKeys.command('list'))
    .description('list signing keys (public data) and their state')
    .action(async (o) => show(o, await signingKeysCall(o, 'GET', '/admin/v1/signing-keys'), SIGNING_KEY_COLUMNS));
  withConnection(signingKeys.command('rotate'))
    .description('add a signing key: published now, signing after one JWKS cache period; the current key retires then')
    .option('--immediate', 'a compromised key: sign with the new key now and drop the old ones (their tokens stop working)')
    .action(async (o) => show(o, await signingKeysCall(o, 'POST', '/admin/v1/signing-keys/rotate', { immediate: o.immediate === true })));

  program
    .command('token')
    .description('fetch an access token as a client (client credentials grant) and print it')
    .requiredOption('--client-id <id>', 'the client_id (cli_…)')
    .addOption(new Option('--client-secret <secret>', 'the client secret').env('PORTCULLIS_CLIENT_SECRET'))
    .option('--issuer <url>', 'the Portcullis issuer / public URL (default: from the config)')
    .option('--token-url <url>', 'the token endpoint (default: <issuer>/oauth/token)')
    .option('--auth-method <method>', 'client_secret_basic or client_secret_post (default: basic, then post if the client is pinned to it)')
    .option('--scope <scopes>', 'space- or comma-separated scopes (default: all the client may have)')
    .option('--audience <aud>', 'the API the token is for')
    .option('--config <file>', 'config file (for the default issuer)')
    .option('--json', 'print the token response as the server sent it')
    .action(async (o) => {
      if (!o.clientSecret) throw new CliError('give --client-secret or set PORTCULLIS_CLIENT_SECRET');
      const named = o.authMethod as ClientAuthMethod | undefined;
      if (named !== undefined && named !== 'client_secret_basic' && named !== 'client_secret_post') {
        throw new CliError('--auth-method takes client_secret_basic or client_secret_post');
      }
      const issuer = o.tokenUrl || o.issuer ? o.issuer : resolveIssuer(loadConfig({ path: o.config }).config);
      const client = createTokenClient({
        ...(o.tokenUrl ? { tokenUrl: o.tokenUrl } : { issuer }),
        clientId: o.clientId,
        clientSecret: o.clientSecret,
        ...(named ? { authMethod: named } : {}),
        ...(o.scope ? { scope: String(o.scope).split(/[ ,]+/).filter(Boolean) } : {}),
        ...(o.audience ? { audience: o.audience } : {}),
      });
      try {
        const token = await client.getAccessToken();
        if (o.json) printJson(token.response);
        else process.stdout.write(`${token.accessToken}\n`);
      } catch (error) {
        if (!(error instanceof TokenRequestError)) throw error;
        const refusal = `the token endpoint refused: ${error.message}${error.status ? ` (HTTP ${error.status})` : ''}`;
        if (error.error !== 'invalid_client') throw new CliError(refusal);
        const other = named === 'client_secret_basic' ? 'client_secret_post' : 'client_secret_basic';
        throw new CliError(
          named === undefined
            ? `${refusal}; neither client_secret_basic nor client_secret_post was accepted: check --client-id and the secret (--client-secret or PORTCULLIS_CLIENT_SECRET); a private_key_jwt client gets tokens from portcullis/client with privateKey`
            : `${refusal}; if the client is pinned to ${other}, pass --auth-method ${other} (or leave --auth-method out to try both); else check --client-id and the secret`,
        );
      }
    });

  return program;
}

export async function main(argv: string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (error) {
    if (error instanceof CliError || error instanceof ConfigError) {
      process.stderr.write(`portcullis: ${error.message}\n`);
    } else if ((error as { code?: string }).code === 'EADDRINUSE') {
      process.stderr.write(`portcullis: ${(error as Error).message}; set another port in the config or PORTCULLIS_*_PORT\n`);
    } else {
      process.stderr.write(`portcullis: ${(error as Error).message ?? error}\n`);
    }
    process.exitCode = 1;
  }
}
