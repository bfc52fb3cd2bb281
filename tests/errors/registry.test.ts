// Every error code in the registry is documented in docs/errors.md, with the same status.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { ERROR_CODES } from '../../src/errors/codes.js';

test('every error code is documented with its status', () => {
  const doc = readFileSync('docs/errors.md', 'utf8');
  for (const [code, { status }] of Object.entries(ERROR_CODES)) {
    const row = new RegExp(`^\\| \`${code}\` \\| ${status} \\|`, 'm');
    assert.match(doc, row, `${code} (${status}) is missing from docs/errors.md`);
  }
});
