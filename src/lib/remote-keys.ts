// Verification keys published at a URL (an IdP's JWK Set, GitHub's secret-scanning keys): fetched with
// a timeout and a size bound, cached for a maximum age, fetched again at most once per cooldown however
// many unknown key ids arrive, and the cached keys kept in use while the publisher is unreachable.

export type RemoteKeyLookup<T> = { status: 'found'; key: T } | { status: 'missing' } | { status: 'unavailable' };

export interface RemoteKeysOptions<K> {
  uri: string;
  /** The Accept header of the fetch. */
  accept: string;
  timeoutMs: number;
  cacheMaxAgeMs: number;
  cooldownMs: number;
  now: () => number;
  fetch?: typeof fetch;
  /** The keys of a fetched document; throws when the document is not one. */
  parse: (body: unknown) => K[];
  /** After every successful fetch. */
  onLoaded?: () => void;
  /** Told of a failed fetch (the reason, never a key). */
  onError?: (reason: string) => void;
  maxBytes?: number;
}

export function createRemoteKeys<K>(options: RemoteKeysOptions<K>) {
  const doFetch = options.fetch ?? globalThis.fetch;
  const maxBytes = options.maxBytes ?? 512 * 1024;
  let keys: K[] | undefined;
  let fetchedAt = -Infinity;
  let lastAttemptAt = -Infinity;
  let inflight: Promise<void> | undefined;
  let fetches = 0;

  async function download(): Promise<K[]> {
    const response = await doFetch(options.uri, {
      signal: AbortSignal.timeout(options.timeoutMs),
      redirect: 'error',
      headers: { accept: options.accept },
    });
    if (response.status !== 200) throw new Error(`HTTP ${response.status}`);
    const text = await response.text();
    if (text.length > maxBytes) throw new Error(`the key document is larger than ${maxBytes} bytes`);
    return options.parse(JSON.parse(text));
  }

  function refresh(): Promise<void> {
    inflight ??= (async () => {
      lastAttemptAt = options.now();
      fetches++;
      try {
        keys = await download();
        fetchedAt = options.now();
        options.onLoaded?.();
      } catch (error) {
        const e = error as Error & { cause?: { code?: string } };
        options.onError?.(`${e.name === 'TimeoutError' ? 'timed out' : (e.cause?.code ?? e.message)}`);
      } finally {
        inflight = undefined;
      }
    })();
    return inflight;
  }

  const coolingDown = () => options.now() - lastAttemptAt < options.cooldownMs;

  return {
    /** The key `pick` chooses from the cached set; an unknown one makes one refetch (outside the cooldown). */
    async find<T>(pick: (keys: readonly K[]) => T | undefined): Promise<RemoteKeyLookup<T>> {
      if (keys === undefined) {
        if (!coolingDown()) await refresh();
        else if (inflight) await inflight;
      } else if (options.now() - fetchedAt >= options.cacheMaxAgeMs && !coolingDown()) {
        void refresh(); // stale keys keep working while the new set is fetched
      }
      let key = keys === undefined ? undefined : pick(keys);
      if (key === undefined && keys !== undefined && !coolingDown()) {
        await refresh();
        key = pick(keys);
      }
      if (key !== undefined) return { status: 'found', key };
      return keys === undefined ? { status: 'unavailable' } : { status: 'missing' };
    },
    /** The cached keys (none before the first successful fetch). */
    get keys(): readonly K[] {
      return keys ?? [];
    },
    /** Fetches now, whatever the cache says (start-up warm-up). */
    refresh,
    get fetches() {
      return fetches;
    },
  };
}
