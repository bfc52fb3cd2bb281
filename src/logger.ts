// pino, with the places a credential could appear redacted as a second line of defence: our code
// never passes a key or secret to the logger in the first place.
import { type DestinationStream, type Logger, pino } from 'pino';
import { activeTraceFields } from './lib/tracing.js';

export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'req.headers.cookie',
  'headers.authorization',
  'headers["x-api-key"]',
  'key',
  'secret',
  'client_secret',
  'password',
];

/** What a request looks like in a log line: never its query string, which may carry a credential. */
interface LoggedRequest {
  method?: string;
  url?: string;
  ip?: string;
  socket?: { remotePort?: number } | null;
}

/**
 * The request serialiser of both listeners' Fastify instances (Fastify uses the logger's own `req`
 * serialiser over its default). A query string can hold `?api_key=…` or `?client_secret=…`, so only
 * the path is logged, for every request, routed or not.
 */
export function requestSummary(req: LoggedRequest): Record<string, unknown> {
  const url = req.url ?? '';
  const end = url.search(/[?#]/);
  return { method: req.method, path: end === -1 ? url : url.slice(0, end), remoteAddress: req.ip, remotePort: req.socket?.remotePort };
}

/**
 * Without a destination, logs go to stdout with synchronous writes (pino.destination's default, not
 * pino()'s): the access log already gathers an event-loop turn's lines into one write, and an
 * asynchronous destination adds a thread-pool round trip to each, 17–20 µs of CPU a request in
 * bench/gateway.ts (docs/benchmarks.md, "Why the hot path looks like this"). A stdout that cannot keep up slows the process
 * rather than filling its memory, and no line waits in a buffer when the process exits.
 */
export function createLogger(level: string, destination?: DestinationStream, options: LoggerOptions = {}): Logger {
  return pino(
    {
      level,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      base: { service: 'portcullis' },
      serializers: { req: requestSummary },
      // Only when tracing is on: without it no line pays for looking up the active span.
      ...(options.traceIds ? { mixin: activeTraceFields } : {}),
    },
    destination ?? pino.destination({ dest: 1, sync: true }),
  );
}

export interface LoggerOptions {
  /** Lines written while a span is active carry its `trace_id` and `span_id` (tracing on). */
  traceIds?: boolean;
}

export type { Logger };

/**
 * A logger's level and the long-lived children taken from it, changed together by a reload: pino
 * children copy their parent's level once, when created. Short-lived children (Fastify's per request)
 * are taken from a followed child and so start with the current level.
 */
export function createLevelControl(root: Logger) {
  const followers = new Set<Logger>([root]);
  return {
    /** A child that follows later level changes. */
    child(bindings: Record<string, unknown>): Logger {
      const child = root.child(bindings);
      followers.add(child);
      return child;
    },
    get level(): string {
      return root.level;
    },
    set(level: string): void {
      for (const logger of followers) logger.level = level;
    },
  };
}

export type LevelControl = ReturnType<typeof createLevelControl>;

/** The values an access-log line carries: short strings, numbers and nulls, never a credential. */
export type AccessLogFields = Record<string, string | number | null | undefined>;

/** Printable ASCII other than `"` and `\`: such a string needs only quotes to be JSON. */
const PLAIN_JSON = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

/**
 * A string as JSON. Access-log values are mostly short plain ASCII (ids, methods, paths), which need
 * only quotes; a regular expression says so in a third of what JSON.stringify costs for them.
 */
export function jsonString(value: string): string {
  return value.length <= 64 && PLAIN_JSON.test(value) ? `"${value}"` : JSON.stringify(value);
}

/**
 * Milliseconds rounded to a tenth, as JSON.stringify(Math.round(ms * 10) / 10) writes them, from
 * integers: formatting the fraction took about a sixth of an access line's cost (in a tight loop).
 */
export function jsonMs(ms: number): string {
  const tenths = Math.round(ms * 10);
  if (!(tenths >= 0 && tenths < 0x40000000)) return Number.isFinite(ms) ? JSON.stringify(tenths / 10) : 'null';
  const whole = (tenths / 10) | 0;
  const fraction = tenths - whole * 10;
  return fraction === 0 ? `${whole}` : `${whole}.${fraction}`;
}

/**
 * Writes access-log lines straight to the logger's destination, in the shape pino gives its own lines:
 * level, time, the logger's bindings, the caller's members, `msg`. The caller passes its members as JSON
 * text (`,"name":value…`, values from `jsonString`, `jsonMs` or numbers), so the hot paths build their
 * line in one template instead of through a general serialiser; the lines of one event-loop turn go to
 * the destination in one write. The members never hold a credential, so redaction has nothing to do.
 *
 * It reads pino's internal state through `pino.symbols` (exported for integrations, not documented):
 * tests/unit/access-log-pino.test.ts pins what it reads on the installed pino. Kept because it pays:
 * each gateway line through `logger.info` instead (same fields, sync destination) cost 13.7k more
 * instructions a request, +6.4 % (bench/instructions.ts with --also, 2026-12-07: 215.7k → 229.4k).
 */
export function accessLogLines(logger: Pick<Logger, 'info'>, message: string): (members: string) => void {
  const internals = logger as unknown as Record<symbol, unknown>;
  const stream = internals[pino.symbols.streamSym] as DestinationStream | undefined;
  const time = internals[pino.symbols.timeSym] as (() => string) | undefined;
  // Not a pino logger (a framework's no-op logger, say): the members as an object, logged the ordinary way.
  if (!stream || !time || !('levels' in logger)) return (members) => logger.info(JSON.parse(`{${members.slice(1)}}`), message);
  const pinoLogger = logger as Logger;
  const bindings = (internals[pino.symbols.chindingsSym] as string | undefined) ?? '';
  const head = `{"level":${pinoLogger.levels.values.info}`;
  const tail = `,"msg":${JSON.stringify(message)}}\n`;
  // pino's default time is epoch milliseconds: its text is made once per millisecond, not per line.
  const epoch = time === pino.stdTimeFunctions.epochTime;
  let lastMs = -1;
  let lastTime = '';
  const timeOf = (): string => {
    if (!epoch) return time();
    const now = Date.now();
    if (now !== lastMs) {
      lastMs = now;
      lastTime = `,"time":${now}`;
    }
    return lastTime;
  };
  let pending = '';
  const flush = () => {
    const lines = pending;
    pending = '';
    stream.write(lines);
  };
  return (members) => {
    if (!pinoLogger.isLevelEnabled('info')) return;
    if (pending === '') setImmediate(flush);
    pending += head + timeOf() + bindings + members + tail;
  };
}

/** `accessLogLines` for a fields object: the general form, for paths where a line's cost matters less. */
export function accessLogWriter(logger: Pick<Logger, 'info'>, message: string): (fields: AccessLogFields) => void {
  const write = accessLogLines(logger, message);
  return (fields) => {
    let members = '';
    for (const name in fields) {
      const value = fields[name];
      if (value === undefined) continue;
      members += `,"${name}":${typeof value === 'string' ? jsonString(value) : value === null || !Number.isFinite(value) ? 'null' : value}`;
    }
    write(members);
  };
}
