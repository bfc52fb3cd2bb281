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
