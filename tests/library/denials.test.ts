// Library mode answers a denial with the gateway's writer: the same problem body, challenge and
// Retry-After (an over-limit credential gets `Retry-After: 1` in both).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AuthMethod, AuthOutcome } from '../../src/auth/types.js';
import { createAuthenticator } from '../../src/index.js';

/** An auth method (the `methods` option's extension point) whose credentials are over their limit. */
const overLimit: AuthMethod = {
  name: 'jwt',
  authenticate: (): AuthOutcome => ({ ok: false, status: 429, code: 'RATE_LIMITED', error: 'invalid_token', description: 'the token is over its limit' }),
};

describe('library mode: denials', () => {
  it('a credential over its limit: 429 with Retry-After, as the gateway answers it', async () => {
    const authenticator = createAuthenticator({
      remote: { url: 'http://127.0.0.1:9', adminKey: 'unused' },
      methods: [overLimit],
      auth: ['jwt'],
      realm: 'orders',
    });
    const headers: Record<string, string> = { authorization: 'Bearer aaa.bbb.ccc', 'x-request-id': 'req-429' };
    const decision = await authenticator.authenticate((name) => headers[name]);
    assert.equal(decision.ok, false);
    if (decision.ok) return;
    assert.equal(decision.status, 429);
    assert.deepEqual(decision.headers, {
      'content-type': 'application/problem+json',
      'cache-control': 'no-store',
      'x-request-id': 'req-429',
      'retry-after': '1',
    });
    assert.equal(decision.body.code, 'CREDENTIAL_LIMITED');
    assert.equal(decision.body.reason, 'RATE_LIMITED');
    assert.equal(decision.body.requestId, 'req-429');
  });
});
