// The keys of one trusted issuer, fetched from its jwksUri: a fetch timeout, a cache max age, at most
// one refetch per cooldown however many unknown kids arrive, and cached keys kept in use while the
// IdP is unreachable. Each issuer has its own source: a kid is never looked up across issuers.
import { createPublicKey, type KeyObject } from 'node:crypto';
import type { KeySet } from '../jwt/verified-token.js';

export type KeyLookup = { status: 'found'; key: KeyObject; until: number } | { status: 'missing' } | { status: 'unavailable' };

export interface JwksSourceOptions {
  uri: string;
  timeoutMs: number;
  cacheMaxAgeMs: number;
  cooldownMs: number;
  now: () => number;
  fetch?: typeof fetch;
  /** Told of a failed fetch (the reason, never a key). */
  onError?: (reason: string) => void;
  maxBytes?: number;
}

interface RemoteKey {
  kid: string | undefined;
  key: KeyObject;
  algs: ReadonlySet<string>;
}

const MAX_KEYS = 100;

/** The algorithms a JWK may verify: its `alg` when it names one, else what its type and curve allow. */
function algorithmsOf(jwk: Record<string, unknown>, key: KeyObject): string[] {
  let byType: string[] = [];
  if (jwk.kty === 'EC') byType = { 'P-256': ['ES256'], 'P-384': ['ES384'], 'P-521': ['ES512'] }[String(jwk.crv)] ?? [];
  else if (jwk.kty === 'OKP' && jwk.crv === 'Ed25519') byType = ['EdDSA', 'Ed25519'];
  else if (jwk.kty === 'RSA' && (key.asymmetricKeyDetails?.modulusLength ?? 0) >= 2048) {
    byType = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'];
  }
  if (typeof jwk.alg === 'string') return byType.includes(jwk.alg) ? [jwk.alg] : [];
  return byType;
}

/** Public verification keys from a JWK Set; symmetric, private, encryption-only and odd keys are skipped. */
export function importJwks(body: unknown): RemoteKey[] {
  const list = (body as { keys?: unknown })?.keys;
  if (!Array.isArray(list)) throw new Error('the document has no "keys" array');
  const keys: RemoteKey[] = [];
  for (const jwk of list.slice(0, MAX_KEYS)) {
    if (!jwk || typeof jwk !== 'object' || Array.isArray(jwk)) continue;
    const j = jwk as Record<string, unknown>;
    if (j.kty === 'oct' || 'd' in j) continue;
    if (j.use !== undefined && j.use !== 'sig') continue;
    if (Array.isArray(j.key_ops) && !j.key_ops.includes('verify')) continue;
    if (j.kid !== undefined && typeof j.kid !== 'string') continue;
    let key: KeyObject;
    try {
      key = createPublicKey({ key: j as never, format: 'jwk' });
    } catch {
      continue;
    }
    const algs = algorithmsOf(j, key);
    if (algs.length > 0) keys.push({ kid: j.kid as string | undefined, key, algs: new Set(algs) });
  }
  return keys;
}

export function createJwksSource(options: JwksSourceOptions) {
  const doFetch = options.fetch ?? globalThis.fetch;
  const maxBytes = options.maxBytes ?? 512 * 1024;
  let keys: RemoteKey[] | undefined;
  let fetchedAt = -Infinity;
  let lastAttemptAt = -Infinity;
  let inflight: Promise<void> | undefined;
  let fetches = 0;
  const keySet: KeySet = {
    epoch: 0,
    // A refetched set has new key objects: compared by value.
    keyValidUntil(kid, key) {
      for (const k of keys ?? []) if ((kid === undefined || k.kid === kid) && (k.key === key || k.key.equals(key))) return Infinity;
      return undefined;
    },
  };

  async function download(): Promise<RemoteKey[]> {
    const response = await doFetch(options.uri, {
      signal: AbortSignal.timeout(options.timeoutMs),
      redirect: 'error',
      headers: { accept: 'application/jwk-set+json, application/json' },
    });
    if (response.status !== 200) throw new Error(`HTTP ${response.status}`);
    const text = await response.text();
    if (text.length > maxBytes) throw new Error(`the JWKS is larger than ${maxBytes} bytes`);
    return importJwks(JSON.parse(text));
  }

  function refresh(): Promise<void> {
    inflight ??= (async () => {
      lastAttemptAt = options.now();
      fetches++;
      try {
        keys = await download();
        fetchedAt = options.now();
        // Cached tokens check their key against the new set (the IdP may have removed it).
        keySet.epoch++;
      } catch (error) {
        const e = error as Error & { cause?: { code?: string } };
        options.onError?.(`${e.name === 'TimeoutError' ? 'timed out' : (e.cause?.code ?? e.message)}`);
      } finally {
        inflight = undefined;
      }
    })();
    return inflight;
  }

  function find(kid: string | undefined, alg: string): KeyObject | undefined {
    const candidates = (keys ?? []).filter((k) => k.algs.has(alg) && (kid === undefined || k.kid === kid));
    if (kid === undefined && candidates.length !== 1) return undefined;
    return candidates[0]?.key;
  }

  const coolingDown = () => options.now() - lastAttemptAt < options.cooldownMs;

  return {
    async getKey(kid: string | undefined, alg: string): Promise<KeyLookup> {
      if (keys === undefined) {
        if (!coolingDown()) await refresh();
        else if (inflight) await inflight;
      } else if (options.now() - fetchedAt >= options.cacheMaxAgeMs && !coolingDown()) {
        void refresh(); // stale keys keep working while the new set is fetched
      }
      let key = find(kid, alg);
      if (!key && keys !== undefined && !coolingDown()) {
        await refresh();
        key = find(kid, alg);
      }
      if (key) return { status: 'found', key, until: Infinity };
      return keys === undefined ? { status: 'unavailable' } : { status: 'missing' };
    },
    keySet,

    /** Fetches now, whatever the cache says (start-up warm-up). */
    refresh,
    get fetches() {
      return fetches;
    },
  };
}

export type JwksSource = ReturnType<typeof createJwksSource>;
