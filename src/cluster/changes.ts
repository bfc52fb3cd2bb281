// Changes every node must see at once: which cached keys, consumers and clients to drop, which tokens
// are revoked, when signing keys changed. With Redis configured, each node publishes its own changes
// on one channel and applies everyone else's; without Redis, nodes learn of changes from the store sync alone.
// A node whose subscription was interrupted may have missed changes, so it drops all its caches when
// the subscription comes back; every node's store sync (oauth.syncInterval) is the second path.
import { randomUUID } from 'node:crypto';
import { loadIoredis } from '../lib/optional-client.js';
import type { Logger } from '../logger.js';

export type Change =
  | { kind: 'key'; hash: string }
  | { kind: 'consumer'; id: string }
  | { kind: 'client'; id: string }
  | { kind: 'token'; jti: string; expiresAt: number }
  | { kind: 'signing-keys' };

export interface ChangeHandlers {
  /** A change another node made. */
  apply(change: Change): void;
  /** The subscription was interrupted and is back: changes may have been missed. */
  resync(): void;
}

export interface ChangeBus {
  /** Tells the other nodes; never throws and never waits. */
  publish(change: Change): void;
  listen(handlers: ChangeHandlers): void;
  close(): Promise<void>;
}

/** One node: nothing to tell anyone. */
export function createLocalChangeBus(): ChangeBus {
  return {
    publish() {},
    listen() {},
    async close() {},
  };
}

const isString = (value: unknown): value is string => typeof value === 'string' && value.length > 0 && value.length <= 256;

/** The change in a message from the channel, or undefined for anything malformed. */
export function parseChange(message: string, ownNode: string): Change | undefined {
  let parsed: { node?: unknown; change?: Record<string, unknown> };
  try {
    parsed = JSON.parse(message);
  } catch {
    return undefined;
  }
  if (!parsed || typeof parsed !== 'object' || parsed.node === ownNode || !parsed.change || typeof parsed.change !== 'object') return undefined;
  const c = parsed.change;
  switch (c.kind) {
    case 'key':
      return isString(c.hash) ? { kind: 'key', hash: c.hash } : undefined;
    case 'consumer':
    case 'client':
      return isString(c.id) ? { kind: c.kind, id: c.id } : undefined;
    case 'token':
      return isString(c.jti) && Number.isFinite(c.expiresAt) ? { kind: 'token', jti: c.jti, expiresAt: c.expiresAt as number } : undefined;
    case 'signing-keys':
      return { kind: 'signing-keys' };
    default:
      return undefined;
  }
}

export interface RedisChangeBusOptions {
  url: string;
  /** The channel; nodes of one deployment share it (derived from redisKeyPrefix). */
  channel: string;
  log: Logger;
}

export function createRedisChangeBus({ url, channel, log }: RedisChangeBusOptions): ChangeBus {
  const node = randomUUID();
  const { Redis } = loadIoredis();
  // A change made while the first connection is still being set up waits for it; during an outage a
  // publish fails at the next reconnect attempt rather than queueing stale news for later.
  const publisher = new Redis(url, { maxRetriesPerRequest: 0, connectTimeout: 1_000, retryStrategy: (n) => Math.min(n * 50, 2_000) });
  // We subscribe on every (re)connection ourselves: ioredis' own resubscription leaves its promise
  // unhandled, and a connection closed right after coming back would crash the process with it.
  const subscriber = new Redis(url, { autoResubscribe: false, connectTimeout: 1_000, retryStrategy: (n) => Math.min(n * 50, 2_000) });
  let publishFailing = false;
  let subscriberFailing = false;
  publisher.on('error', () => {});
  let handlers: ChangeHandlers | undefined;
  let subscribedOnce = false;
  subscriber.on('message', (from: string, message: string) => {
    if (from !== channel) return;
    const change = parseChange(message, node);
    if (change) handlers?.apply(change);
  });
  // 'ready' marks each (re)connection; the first comes before anything is cached.
  subscriber.on('ready', () => {
    subscriber.subscribe(channel).catch((error: Error) => log.warn({ channel, err: { message: error.message } }, 'could not subscribe to changes'));
    if (subscribedOnce) handlers?.resync();
    subscribedOnce = true;
    subscriberFailing = false;
  });
  subscriber.on('error', () => {
    if (!subscriberFailing) log.warn({ channel }, 'change subscription lost; caches are dropped when it is back');
    subscriberFailing = true;
  });

  return {
    publish(change) {
      publisher.publish(channel, JSON.stringify({ node, change })).then(
        () => {
          publishFailing = false;
        },
        (error: Error) => {
          // Other nodes learn of it later, from their store sync (or their resync after an outage).
          if (!publishFailing) log.warn({ channel, err: { message: error.message } }, 'could not publish a change to other nodes');
          publishFailing = true;
        },
      );
    },
    listen(given) {
      handlers = given;
    },
    async close() {
      subscriber.disconnect();
      publisher.disconnect();
    },
  };
}
