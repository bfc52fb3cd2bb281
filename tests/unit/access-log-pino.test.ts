// accessLogLines (src/logger.ts) reads three of pino's internal symbols, which pino exports as
// `pino.symbols` for integrations but does not document: the destination stream, the time function
// and a child's bindings as JSON text. This pins what it relies on, on the installed pino.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { pino } from 'pino';
import { createLogger } from '../../src/logger.js';

const version = createRequire(import.meta.url)('pino/package.json').version as string;

test(`pino ${version} keeps the destination, time function and bindings where the access log reads them`, () => {
  const destination = new Writable({ write: (_chunk, _encoding, done) => done() });
  const child = createLogger('info', destination).child({ api: 'orders' });
  const internals = child as unknown as Record<symbol, unknown>;
  assert.equal(internals[pino.symbols.streamSym], destination);
  assert.equal(internals[pino.symbols.timeSym], pino.stdTimeFunctions.epochTime);
  assert.equal(internals[pino.symbols.chindingsSym], ',"service":"portcullis","api":"orders"');
  assert.equal(child.levels.values.info, 30);
});
