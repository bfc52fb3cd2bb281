// Options several commands share, declared once (connection, --json, limits, paging), and the
// parsers that turn option text into admin API values; a bad value is a CliError naming the option.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { type Command, Option } from 'commander';
import { CliError } from './context.js';
import type { ConnectionOptions } from './transport.js';

/** Options every admin command takes. */
export interface Common extends ConnectionOptions {
  json?: boolean;
}

/** `--rate-limit` and `--quota`, as typed. */
export interface LimitOptions {
  rateLimit?: string;
  quota?: string;
}

/** `--allowed-ips` of a key, client or consumer, as typed. */
export interface AllowedIpsOptions {
  allowedIps?: string;
}

/** `--cursor` and `--limit` of a list. */
export interface PageOptions {
  cursor?: string;
  limit: string;
}

export const configOption = () => new Option('--config <file>', 'config file (default ./portcullis.yaml)');
export const jsonOption = () => new Option('--json', 'print JSON');

/**
 * Where an admin command acts: the configured store, or a running admin API. The environment
 * variables are read from the run's environment (transport.ts `connect`), so they are named here
 * for --help only.
 */
export function withConnection(command: Command): Command {
  return command
    .addOption(configOption())
    .addOption(jsonOption())
    .addOption(new Option('--url <url>', 'admin API of a running Portcullis (env: PORTCULLIS_URL)'))
    .addOption(new Option('--admin-key <key>', 'admin key for --url (env: PORTCULLIS_ADMIN_KEY)'));
}

export function withLimits(command: Command): Command {
  return command
    .option('--rate-limit <limit/window>', 'e.g. 100/1m; none clears')
    .option('--quota <limit/period>', 'e.g. 1000/month (day, month, total); none clears');
}

/** `--allowed-ips` of a key, an OAuth client or a consumer; `allowedIps` turns it into the field. */
export function withAllowedIps(command: Command): Command {
  return command.option('--allowed-ips <list>', 'comma-separated addresses and CIDR blocks it may be used from, e.g. 203.0.113.0/24,2001:db8::/32; none = any');
}

/** The `allowedIps` field: a list, [] for `none`, undefined when not given. */
export function allowedIps(o: AllowedIpsOptions): string[] | undefined {
  if (o.allowedIps === undefined) return undefined;
  return o.allowedIps.trim() === 'none' ? [] : list(o.allowedIps);
}

/** A consumer's `--max-key-lifetime`, `--warn-before-expiry`, `--disable-unused-after`, `--no-key-policy`, as typed. */
export interface KeyPolicyOptions {
  maxKeyLifetime?: string;
  warnBeforeExpiry?: string;
  disableUnusedAfter?: string;
  keyPolicy?: boolean;
}

/** A consumer's key hygiene options (docs/lifecycle.md); `keyPolicy` turns them into the field. */
export function withKeyPolicy(command: Command): Command {
  return command
    .option('--max-key-lifetime <duration>', 'longest its keys may live, e.g. 90d (0s = no maximum); overrides hygiene.maxKeyLifetime')
    .option('--warn-before-expiry <duration>', 'key.expiring this long before a key expires, e.g. 7d (0s = off)')
    .option('--disable-unused-after <duration>', 'disable keys unused this long, e.g. 180d (0s = off)')
    .option('--no-key-policy', 'drop the consumer’s key policy (the global hygiene settings apply)');
}

/** The `keyPolicy` field: the options given (they replace the consumer's policy), null for --no-key-policy. */
export function keyPolicy(o: KeyPolicyOptions): Record<string, string> | null | undefined {
  if (o.keyPolicy === false) return null;
  const policy = clean({ maxKeyLifetime: o.maxKeyLifetime, warnBeforeExpiry: o.warnBeforeExpiry, disableUnusedAfter: o.disableUnusedAfter });
  for (const [field, value] of Object.entries(policy)) {
    if (!/^[0-9]{1,9}(ms|s|m|h|d)$/.test(value)) {
      const name = field.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
      throw new CliError(`--${name} takes a duration such as 90d, 12h or 0s, not ${JSON.stringify(value)}`);
    }
  }
  return Object.keys(policy).length === 0 ? undefined : policy;
}

/** `--name` and `--scopes` of a new credential (an API key or an OAuth client). */
export function withCredentialNameAndScopes(command: Command): Command {
  return command.option('--name <name>').option('--scopes <list>', 'comma-separated; a subset of the consumer’s (default: all of them)');
}

/** `--enable` and `--disable` of an update; `enabledOf` turns them into the `enabled` field. */
export function withEnabling(command: Command): Command {
  return command.option('--enable').option('--disable');
}

export function enabledOf(o: { enable?: boolean; disable?: boolean }): boolean | undefined {
  return o.enable ? true : o.disable ? false : undefined;
}

export function withPaging(command: Command): Command {
  return command.option('--cursor <cursor>').option('--limit <n>', 'page size', '50');
}

export const expiresAtOption = () => new Option('--expires-at <time>', 'ISO 8601 time with a zone (2030-01-31T12:00:00Z) or a date (2030-01-31, UTC)');

/** The query of a list page. */
export function pageQuery(o: PageOptions): URLSearchParams {
  return new URLSearchParams(o.cursor === undefined ? { limit: o.limit } : { cursor: o.cursor, limit: o.limit });
}

export function parseJsonOption(name: string, value: string | undefined): unknown {
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

/** The body fields of `--rate-limit` and `--quota`. */
export function limits(o: LimitOptions) {
  return { rateLimit: parseRateLimit(o.rateLimit), quota: parseQuota(o.quota) };
}

/**
 * `--expires-at`, `--from`, `--to`: an RFC 3339 time (ISO 8601 with a zone), or a date meaning its
 * start in UTC; sent on as RFC 3339, the form the admin API takes.
 */
export function parseTimeOption(name: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const time = /^[0-9]{4}-[0-9]{2}-[0-9]{2}$/.test(value) ? `${value}T00:00:00Z` : value;
  const wellFormed = /^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?(Z|[+-][0-9]{2}:[0-9]{2})$/i.test(time);
  const parsed = new Date(time);
  if (!wellFormed || Number.isNaN(parsed.getTime()) || !isCalendarDay(time.slice(0, 10))) {
    throw new CliError(
      `--${name} takes an ISO 8601 time with a zone, e.g. 2030-01-31T12:00:00Z, or a date, 2030-01-31 (its start in UTC); not ${JSON.stringify(value)}`,
    );
  }
  return parsed.toISOString();
}

/** `Date` rolls 2030-02-30 over to March 2; the day written must be one the calendar has. */
function isCalendarDay(date: string): boolean {
  const [year, month, day] = date.split('-').map(Number);
  return new Date(Date.UTC(year!, month! - 1, day!)).toISOString().startsWith(date);
}

/** A comma-separated list option. */
export const list = (value: string | undefined) =>
  value === undefined
    ? undefined
    : value
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);

export function wholeSeconds(name: string, value: string): number {
  const seconds = Number(value);
  if (!Number.isInteger(seconds) || seconds < 0) throw new CliError(`--${name} takes a whole number of seconds`);
  return seconds;
}

/** `--jwks '{"keys":[…]}'` or `--jwks @keys.json` (relative to the run's folder). */
export function readJwksOption(value: string | undefined, cwd: string): unknown {
  if (value === undefined) return undefined;
  if (value.startsWith('@')) {
    try {
      return JSON.parse(readFileSync(resolve(cwd, value.slice(1)), 'utf8'));
    } catch (error) {
      throw new CliError(`--jwks ${value}: ${(error as Error).message}`);
    }
  }
  return parseJsonOption('jwks', value);
}

/** The fields that were given: undefined ones are not sent. */
export function clean<T extends Record<string, unknown>>(object: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(object).filter(([, v]) => v !== undefined)) as { [K in keyof T]?: Exclude<T[K], undefined> };
}
