// The keys of one trusted issuer, fetched from its jwksUri (lib/remote-keys.ts: a fetch timeout, a
// cache max age, at most one refetch per cooldown however many unknown kids arrive, and cached keys
// kept in use while the IdP is unreachable). Each issuer has its own source: a kid is never looked up
// across issuers.
import { createPublicKey, type KeyObject } from 'node:crypto';
import { createRemoteKeys } from '../../lib/remote-keys.js';
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
  const keySet: KeySet = {
    epoch: 0,
    // A refetched set has new key objects: compared by value.
    keyValidUntil(kid, key) {
      for (const k of remote.keys) if ((kid === undefined || k.kid === kid) && (k.key === key || k.key.equals(key))) return Infinity;
      return undefined;
    },
  };
  const remote = createRemoteKeys<RemoteKey>({
    ...options,
    accept: 'application/jwk-set+json, application/json',
    parse: importJwks,
    // Cached tokens check their key against the new set (the IdP may have removed it).
    onLoaded: () => keySet.epoch++,
  });

  function find(keys: readonly RemoteKey[], kid: string | undefined, alg: string): KeyObject | undefined {
    const candidates = keys.filter((k) => k.algs.has(alg) && (kid === undefined || k.kid === kid));
    if (kid === undefined && candidates.length !== 1) return undefined;
    return candidates[0]?.key;
  }

  return {
    async getKey(kid: string | undefined, alg: string): Promise<KeyLookup> {
      const found = await remote.find((keys) => find(keys, kid, alg));
      return found.status === 'found' ? { status: 'found', key: found.key, until: Infinity } : found;
    },
    keySet,

    /** Fetches now, whatever the cache says (start-up warm-up). */
    refresh: remote.refresh,
    get fetches() {
      return remote.fetches;
    },
  };
}

export type JwksSource = ReturnType<typeof createJwksSource>;
