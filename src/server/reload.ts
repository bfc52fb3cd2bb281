// A config reload (SIGHUP, `portcullis reload`, POST /admin/v1/reload): the config file is read and
// checked whole, then its APIs, OpenAPI documents, trusted issuers and log level replace the running
// ones, each by swapping one reference, so requests under way finish on what they started with. A
// file that does not load changes nothing. Fields only a restart applies are named in the answer.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import type { ReloadOutcome } from '../admin/reload-schemas.js';
import type { App } from '../app.js';
import type { Actor } from '../audit/log.js';
import { ConfigError, type LoadedConfig } from '../config/load.js';
import type { ApiConfig, Config } from '../config/schema.js';
import { PortcullisError } from '../errors/codes.js';
import { configDir } from '../gateway/compile-apis.js';
import type { GatewayHandler } from '../gateway/handler.js';
import { compileGatewayApis } from '../gateway/start.js';
import type { JsonObject } from '../lib/json.js';
import { OpenApiError } from '../lib/openapi.js';
import { checkOAuthSettings } from '../oauth/settings.js';

export type { ReloadOutcome } from '../admin/reload-schemas.js';

/** Who a reload by SIGHUP (to a single process, or forwarded by a supervisor) is recorded as in the audit log. */
const SIGHUP_ACTOR: Actor = { id: 'signal:SIGHUP', sourceIp: null };

/**
 * A reload asked for by SIGHUP, where no one waits for its answer: a refusal is logged and audited by
 * the reload itself; anything else that fails is logged here.
 */
export function reloadBySignal(running: { app: App; reload(options?: ReloadOptions): Promise<ReloadOutcome> }, audit = true): void {
  running.reload({ actor: SIGHUP_ACTOR, audit }).catch((error: Error) => {
    if (!(error instanceof PortcullisError)) running.app.log.error({ err: { message: error.message } }, 'config reload failed');
  });
}

export interface ReloadOptions {
  /** Who asked (recorded in the audit event); the system by default. */
  actor?: Actor;
  /** Record a `config.reloaded` audit event (default true): a supervisor reloading several workers has one of them record it. */
  audit?: boolean;
}

export interface ReloaderDeps {
  app: App;
  /** The config the node started with (before a `listen.port: 0` was bound). */
  loaded: LoadedConfig;
  /** Reads the config file again, as the start read it (same path, environment, working directory). */
  readConfig: () => LoadedConfig;
  gateway: GatewayHandler;
  /** Told of the APIs in use after a reload (the portal's list of APIs). */
  onApis: (apis: readonly ApiConfig[]) => void;
}

/** Top-level fields a reload applies; every other field changed in the file waits for a restart. */
const RELOADED = new Set(['apis', 'trustedIssuers', 'log.level']);

/** Config fields whose value must not be echoed in an error (a key, a URL with a password). */
const SECRET_FIELD = /masterKey|secret|password|pass\b|store|redis|smtp|url/i;

/** A ConfigError's message without the values of secret-bearing fields (`(got "…")`). */
export function withoutSecretValues(message: string): string {
  return message
    .split('\n')
    .map((line) => {
      const got = line.lastIndexOf(' (got ');
      const colon = line.indexOf(': ');
      return got !== -1 && colon !== -1 && SECRET_FIELD.test(line.slice(0, colon)) ? `${line.slice(0, got)} (got a value not shown)` : line;
    })
    .join('\n');
}

/** Dotted paths of the leaves that differ between two configs, arrays compared whole. */
export function changedFields(before: unknown, after: unknown, path = ''): string[] {
  const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (isObject(before) && isObject(after)) {
    const names = [...new Set([...Object.keys(before), ...Object.keys(after)])];
    return names.flatMap((name) => changedFields(before[name], after[name], path ? `${path}.${name}` : name));
  }
  return JSON.stringify(before) === JSON.stringify(after) ? [] : [path];
}

/** Entries added, removed and changed by name, against the fingerprints of the running ones. */
function changesByName<T>(before: ReadonlyMap<string, string>, after: readonly T[], nameOf: (entry: T) => string, fingerprints: ReadonlyMap<string, string>) {
  const next = new Set(after.map(nameOf));
  const names = after.map(nameOf);
  return {
    added: names.filter((name) => !before.has(name)),
    removed: [...before.keys()].filter((name) => !next.has(name)),
    changed: names.filter((name) => before.has(name) && before.get(name) !== fingerprints.get(name)),
  };
}

/** An API's definition and its OpenAPI document's bytes: a document edited in place is a changed API. */
function apiFingerprint(api: ApiConfig, baseDir: string): string {
  const hash = createHash('sha256').update(JSON.stringify(api));
  if (api.openapi !== undefined) {
    try {
      hash.update(readFileSync(isAbsolute(api.openapi) ? api.openapi : resolve(baseDir, api.openapi)));
    } catch {
      hash.update('unreadable');
    }
  }
  return hash.digest('base64url');
}

function refused(error: unknown): PortcullisError {
  const message = error instanceof Error ? error.message : String(error);
  // A YAML error quotes the lines around it, which may hold a secret: its first line has the position.
  const shown = message.includes('is not valid YAML') ? message.split('\n')[0]! : message;
  return new PortcullisError('CONFIG_INVALID', withoutSecretValues(shown));
}

const apiFingerprints = (apis: readonly ApiConfig[], baseDir: string) => new Map(apis.map((api) => [api.name, apiFingerprint(api, baseDir)]));
const issuerFingerprints = (issuers: Config['trustedIssuers']) => new Map(issuers.map((issuer) => [issuer.issuer, JSON.stringify(issuer)]));

export function createReloader({ app, loaded, readConfig, gateway, onApis }: ReloaderDeps) {
  const log = app.logs.child({ component: 'reload' });
  // What this node runs now: the boot config with each reload's reloadable parts, and the
  // fingerprints of its APIs (documents included, read at start) and trusted issuers.
  let running: Config = loaded.config;
  let runningApis = apiFingerprints(loaded.config.apis, configDir(loaded.path));
  let runningIssuers = issuerFingerprints(loaded.config.trustedIssuers);
  let reloading = false;

  async function record(actor: Actor, action: 'config.reloaded' | 'config.reload_failed', details: JsonObject): Promise<void> {
    // The reload stands (or was refused) whatever the audit write does; a store outage is logged.
    await app.audit
      .record(app.store, actor, action, { type: 'config', id: loaded.path ?? '' }, details)
      .catch((error: Error) => log.warn({ err: { message: error.message }, action }, 'could not record the reload in the audit log'));
  }

  function read(): { next: LoadedConfig; compiled: ReturnType<typeof compileGatewayApis> } {
    let next: LoadedConfig;
    try {
      next = readConfig();
    } catch (error) {
      if (error instanceof ConfigError) throw refused(error);
      throw error;
    }
    if (next.path === null) throw new PortcullisError('CONFIG_INVALID', `the config file ${loaded.path} is gone; the running config stays`);
    try {
      const compiled = compileGatewayApis(app, next.config.apis, configDir(next.path), log);
      const problems = checkOAuthSettings(app.oauth.settings, next.config.trustedIssuers);
      if (problems.length > 0) throw new ConfigError(`invalid configuration:\n  ${problems.join('\n  ')}`);
      return { next, compiled };
    } catch (error) {
      if (error instanceof ConfigError || error instanceof OpenApiError) throw refused(error);
      throw error;
    }
  }

  async function reload({ actor = { id: 'system', sourceIp: null }, audit = true }: ReloadOptions = {}): Promise<ReloadOutcome> {
    if (loaded.demo || loaded.path === null) {
      throw new PortcullisError('RELOAD_UNAVAILABLE', 'this node runs the demo, without a config file: there is nothing to reload');
    }
    if (reloading) throw new PortcullisError('RELOAD_IN_PROGRESS', 'another reload of this node is running; try again');
    reloading = true;
    try {
      let checked: ReturnType<typeof read>;
      try {
        checked = read();
      } catch (error) {
        if (error instanceof PortcullisError) {
          log.warn({ actor: actor.id, reason: error.detail }, 'config reload refused; the running config stays');
          if (audit) await record(actor, 'config.reload_failed', { code: error.code });
        }
        throw error;
      }
      const { next, compiled } = checked;
      const nextApis = apiFingerprints(next.config.apis, configDir(next.path));
      const nextIssuers = issuerFingerprints(next.config.trustedIssuers);
      const outcome: ReloadOutcome = {
        config: loaded.path,
        apis: changesByName(runningApis, next.config.apis, (api) => api.name, nextApis),
        trustedIssuers: changesByName(runningIssuers, next.config.trustedIssuers, (issuer) => issuer.issuer, nextIssuers),
        logLevel: { from: app.logs.level, to: next.config.log.level },
        restartRequired: changedFields(running, next.config).filter((field) => !RELOADED.has(field) && !RELOADED.has(field.split('.')[0]!)),
      };

      // Everything is checked: from here on nothing fails, and each swap is one reference.
      gateway.replaceApis(compiled);
      app.oauth.replaceTrustedIssuers(next.config.trustedIssuers);
      app.logs.set(next.config.log.level);
      onApis(next.config.apis);
      running = { ...running, apis: next.config.apis, trustedIssuers: next.config.trustedIssuers, log: { ...running.log, level: next.config.log.level } };
      runningApis = nextApis;
      runningIssuers = nextIssuers;

      const { config: _path, ...changes } = outcome;
      if (outcome.restartRequired.length > 0) {
        log.warn({ restartRequired: outcome.restartRequired }, 'config reloaded; these fields changed but only a restart applies them');
      }
      log.info({ actor: actor.id, ...changes }, 'config reloaded');
      if (audit) await record(actor, 'config.reloaded', changes);
      return outcome;
    } finally {
      reloading = false;
    }
  }

  return { reload };
}

export type Reloader = ReturnType<typeof createReloader>;
