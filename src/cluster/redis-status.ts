// Whether this node reaches Redis, for the operator: one log line when a connection fails (naming
// host:port and what failed, never the URL's credentials) and one when it is back, and the state
// /readyz reports. A wrong Redis URL does not stop Portcullis (rate limits fail soft to per-node
// limits, changes reach other nodes through the store sync), so without this it would go unnoticed.
import type { Redis } from 'ioredis';
import type { Logger } from '../logger.js';

export type RedisState = 'connecting' | 'ready' | 'unreachable';

export interface RedisStatusView {
  /** host:port from the configured URL; never its user name or password. */
  target: string;
  state: RedisState;
  /** What failed, while unreachable: `connection refused`, `host not found`, … */
  reason?: string;
  /** When the current state began (ISO 8601). */
  since: string;
}

export interface RedisStatus {
  /** Follows one client's connection; Redis counts as ready when every followed client is. */
  follow(client: Redis): void;
  view(): RedisStatusView;
  /** Resolves once every followed client has connected or failed, or after `timeoutMs`. */
  settled(timeoutMs: number): Promise<RedisStatusView>;
}

/** host:port of a redis:// or rediss:// URL (6379 when it names no port). */
export function redisTarget(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.hostname}:${parsed.port || '6379'}`;
  } catch {
    return '(an unparseable URL)';
  }
}

const REASONS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed',
  ETIMEDOUT: 'connection timed out',
  ECONNRESET: 'connection reset',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
};

/**
 * What failed, in a few words that carry neither an address nor a secret: the socket error's code,
 * or the first word of a Redis error reply (NOAUTH, WRONGPASS, …).
 */
export function describeRedisError(error: unknown): string {
  const code = (error as { code?: unknown })?.code;
  if (typeof code === 'string' && REASONS[code]) return REASONS[code];
  const message = error instanceof Error ? error.message : '';
  if (/^connect ETIMEDOUT\b/.test(message)) return REASONS.ETIMEDOUT!;
  const word = /^[A-Z][A-Z_]{2,30}\b/.exec(message)?.[0];
  if (word === 'NOAUTH' || word === 'WRONGPASS') return `authentication failed (${word})`;
  if (word) return word;
  return typeof code === 'string' && /^[A-Z_]{2,30}$/.test(code) ? code : 'connection failed';
}

export function createRedisStatus({ url, log, now = () => Date.now() }: { url: string; log: Logger; now?: () => number }): RedisStatus {
  const target = redisTarget(url);
  const clients = new Map<Redis, RedisState>();
  let state: RedisState = 'connecting';
  let reason: string | undefined;
  let since = now();
  let waiters: Array<() => void> = [];

  function update(client: Redis, clientState: RedisState, failure?: string): void {
    clients.set(client, clientState);
    const states = [...clients.values()];
    const next: RedisState = states.includes('unreachable') ? 'unreachable' : states.every((s) => s === 'ready') ? 'ready' : 'connecting';
    if (next === 'unreachable' && failure) reason = failure;
    if (next !== state) {
      const was = state;
      state = next;
      since = now();
      if (next === 'unreachable') {
        log.warn(
          { redis: target, reason },
          `redis at ${target} is unreachable (${reason}): rate limits are per node, and changes reach other nodes only through the store sync, until it is back`,
        );
      } else if (next === 'ready') {
        reason = undefined;
        if (was === 'unreachable') log.info({ redis: target }, `redis at ${target} is reachable again`);
        else log.info({ redis: target }, `redis at ${target} connected`);
      }
    }
    if (!states.includes('connecting')) {
      const waiting = waiters;
      waiters = [];
      for (const wake of waiting) wake();
    }
  }

  const view = (): RedisStatusView => ({ target, state, ...(reason ? { reason } : {}), since: new Date(since).toISOString() });

  return {
    follow(client) {
      clients.set(client, client.status === 'ready' ? 'ready' : 'connecting');
      // What failed since the client was last ready; a dropped connection reports no error of its own.
      let failure: string | undefined;
      client.on('ready', () => {
        failure = undefined;
        update(client, 'ready');
      });
      // ioredis reports every failed (re)connection attempt; the warning above is logged once per outage.
      client.on('error', (error: unknown) => {
        failure = describeRedisError(error);
        update(client, 'unreachable', failure);
      });
      // Not after disconnect(): only when the connection was lost and ioredis tries again.
      client.on('reconnecting', () => update(client, 'unreachable', failure ?? 'connection lost'));
    },
    view,
    settled(timeoutMs) {
      if (![...clients.values()].includes('connecting')) return Promise.resolve(view());
      return new Promise((resolve) => {
        const timer = setTimeout(done, timeoutMs);
        function done(): void {
          clearTimeout(timer);
          waiters = waiters.filter((w) => w !== done);
          resolve(view());
        }
        waiters.push(done);
      });
    },
  };
}
