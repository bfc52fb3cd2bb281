// Shared by the Redis-backed rate-limit tests: the skip reason, per-run key prefixes and their cleanup, and a
// TCP proxy that can cut the connection to Redis without touching the shared Redis server.
import { randomUUID } from 'node:crypto';
import type { EventEmitter } from 'node:events';
import { connect, createServer, type Server, type Socket } from 'node:net';
import type { Redis } from 'ioredis';

export const redisUrl = process.env.PORTCULLIS_TEST_REDIS_URL;

export const redisSkip: string | false = redisUrl
  ? false
  : 'PORTCULLIS_TEST_REDIS_URL is not set, so there is no Redis to test against (CI sets it; e.g. redis://127.0.0.1:6379)';

/** A fresh namespace per test, so runs never see each other's counters. */
export function randomPrefix(): string {
  return `portcullis-test:rl:${randomUUID()}:`;
}

export async function keysUnder(redis: Redis, prefix: string): Promise<string[]> {
  const found: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    found.push(...keys);
  } while (cursor !== '0');
  return found;
}

export async function deleteKeysUnder(redis: Redis, prefix: string): Promise<void> {
  const keys = await keysUnder(redis, prefix);
  if (keys.length > 0) await redis.del(...keys);
}

/** Resolves on the next `event`, or rejects after `timeoutMs` so a test never hangs on it. */
export function nextEvent(emitter: EventEmitter, event: string, timeoutMs = 5_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      emitter.off(event, done);
      reject(new Error(`no '${event}' event within ${timeoutMs} ms`));
    }, timeoutMs);
    function done() {
      clearTimeout(timer);
      resolve();
    }
    emitter.once(event, done);
  });
}

export async function waitUntilReady(redis: Redis, timeoutMs = 5_000): Promise<void> {
  if (redis.status === 'ready') return;
  await nextEvent(redis, 'ready', timeoutMs);
}

export interface RedisProxy {
  /** A Redis URL that goes through the proxy (same credentials and database as the target). */
  url: string;
  /** Drops every open connection and refuses new ones, as a Redis outage would. */
  cut(): void;
  /** Accepts connections again. */
  restore(): void;
  close(): Promise<void>;
}

/** A TCP proxy on 127.0.0.1 in front of the Redis at `targetUrl`. */
export async function startRedisProxy(targetUrl: string): Promise<RedisProxy> {
  const target = new URL(targetUrl);
  const targetPort = Number(target.port || 6379);
  const targetHost = target.hostname || '127.0.0.1';
  const sockets = new Set<Socket>();
  let open = true;

  const server: Server = createServer((client) => {
    if (!open) {
      client.destroy();
      return;
    }
    const upstream = connect(targetPort, targetHost);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('proxy has no TCP address');
  const url = new URL(targetUrl);
  url.hostname = '127.0.0.1';
  url.port = String(address.port);

  return {
    url: url.toString(),
    cut() {
      open = false;
      for (const socket of sockets) socket.destroy();
    },
    restore() {
      open = true;
    },
    async close() {
      open = false;
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
