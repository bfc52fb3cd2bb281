// Changes every node must see at once: which cached keys, consumers and clients to drop, which tokens
// are revoked, when signing keys changed. With Redis configured, each node publishes its own changes
// on one channel and applies everyone else's; without Redis, nodes learn of changes from the store sync alone.
// A node whose subscription was interrupted may have missed changes, so it drops all its caches when
// the subscription comes back; every node's store sync (oauth.syncInterval) is the second path.
// Every node also announces itself on the channel (a heartbeat), so each one knows how many nodes are
// live: per-node rate limits during a Redis outage are divided by that count (src/ratelimit/fallback.ts).
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Clock } from '../lib/clock.js';
import { loadIoredis } from '../lib/optional-client.js';
import type { Logger } from '../logger.js';
import { createNodeCount } from './nodes.js';

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
  /** Nodes heard from within the last few heartbeats, this one included; held at its last value while the channel is down. */
  liveNodes(): number;
  close(): Promise<void>;
}

/** One node: nothing to tell anyone. */
export function createLocalChangeBus(): ChangeBus {
  return {
    publish() {},
    listen() {},
    liveNodes: () => 1,
    async close() {},
  };
}

const isString = (value: unknown): value is string => typeof value === 'string' && value.length > 0 && value.length <= 256;

interface Message {
  node?: unknown;
  change?: Record<string, unknown>;
}

function parseMessage(message: string): Message | undefined {
  try {
    const parsed: unknown = JSON.parse(message);
    return parsed && typeof parsed === 'object' ? (parsed as Message) : undefined;
  } catch {
    return undefined;
  }
}

/** The change in a message from the channel, or undefined for anything malformed. */
export function parseChange(message: string, ownNode: string): Change | undefined {
  return changeOf(parseMessage(message), ownNode);
}

function changeOf(parsed: Message | undefined, ownNode: string): Change | undefined {
  if (!parsed || parsed.node === ownNode) return undefined;
  return parseChangeObject(parsed.change);
}

/** A change as an object (the change channel's message, or the supervisor's IPC message), or undefined for anything malformed. */
export function parseChangeObject(value: unknown): Change | undefined {
  if (!value || typeof value !== 'object') return undefined;
  const c = value as Record<string, unknown>;
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
  clock: Clock;
  /** How often this node announces itself; a peer unheard of for three intervals is no longer counted. */
  heartbeatIntervalMs: number;
  /** Given the subscriber client once it is created (the node's Redis status follows its connection). */
  followRedis?: (client: Redis) => void;
}

/** A peer is counted until this many heartbeat intervals pass without a word from it. */
export const HEARTBEATS_BEFORE_STALE = 3;

export function createRedisChangeBus({ url, channel, log, clock, heartbeatIntervalMs, followRedis }: RedisChangeBusOptions): ChangeBus {
  const node = randomUUID();
  const nodes = createNodeCount({ clock, staleAfterMs: HEARTBEATS_BEFORE_STALE * heartbeatIntervalMs });
  const heartbeat = JSON.stringify({ node, heartbeat: true });
  const { Redis } = loadIoredis();
  // A change made while the first connection is still being set up waits for it; during an outage a
  // publish fails at the next reconnect attempt rather than queueing stale news for later.
  const publisher = new Redis(url, { maxRetriesPerRequest: 0, connectTimeout: 1_000, retryStrategy: (n) => Math.min(n * 50, 2_000) });
  // We subscribe on every (re)connection ourselves: ioredis' own resubscription leaves its promise
  // unhandled, and a connection closed right after coming back would crash the process with it.
  const subscriber = new Redis(url, { autoResubscribe: false, connectTimeout: 1_000, retryStrategy: (n) => Math.min(n * 50, 2_000) });
  followRedis?.(subscriber);
  let publishFailing = false;
  let subscriberFailing = false;
  publisher.on('error', () => {});
  let handlers: ChangeHandlers | undefined;
  let subscribedOnce = false;
  subscriber.on('message', (from: string, message: string) => {
    if (from !== channel) return;
    const parsed = parseMessage(message);
    const sender = parsed?.node;
    if (!isString(sender) || sender === node) return;
    // A node heard of for the first time hears of us at once, rather than a heartbeat interval later.
    if (nodes.seen(sender)) announce();
    const change = changeOf(parsed, node);
    if (change) handlers?.apply(change);
  });
  // 'ready' marks each (re)connection; the first comes before anything is cached.
  subscriber.on('ready', () => {
    subscriber
      .subscribe(channel)
      .then(() => {
        nodes.release();
        announce();
      })
      .catch((error: Error) => log.warn({ channel, err: { message: error.message } }, 'could not subscribe to changes'));
    if (subscribedOnce) handlers?.resync();
    subscribedOnce = true;
    subscriberFailing = false;
  });
  // Until the subscription is back, peers cannot be heard: the count stays what it was.
  subscriber.on('close', () => nodes.hold());
  subscriber.on('error', () => {
    nodes.hold();
    if (!subscriberFailing) log.warn({ channel }, 'change subscription lost; caches are dropped when it is back');
    subscriberFailing = true;
  });

  function send(message: string): void {
    publisher.publish(channel, message).then(
      () => {
        publishFailing = false;
      },
      (error: Error) => {
        // Other nodes learn of it later, from their store sync (or their resync after an outage).
        if (!publishFailing) log.warn({ channel, err: { message: error.message } }, 'could not publish a change to other nodes');
        publishFailing = true;
      },
    );
  }
  function announce(): void {
    send(heartbeat);
  }
  const heartbeats = setInterval(announce, heartbeatIntervalMs);
  heartbeats.unref();

  return {
    liveNodes: () => nodes.count(),
    publish(change) {
      send(JSON.stringify({ node, change }));
    },
    listen(given) {
      handlers = given;
    },
    async close() {
      clearInterval(heartbeats);
      subscriber.disconnect();
      publisher.disconnect();
    },
  };
}
