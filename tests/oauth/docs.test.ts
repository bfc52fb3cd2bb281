// Every JWT denial code and every OAuth endpoint error is documented in docs/errors.md (the registry
// test covers the admin codes).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { JWT_DENIAL_CODES } from '../../src/oauth/jwt/denials.js';

const docs = readFileSync('docs/errors.md', 'utf8');

test('every JWT denial code is documented with its status', () => {
  for (const [code, status] of Object.entries(JWT_DENIAL_CODES)) {
    assert.match(docs, new RegExp(`^\\| \`${code}\` \\| ${status} \\|`, 'm'), `${code} (${status}) is missing from docs/errors.md`);
  }
});

test('every OAuth endpoint error is documented', () => {
  for (const error of [
    'invalid_request',
    'invalid_client',
    'unauthorized_client',
    'unsupported_grant_type',
    'invalid_scope',
    'invalid_target',
    'slow_down',
    'temporarily_unavailable',
    'server_error',
  ]) {
    assert.match(docs, new RegExp(`^\\| \`${error}\` \\|`, 'm'), error);
  }
});
