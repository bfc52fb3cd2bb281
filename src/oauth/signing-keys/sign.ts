// Compact JWS signing with node:crypto key objects. The signature is computed on libuv's thread pool
// (the callback form of crypto.sign), so the event loop spends 6–10 µs a token instead of the ~21 µs of
// an ES256 signature and a busy token endpoint can use a second core; bench/token.ts measures this
// against signing on the event loop and against jose. The header is encoded once per key.
// Measured 2026-12-07 (callgrind, main thread, a POST /oauth/token on the public listener): 358k
// instructions with this signer, 577k signing with crypto.sign on the event loop (+61 %), 446k with
// jose's SignJWT (+24 %; it signs through WebCrypto, also on the pool). Counting every thread the
// pool costs more (1,077k against 759k on the loop, JIT threads included): it buys throughput, not CPU.
//
// The pool is shared with file reads and DNS look-ups: look-ups waiting on a slow DNS server can
// hold every pool thread, and token issuance with them. So a signature still waiting after
// STALLED_MS is made on the event loop instead, and the pool's late answer is dropped.
import { type KeyObject, type SignKeyObjectInput, sign } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { SigningAlg } from '../../store/oauth-types.js';

export type CompactSigner = (claims: object) => Promise<string>;

/** How long a signature may wait on the pool before the event loop makes it. */
export const STALLED_MS = 250;
const WATCH_EVERY_MS = 100;

const b64url = (text: string) => Buffer.from(text, 'utf8').toString('base64url');

/** crypto.sign's digest and key argument for each algorithm, made once per signer. */
function signArguments(alg: SigningAlg, key: KeyObject): [digest: string | null, key: SignKeyObjectInput | KeyObject] {
  switch (alg) {
    case 'ES256':
      return ['sha256', { key, dsaEncoding: 'ieee-p1363' }];
    case 'EdDSA':
      return [null, key];
    case 'RS256':
      return ['sha256', key];
  }
}

/** A signature on its way: settled once, by the pool or by the watchdog, whichever comes first. */
class Signing {
  readonly queuedAt = performance.now();
  constructor(
    readonly digest: string | null,
    readonly key: SignKeyObjectInput | KeyObject,
    readonly input: string,
    readonly resolve: (token: string) => void,
    readonly reject: (error: Error) => void,
  ) {}
}

/** Signatures the pool has not answered yet, oldest first (a Set keeps insertion order). */
const waiting = new Set<Signing>();
let watchdog: NodeJS.Timeout | undefined;
let onLoop = 0;

/** Signatures the watchdog made on the event loop because the pool was busy (a metric: portcullis_oauth_signatures_on_event_loop_total). */
export function signaturesMadeOnLoop(): number {
  return onLoop;
}

function watch(): void {
  const now = performance.now();
  for (const job of waiting) {
    if (now - job.queuedAt < STALLED_MS) break;
    waiting.delete(job);
    onLoop++;
    try {
      job.resolve(`${job.input}.${sign(job.digest, Buffer.from(job.input, 'ascii'), job.key).toString('base64url')}`);
    } catch (error) {
      job.reject(error as Error);
    }
  }
  if (waiting.size === 0 && watchdog) {
    clearInterval(watchdog);
    watchdog = undefined;
  }
}

export function createCompactSigner(alg: SigningAlg, key: KeyObject, header: Record<string, string>): CompactSigner {
  const encodedHeader = b64url(JSON.stringify({ alg, ...header }));
  const [digest, keyInput] = signArguments(alg, key);
  return function signCompact(claims) {
    const signingInput = `${encodedHeader}.${b64url(JSON.stringify(claims))}`;
    return new Promise((resolve, reject) => {
      const job = new Signing(digest, keyInput, signingInput, resolve, reject);
      waiting.add(job);
      watchdog ??= setInterval(watch, WATCH_EVERY_MS).unref();
      try {
        sign(digest, Buffer.from(signingInput, 'ascii'), keyInput, (error, signature) => {
          if (!waiting.delete(job)) return; // the watchdog signed it already
          if (error) reject(error);
          else resolve(`${signingInput}.${signature.toString('base64url')}`);
        });
      } catch (error) {
        waiting.delete(job);
        reject(error as Error);
      }
    });
  };
}
