// Connection limits of the public listener: at most so many connections in all and per client address,
// and a request head that must arrive whole within a few seconds. A flood of idle or slow (slowloris)
// connections then costs bounded memory and file descriptors, and the admin listener, which has its
// own server, and the clients already connected keep being served.
import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import { ConfigError } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { addressBlockOf } from '../lib/address-block.js';
import { parseDuration } from '../lib/duration.js';
import type { Logger } from '../logger.js';

export interface ConnectionLimits {
  /** Open connections at most; a connection beyond it is closed as soon as it is accepted. */
  maxConnections: number;
  /** Open connections per client address (IPv6: per /64) at most; 0 for no limit. */
  maxConnectionsPerIp: number;
  /** The whole request head (line and headers) must arrive within this, however it trickles in (408 otherwise). */
  headersTimeoutMs: number;
  /** The whole request, body included, must arrive within this; 0 for no limit. */
  requestTimeoutMs: number;
  /** An idle keep-alive connection is closed after this. */
  keepAliveTimeoutMs: number;
}

export type RefusalReason = 'max_connections' | 'per_ip';

export interface ConnectionLimitHooks {
  /** A connection was closed at once because a limit was reached (a metric and a log line go here). */
  onRefused?: (reason: RefusalReason) => void;
}

/** Applies the limits to the public listener's server; call before it listens. */
export function limitConnections(server: Server, limits: ConnectionLimits, hooks: ConnectionLimitHooks = {}): void {
  server.maxConnections = limits.maxConnections;
  server.headersTimeout = limits.headersTimeoutMs;
  server.requestTimeout = limits.requestTimeoutMs;
  server.keepAliveTimeout = limits.keepAliveTimeoutMs;
  // Node checks both timeouts on this interval (30 s by default), read when the server starts listening:
  // a few checks per header timeout close a stalled head within about a quarter of it after the limit.
  (server as Server & { connectionsCheckingInterval: number }).connectionsCheckingInterval = Math.max(
    50,
    Math.min(1_000, Math.floor(limits.headersTimeoutMs / 4)),
  );
  // Node closes a connection past maxConnections before any HTTP parsing; 'drop' reports it.
  server.on('drop', () => hooks.onRefused?.('max_connections'));

  if (limits.maxConnectionsPerIp <= 0) return;
  const perClient = new Map<string, number>();
  server.on('connection', (socket: Socket) => {
    const client = addressBlockOf(socket.remoteAddress);
    const open = perClient.get(client) ?? 0;
    if (open >= limits.maxConnectionsPerIp) {
      socket.destroy();
      hooks.onRefused?.('per_ip');
      return;
    }
    perClient.set(client, open + 1);
    socket.once('close', () => {
      const left = (perClient.get(client) ?? 1) - 1;
      if (left > 0) perClient.set(client, left);
      else perClient.delete(client);
    });
  });
}

/** Unset, the per-address limit is 256, or off behind a trusted proxy: there every connection comes from the proxy. */
const DEFAULT_PER_IP = 256;

/** The limits from `listen.*`, with the cross-field rules the schema cannot express (each message names its field). */
export function connectionLimitsOf(config: Config): ConnectionLimits {
  const { listen } = config;
  const limits: ConnectionLimits = {
    maxConnections: listen.maxConnections,
    maxConnectionsPerIp: listen.maxConnectionsPerIp ?? (config.gateway.trustProxy ? 0 : DEFAULT_PER_IP),
    headersTimeoutMs: parseDuration(listen.headersTimeout),
    requestTimeoutMs: parseDuration(listen.requestTimeout),
    keepAliveTimeoutMs: parseDuration(listen.keepAliveTimeout),
  };
  const problems: string[] = [];
  if (limits.headersTimeoutMs < 100) problems.push('listen.headersTimeout: must be at least 100ms');
  if (limits.requestTimeoutMs > 0 && limits.requestTimeoutMs < limits.headersTimeoutMs)
    problems.push('listen.requestTimeout: must not be shorter than listen.headersTimeout (or 0 for none)');
  if (limits.keepAliveTimeoutMs < 1) problems.push('listen.keepAliveTimeout: must be at least 1ms');
  if (problems.length > 0) throw new ConfigError(`invalid configuration:\n  ${problems.join('\n  ')}`);
  return limits;
}

/** How often, at most, a refusal is logged: a flood must not turn into a flood of log lines. */
const REFUSAL_LOG_INTERVAL_MS = 60_000;

/** Counts refusals (a metric) and logs the first one, then at most one line a minute with the count since. */
export function reportRefusals(log: Logger, now: () => number, count?: (reason: RefusalReason) => void): (reason: RefusalReason) => void {
  let lastLoggedAt = -Infinity;
  let unlogged = 0;
  return (reason) => {
    count?.(reason);
    unlogged += 1;
    const at = now();
    if (at - lastLoggedAt < REFUSAL_LOG_INTERVAL_MS) return;
    log.warn(
      { reason, refused: unlogged },
      'public listener at a connection limit: new connections are closed (listen.maxConnections, listen.maxConnectionsPerIp)',
    );
    lastLoggedAt = at;
    unlogged = 0;
  };
}
