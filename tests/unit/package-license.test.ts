import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

// The test files run from dist/tests/unit, three levels below the package root.
const root = new URL('../../../', import.meta.url);

test('LICENSE holds the licence package.json declares', () => {
  const declared = (JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as { license: string }).license;
  assert.equal(declared, 'Apache-2.0');
  const text = readFileSync(new URL('LICENSE', root), 'utf8');
  assert.match(text, /^\s*Apache License\s+Version 2\.0, January 2004/);
  assert.match(text, /TERMS AND CONDITIONS FOR USE, REPRODUCTION, AND DISTRIBUTION/);
});
