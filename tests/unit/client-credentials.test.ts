// Basic client credentials are form-urlencoded before base64 (RFC 6749 §2.3.1): decoded when they are
// encoded, taken as they are when they are not, refused when the encoding is broken.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readClientCredentials } from '../../src/oauth/clients/credentials.js';

const basic = (text: string) => `Basic ${Buffer.from(text).toString('base64')}`;

test('Basic credentials: plain, form-urlencoded, and broken encodings', () => {
  assert.deepEqual(readClientCredentials(basic('cli_abc:sec_xyz'), new Map()), { method: 'client_secret_basic', clientId: 'cli_abc', secret: 'sec_xyz' });
  assert.deepEqual(readClientCredentials(basic('a%3Ab+c:s%25x+y%2B'), new Map()), { method: 'client_secret_basic', clientId: 'a:b c', secret: 's%x y+' });
  const broken = readClientCredentials(basic('cli_abc:bad%zz'), new Map());
  assert.equal('ok' in broken && broken.error, 'invalid_client');
  const twice = readClientCredentials(basic('cli_abc:s'), new Map([['client_secret', ['s']]]));
  assert.equal('ok' in twice && twice.error, 'invalid_request');
});
