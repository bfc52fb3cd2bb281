// The one Bearer parser answers each caller as its own parser did before they were merged: the
// gateway (token68, any white space trimmed), the OAuth endpoints (token68 between spaces) and the
// admin API (any visible token between spaces). The old parsers are kept here as the reference.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { bearerOf, STRICT_TOKEN68_BEARER, TOKEN68_BEARER, VISIBLE_BEARER } from '../../src/auth/bearer.js';

const TOKEN68 = /^[A-Za-z0-9\-._~+/]+=*$/;
const gatewayBefore = (h: string): string | undefined => {
  if (!h.startsWith('Bearer ') && !/^bearer /i.test(h)) return undefined;
  const token = h.slice(7).trim();
  return TOKEN68.test(token) ? token : '';
};
const oauthBefore = (h: string): string | undefined => /^Bearer[ ]+([A-Za-z0-9\-._~+/]+=*)[ ]*$/i.exec(h)?.[1];
const adminBefore = (h: string): string | undefined => /^Bearer[ ]+([^\s]+)[ ]*$/i.exec(h)?.[1];

/** Headers made of a scheme-like start and the characters the parsers treat differently. */
const header = fc
  .tuple(
    fc.constantFrom('Bearer', 'bearer', 'BEARER', 'Basic', 'Bearerx', ''),
    fc.array(fc.constantFrom(' ', '\t', '\u00a0', 'a', 'Z', '9', '.', '_', '-', '~', '+', '/', '=', '!', ',', '"', 'é'), { maxLength: 12 }),
  )
  .map(([scheme, rest]) => scheme + rest.join(''));

describe('bearerOf', () => {
  it('the gateway and library mode: as the gateway parsed it', () => {
    fc.assert(fc.property(header, (h) => assert.equal(bearerOf(h, TOKEN68_BEARER), gatewayBefore(h))));
    assert.equal(bearerOf(undefined), undefined);
    assert.equal(bearerOf('Bearer  abc.def \t'), 'abc.def');
    assert.equal(bearerOf('Bearer ab!c'), '');
  });

  it('the OAuth endpoints: a token where their pattern matched, none elsewhere', () => {
    fc.assert(fc.property(header, (h) => assert.equal(bearerOf(h, STRICT_TOKEN68_BEARER) || undefined, oauthBefore(h))));
    assert.equal(bearerOf('Bearer \tabc', STRICT_TOKEN68_BEARER) || undefined, undefined);
  });

  it('the admin API: a token where its pattern matched, none elsewhere', () => {
    fc.assert(fc.property(header, (h) => assert.equal(bearerOf(h, VISIBLE_BEARER) || undefined, adminBefore(h))));
    assert.equal(bearerOf('Bearer ab!c', VISIBLE_BEARER), 'ab!c');
  });
});
