// pino, with the places a credential could appear redacted as a second line of defence: our code
// never passes a key or secret to the logger in the first place.
import { pino, type Logger, type DestinationStream } from 'pino';

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

export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino({ level, redact: { paths: REDACT_PATHS, censor: '[redacted]' }, base: { service: 'portcullis' } }, destination);
}

export type { Logger };

/** The values an access-log line carries: short strings, numbers and nulls, never a credential. */
export type AccessLogFields = Record<string, string | number | null | undefined>;

/**
 * A string as JSON. Access-log values are mostly short plain ASCII (ids, methods, paths), which need
 * only quotes; checking that in JS costs a third of what JSON.stringify does for them.
 */
export function jsonString(value: string): string {
  if (value.length > 64) return JSON.stringify(value);
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || c === 0x22 /* " */ || c === 0x5c /* \ */) return JSON.stringify(value);
  }
  return `"${value}"`;
}

/**
 * Writes one access-log line per request straight to the logger's destination, in the same JSON
 * shape pino gives its own lines (level, time, the logger's bindings, the fields, `msg`), and hands
 * the lines of one event-loop turn to the destination in one write. pino's general serialiser and a
 * write per line cost the gateway ~7 µs of CPU a request; this costs under 1 (bench/gateway.ts,
 * "access log off" rows). Field names come from our code, values are JSON-encoded, undefined values
 * are left out as pino does; the fields never hold a credential, so redaction has nothing to do.
 */
export function accessLogWriter(logger: Pick<Logger, 'info'>, message: string): (fields: AccessLogFields) => void {
  const internals = logger as unknown as Record<symbol, unknown>;
  const stream = internals[pino.symbols.streamSym] as DestinationStream | undefined;
  const time = internals[pino.symbols.timeSym] as (() => string) | undefined;
  // Not a pino logger (a framework's no-op logger, say): log through it the ordinary way.
  if (!stream || !time || !('levels' in logger)) return (fields) => logger.info(fields, message);
  const pinoLogger = logger as Logger;
  const bindings = (internals[pino.symbols.chindingsSym] as string | undefined) ?? '';
  const head = `{"level":${pinoLogger.levels.values.info}`;
  const tail = `,"msg":${JSON.stringify(message)}}\n`;
  // Lines of one event-loop turn go to the destination in one write, right after the turn.
  let pending = '';
  const flush = () => {
    const lines = pending;
    pending = '';
    stream.write(lines);
  };
  return (fields) => {
    if (!pinoLogger.isLevelEnabled('info')) return;
    let line = head + time() + bindings;
    for (const name in fields) {
      const value = fields[name];
      if (value === undefined) continue;
      line += `,"${name}":${typeof value === 'string' ? jsonString(value) : value === null || !Number.isFinite(value) ? 'null' : value}`;
    }
    if (pending === '') setImmediate(flush);
    pending += line + tail;
  };
}
