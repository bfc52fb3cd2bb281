// Library mode's verifiers: in-process against the store the gateway uses (API keys, and tokens —
// ours and trusted issuers' — with the gateway's own token checks), or remote against a running
// Portcullis' `POST /admin/v1/keys/verify` with a local cache (API keys). Both end as an auth-method
// registry, so the middlewares run exactly the gateway's authentication.
import { LRUCache } from 'lru-cache';
import { AdminApiError, createAdminClient } from '../admin-client/client.js';
import { type AuthMethodRegistry, createAuthMethodRegistry } from '../auth/registry.js';
import type { AuthMethod, AuthMethodName } from '../auth/types.js';
import { ConfigError, validateConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { createApiKeyAuthMethod } from '../keys/auth-method.js';
import { createKeyCache } from '../keys/cache.js';
import { createForeignKeyPresence } from '../keys/foreign.js';
import { hashKey, isWellFormedKey } from '../keys/format.js';
import { createLastUsedTracker } from '../keys/last-used.js';
import { createKeyVerifier } from '../keys/verify.js';
import type { VerifyOptions, VerifyResult } from '../keys/verify-result.js';
import { type Clock, systemClock } from '../lib/clock.js';
import { parseDuration } from '../lib/duration.js';
import { bothAllowlists, compileAllowlist } from '../lib/ip-allowlist.js';
import type { TrustedIssuerConfig } from '../oauth/config-schema.js';
import { checkOAuthSettings, type OAuthSettings, resolveOAuthSettings } from '../oauth/settings.js';
import type { Store } from '../store/types.js';

export interface VerifierCacheOptions {
  /** Verified keys kept in memory; 0 turns the cache off. */
  maxEntries?: number;
  /** How long a verification is trusted: a revocation takes up to this long to reach this process. */
  ttl?: string | number;
  /** How long an unknown or refused key is remembered. */
  negativeTtl?: string | number;
}

interface Common {
  /** Key prefix of the deployment (default `pcl`). */
  prefix?: string;
  cache?: VerifierCacheOptions;
  clock?: Clock;
  /** More methods (e.g. the jwt method from src/oauth) next to the API-key one. */
  methods?: readonly AuthMethod[];
}

export interface InProcessVerifierOptions extends Common {
  /** `sqlite:PATH`, `postgres://…`, or an open Store (then the caller closes it). */
  store: string | Store;
  /** For tokens: Portcullis' `issuer`, their `iss` (default as the gateway's: `http://127.0.0.1:8080`). */
  issuer?: string;
  /** For tokens: external IdPs whose tokens are accepted, as `trustedIssuers` in portcullis.yaml. */
  trustedIssuers?: TrustedIssuerOptions[];
}

/** One entry of portcullis.yaml's `trustedIssuers`; fields left out take the config's defaults. */
export type TrustedIssuerOptions = Pick<TrustedIssuerConfig, 'issuer' | 'jwksUri' | 'audience' | 'algorithms'> &
  Partial<Omit<TrustedIssuerConfig, 'issuer' | 'jwksUri' | 'audience' | 'algorithms'>>;

export interface RemoteVerifierOptions extends Common {
  /** Base URL of the admin listener, e.g. `http://127.0.0.1:8081`. */
  url: string;
  /** An admin key (scope `portcullis:admin`). */
  adminKey: string;
  /** Per verify call (default 2s). */
  timeout?: string | number;
}

export interface PortcullisVerifier {
  readonly authMethods: AuthMethodRegistry;
  close(): Promise<void>;
}

const DEFAULT_CACHE = { maxEntries: 10_000, ttl: '10s', negativeTtl: '2s' } as const;

function registryOf(apiKey: AuthMethod, extra: readonly AuthMethod[] = []): AuthMethodRegistry {
  return createAuthMethodRegistry([apiKey, ...extra]);
}

/** The config the gateway would run with for these options: the same defaults and field checks. */
function configOf(options: InProcessVerifierOptions): { config: Config; settings: OAuthSettings } {
  const raw = {
    ...(typeof options.store === 'string' ? { store: options.store } : {}),
    ...(options.issuer !== undefined ? { issuer: options.issuer } : {}),
    trustedIssuers: options.trustedIssuers ?? [],
    keys: {
      ...(options.prefix !== undefined ? { prefix: options.prefix } : {}),
      // Clients and consumers behind tokens are trusted as long as verified keys.
      cache: { ttl: options.cache?.ttl ?? DEFAULT_CACHE.ttl, negativeTtl: options.cache?.negativeTtl ?? DEFAULT_CACHE.negativeTtl },
    },
  };
  try {
    const config = validateConfig(raw, 'the library options');
    const settings = resolveOAuthSettings(config);
    const problems = checkOAuthSettings(settings, config.trustedIssuers);
    if (problems.length > 0) throw new ConfigError(`invalid configuration in the library options:\n  ${problems.join('\n  ')}`);
    return { config, settings };
  } catch (error) {
    if (error instanceof ConfigError) throw new TypeError(error.message);
    throw error;
  }
}

/** A value made on first use; when making it fails, the next caller tries again. */
function onFirstUse<T>(make: () => Promise<T>): { readonly current: T | undefined; get(): Promise<T>; readonly pending: Promise<T> | undefined } {
  let current: T | undefined;
  let pending: Promise<T> | undefined;
  return {
    get current() {
      return current;
    },
    get pending() {
      return pending;
    },
    get() {
      pending ??= make().then(
        (value) => (current = value),
        (error: unknown) => {
          pending = undefined;
          throw error;
        },
      );
      return pending;
    },
  };
}

/** A method whose implementation is built on its first request (a failure there answers 503, as a store fault). */
function deferredMethod(name: AuthMethodName, made: { readonly current: AuthMethod | undefined; get(): Promise<AuthMethod> }): AuthMethod {
  return {
    name,
    authenticate(credential, requirements) {
      const method = made.current;
      if (method) return method.authenticate(credential, requirements);
      return made.get().then((m) => m.authenticate(credential, requirements));
    },
  };
}

/**
 * The store, its adapter and the token checks are loaded on the first request (dynamic imports), so
 * the package's entry points load no database driver until a verifier needs one.
 */
export function createInProcessVerifier(options: InProcessVerifierOptions): PortcullisVerifier {
  const clock = options.clock ?? systemClock;
  const { config, settings } = configOf(options);
  const ownsStore = typeof options.store === 'string';

  const opened = onFirstUse(async () => {
    const store = typeof options.store === 'string' ? (await import('../store/open.js')).openStore(options.store) : options.store;
    const cache = createKeyCache({
      maxEntries: options.cache?.maxEntries ?? DEFAULT_CACHE.maxEntries,
      ttlMs: parseDuration(options.cache?.ttl ?? DEFAULT_CACHE.ttl),
      negativeTtlMs: parseDuration(options.cache?.negativeTtl ?? DEFAULT_CACHE.negativeTtl),
      now: () => clock.now(),
    });
    const lastUsed = createLastUsedTracker(store, () => undefined);
    lastUsed.start(10_000);
    // Whether keys imported in another system's format exist is read once, when the store opens.
    const foreignKeys = createForeignKeyPresence(store);
    await foreignKeys.refresh();
    const verifyKey = createKeyVerifier({ store, cache, clock, prefix: config.keys.prefix, onValid: (id, at) => lastUsed.touch(id, at), foreignKeys });
    return { store, lastUsed, apiKey: createApiKeyAuthMethod({ verifyKey }) };
  });
  const apiKey = onFirstUse(async () => (await opened.get()).apiKey);

  let revocationSync: NodeJS.Timeout | undefined;
  let syncing: Promise<void> | undefined;
  const tokens = onFirstUse(async () => {
    const { store } = await opened.get();
    const { createTokenVerification, SYNC_OVERLAP_MS } = await import('../oauth/token-verification.js');
    const verification = await createTokenVerification({ config, settings, store, clock, masterKey: undefined });
    // Token revocations made later (admin API, /oauth/revoke, another node) are read as the gateway reads them.
    let readUntil = clock.now();
    revocationSync = setInterval(() => {
      if (syncing) return;
      const until = clock.now();
      syncing = verification
        .readRevocations(readUntil - SYNC_OVERLAP_MS, until)
        .then(
          () => {
            readUntil = until;
          },
          () => undefined,
        )
        .finally(() => {
          syncing = undefined;
        });
    }, settings.syncIntervalMs);
    revocationSync.unref();
    return verification.jwtAuthMethod;
  });

  const extra = options.methods ?? [];
  const own = extra.some((m) => m.name === 'jwt') ? [] : [deferredMethod('jwt', tokens)];
  return {
    authMethods: registryOf(deferredMethod('api-key', apiKey), [...own, ...extra]),
    async close() {
      const state = await opened.pending?.catch(() => undefined);
      await tokens.pending?.catch(() => undefined);
      clearInterval(revocationSync);
      await syncing;
      if (!state) return;
      await state.lastUsed.stop();
      if (ownsStore) await state.store.close();
    },
  };
}

/** Remote answers, cached by the key's SHA-256 (the plaintext is never a map key). */
export function createRemoteVerifier(options: RemoteVerifierOptions): PortcullisVerifier {
  const clock = options.clock ?? systemClock;
  const prefix = options.prefix ?? 'pcl';
  const admin = createAdminClient({ url: options.url, adminKey: options.adminKey });
  const timeoutMs = parseDuration(options.timeout ?? '2s');
  const ttl = parseDuration(options.cache?.ttl ?? DEFAULT_CACHE.ttl);
  const negativeTtl = parseDuration(options.cache?.negativeTtl ?? DEFAULT_CACHE.negativeTtl);
  const maxEntries = options.cache?.maxEntries ?? DEFAULT_CACHE.maxEntries;
  const cache =
    maxEntries > 0 ? new LRUCache<string, VerifyResult>({ max: maxEntries, ttl: Math.max(1, ttl), ttlResolution: 0, perf: { now: () => clock.now() } }) : null;

  async function fetchResult(key: string): Promise<VerifyResult> {
    let body: Awaited<ReturnType<typeof admin.verifyKey>>;
    try {
      body = await admin.verifyKey({ key }, { signal: AbortSignal.timeout(timeoutMs) });
    } catch (error) {
      if (!(error instanceof AdminApiError)) throw error;
      const hint = error.status === 401 || error.status === 403 ? ' (check the admin key)' : '';
      throw Object.assign(new Error(`Portcullis verify answered ${error.status}${hint}`), { code: 'PORTCULLIS_REMOTE' });
    }
    const expiresAt = typeof body.expiresAt === 'string' ? Date.parse(body.expiresAt) : (body.expiresAt ?? null);
    const result: VerifyResult = { ...(body as unknown as VerifyResult), expiresAt };
    // The key's and its consumer's IP allowlists, compiled once per cached answer, checked per request.
    if (body.allowedIps) result.allowlist = bothAllowlists(compileAllowlist(body.allowedIps.key), compileAllowlist(body.allowedIps.consumer));
    return result;
  }

  async function verifyKey(key: string, verifyOptions: VerifyOptions = {}): Promise<VerifyResult> {
    if (!isWellFormedKey(key, prefix)) return { valid: false, code: 'MALFORMED' };
    const hash = hashKey(key);
    let result = cache?.get(hash);
    if (!result) {
      result = await fetchResult(key);
      cache?.set(hash, result, { ttl: result.valid ? ttl : negativeTtl });
    }
    if (!result.valid) return result;
    if (typeof result.expiresAt === 'number' && result.expiresAt <= clock.now()) return { ...result, valid: false, code: 'EXPIRED' };
    const required = verifyOptions.scopes ?? [];
    const granted = new Set(result.scopes ?? []);
    const missing = required.filter((s) => !granted.has(s));
    if (missing.length > 0) return { ...result, valid: false, code: 'INSUFFICIENT_SCOPE', missingScopes: missing };
    return result;
  }

  return {
    authMethods: registryOf(createApiKeyAuthMethod({ verifyKey }), options.methods),
    async close() {
      cache?.clear();
    },
  };
}
