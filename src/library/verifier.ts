// Library mode's verifiers: in-process against the store the gateway uses, or remote against a
// running Portcullis' `POST /admin/v1/keys/verify` with a local cache. Both end as an auth-method
// registry, so the middlewares run exactly the gateway's authentication.
import { LRUCache } from 'lru-cache';
import type { AuthMethod } from '../auth/types.js';
import { createApiKeyAuthMethod } from '../gateway/auth/api-key.js';
import { createAuthMethodRegistry, type AuthMethodRegistry } from '../gateway/auth/registry.js';
import { createKeyCache } from '../keys/cache.js';
import { hashKey, isWellFormedKey } from '../keys/format.js';
import { createLastUsedTracker } from '../keys/last-used.js';
import { createKeyVerifier, type VerifyOptions, type VerifyResult } from '../keys/verify.js';
import { systemClock, type Clock } from '../lib/clock.js';
import { parseDuration } from '../lib/duration.js';
import { openStore } from '../store/open.js';
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
}

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

export function createInProcessVerifier(options: InProcessVerifierOptions): PortcullisVerifier {
  const clock = options.clock ?? systemClock;
  const ownsStore = typeof options.store === 'string';
  const store = typeof options.store === 'string' ? openStore(options.store) : options.store;
  const cache = createKeyCache({
    maxEntries: options.cache?.maxEntries ?? DEFAULT_CACHE.maxEntries,
    ttlMs: parseDuration(options.cache?.ttl ?? DEFAULT_CACHE.ttl),
    negativeTtlMs: parseDuration(options.cache?.negativeTtl ?? DEFAULT_CACHE.negativeTtl),
    now: () => clock.now(),
  });
  const lastUsed = createLastUsedTracker(store, () => undefined);
  lastUsed.start(10_000);
  const verifyKey = createKeyVerifier({ store, cache, clock, prefix: options.prefix ?? 'pcl', onValid: (id, at) => lastUsed.touch(id, at) });
  return {
    authMethods: registryOf(createApiKeyAuthMethod({ verifyKey }), options.methods),
    async close() {
      await lastUsed.stop();
      if (ownsStore) await store.close();
    },
  };
}

/** Remote answers, cached by the key's SHA-256 (the plaintext is never a map key). */
export function createRemoteVerifier(options: RemoteVerifierOptions): PortcullisVerifier {
  const clock = options.clock ?? systemClock;
  const prefix = options.prefix ?? 'pcl';
  const endpoint = `${options.url.replace(/\/+$/, '')}/admin/v1/keys/verify`;
  const timeoutMs = parseDuration(options.timeout ?? '2s');
  const ttl = parseDuration(options.cache?.ttl ?? DEFAULT_CACHE.ttl);
  const negativeTtl = parseDuration(options.cache?.negativeTtl ?? DEFAULT_CACHE.negativeTtl);
  const maxEntries = options.cache?.maxEntries ?? DEFAULT_CACHE.maxEntries;
  const cache = maxEntries > 0 ? new LRUCache<string, VerifyResult>({ max: maxEntries, ttl: Math.max(1, ttl), ttlResolution: 0, perf: { now: () => clock.now() } }) : null;

  async function fetchResult(key: string): Promise<VerifyResult> {
    const response = await fetch(endpoint, {
      method: 'POST',
      headers: { authorization: `Bearer ${options.adminKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ key }),
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (response.status !== 200) {
      await response.body?.cancel();
      throw Object.assign(new Error(`Portcullis verify answered ${response.status}${response.status === 401 || response.status === 403 ? ' (check the admin key)' : ''}`), { code: 'PORTCULLIS_REMOTE' });
    }
    const body = (await response.json()) as VerifyResult & { expiresAt?: string | null };
    const expiresAt = typeof body.expiresAt === 'string' ? Date.parse(body.expiresAt) : (body.expiresAt ?? null);
    return { ...body, expiresAt };
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
