// Every log line a test captures and every secret it creates. In a suite run (`npm test`), the
// runner sets PORTCULLIS_TEST_LOG_DIR; both are then appended to files there, and after the last
// test scripts/check-log-secrets.mjs searches all the logs of the run for every secret and for
// anything shaped like a key, client secret or JWT. A test's own assertions use `lines`.
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../../src/logger.js';

const DIR = process.env.PORTCULLIS_TEST_LOG_DIR;
const LOG_FILE = DIR ? join(DIR, `${process.pid}.log`) : undefined;
const SECRETS_FILE = DIR ? join(DIR, `${process.pid}.secrets`) : undefined;

export interface CapturedLogs {
  /** Every chunk written, as text (a chunk may hold several lines). */
  lines: string[];
  stream: Writable;
}

export function captureLogs(): CapturedLogs {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      const text = String(chunk);
      lines.push(text);
      if (LOG_FILE) appendFileSync(LOG_FILE, text.endsWith('\n') ? text : `${text}\n`);
      done();
    },
  });
  return { lines, stream };
}

/** A logger at `level` (trace: everything) whose lines are captured for the end-of-suite search. */
export function testLogger(level = 'trace'): Logger & { captured: string[] } {
  const { lines, stream } = captureLogs();
  return Object.assign(createLogger(level, stream), { captured: lines });
}

/** A child process's output: its JSON log lines join the run's logs (banners and other text do not). */
export function noteLogText(text: string): void {
  if (!LOG_FILE) return;
  const lines = text.split('\n').filter((line) => line.startsWith('{"level":'));
  if (lines.length > 0) appendFileSync(LOG_FILE, `${lines.join('\n')}\n`);
}

/** Follows a child process's output stream, line by line, into the run's logs (as noteLogText). */
export function followLogs(stream: NodeJS.ReadableStream | null): void {
  if (!LOG_FILE || !stream) return;
  let partial = '';
  stream.on('data', (chunk: Buffer | string) => {
    const text = partial + String(chunk);
    const end = text.lastIndexOf('\n');
    partial = text.slice(end + 1);
    if (end !== -1) noteLogText(text.slice(0, end));
  });
  stream.on('end', () => noteLogText(partial));
}

/** Secrets a test created: the end-of-suite search looks for each (and a key's random part) in every log. */
export function noteSecret(...values: Array<string | null | undefined>): void {
  if (!SECRETS_FILE) return;
  const text = values.filter((v): v is string => typeof v === 'string' && v.length >= 16 && !v.includes('\n')).join('\n');
  if (text) appendFileSync(SECRETS_FILE, `${text}\n`);
}

const SECRET_FIELDS = new Set(['key', 'secret', 'clientSecret', 'client_secret', 'access_token', 'token', 'adminKey', 'privateKey']);

/** Notes every secret-bearing field of a response body (a created key, a client secret, a token). */
export function noteSecretsIn(body: unknown): void {
  if (!SECRETS_FILE || body === null || typeof body !== 'object') return;
  const found: string[] = [];
  const stack: unknown[] = [body];
  while (stack.length > 0) {
    const value = stack.pop();
    if (Array.isArray(value)) stack.push(...value);
    else if (value && typeof value === 'object') {
      for (const [name, inner] of Object.entries(value)) {
        if (typeof inner === 'string' && SECRET_FIELDS.has(name)) found.push(inner);
        else if (inner && typeof inner === 'object') stack.push(inner);
      }
    }
  }
  noteSecret(...found);
}
