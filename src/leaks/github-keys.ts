// GitHub's secret-scanning reports are signed with ECDSA P-256 (SHA-256, DER, base64) over the raw body
// by a key named in GITHUB-PUBLIC-KEY-IDENTIFIER, published at `leaks.github.keysUrl` as
// `{ public_keys: [{ key_identifier, key (PEM), is_current }] }`. The document is fetched the way an
// IdP's JWK Set is (lib/remote-keys.ts): cached, and fetched again on an unknown identifier at most
// once per cooldown, so forged identifiers cannot make us hammer GitHub.
import { createPublicKey, type KeyObject, verify } from 'node:crypto';
import { createRemoteKeys } from '../lib/remote-keys.js';

export interface GithubPublicKey {
  identifier: string;
  key: KeyObject;
}

export type ReportSignature = 'valid' | 'unsigned' | 'unknown-key' | 'invalid' | 'keys-unavailable';

const MAX_KEYS = 100;
/** Identifiers are hex SHA-256 fingerprints today; anything far off that shape is not looked up. */
const IDENTIFIER = /^[A-Za-z0-9+/=_-]{1,200}$/;
/** A DER ECDSA P-256 signature is at most 72 bytes; its base64 at most 96 characters. */
const SIGNATURE = /^[A-Za-z0-9+/]{1,200}={0,2}$/;

/** The P-256 keys of GitHub's key document; other keys and malformed entries are skipped. */
export function parseGithubKeys(body: unknown): GithubPublicKey[] {
  const list = (body as { public_keys?: unknown })?.public_keys;
  if (!Array.isArray(list)) throw new Error('the document has no "public_keys" array');
  const keys: GithubPublicKey[] = [];
  for (const entry of list.slice(0, MAX_KEYS)) {
    const { key_identifier: identifier, key: pem } = (entry ?? {}) as { key_identifier?: unknown; key?: unknown };
    if (typeof identifier !== 'string' || !IDENTIFIER.test(identifier) || typeof pem !== 'string') continue;
    let key: KeyObject;
    try {
      key = createPublicKey({ key: pem, format: 'pem' });
    } catch {
      continue;
    }
    if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') keys.push({ identifier, key });
  }
  return keys;
}

export interface GithubKeysOptions {
  url: string;
  now: () => number;
  timeoutMs?: number;
  cacheMaxAgeMs?: number;
  cooldownMs?: number;
  fetch?: typeof fetch;
  onError?: (reason: string) => void;
}

export function createGithubKeys(options: GithubKeysOptions) {
  const remote = createRemoteKeys<GithubPublicKey>({
    uri: options.url,
    accept: 'application/json',
    timeoutMs: options.timeoutMs ?? 5_000,
    cacheMaxAgeMs: options.cacheMaxAgeMs ?? 60 * 60_000,
    cooldownMs: options.cooldownMs ?? 30_000,
    now: options.now,
    parse: parseGithubKeys,
    ...(options.fetch ? { fetch: options.fetch } : {}),
    ...(options.onError ? { onError: options.onError } : {}),
  });

  return {
    /** Whether `signature` (base64 DER) signs `body` with the key named `identifier`. */
    async check(body: Buffer, identifier: string | undefined, signature: string | undefined): Promise<ReportSignature> {
      if (!identifier || !signature) return 'unsigned';
      if (!IDENTIFIER.test(identifier) || !SIGNATURE.test(signature)) return 'invalid';
      const found = await remote.find((keys) => keys.find((k) => k.identifier === identifier)?.key);
      if (found.status === 'unavailable') return 'keys-unavailable';
      if (found.status === 'missing') return 'unknown-key';
      try {
        return verify('sha256', body, { key: found.key, dsaEncoding: 'der' }, Buffer.from(signature, 'base64')) ? 'valid' : 'invalid';
      } catch {
        return 'invalid';
      }
    },
    get fetches() {
      return remote.fetches;
    },
  };
}

export type GithubKeys = ReturnType<typeof createGithubKeys>;
