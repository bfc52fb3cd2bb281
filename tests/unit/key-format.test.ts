import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checksumOf, generateKey, hashKey, isWellFormedKey, keyRegex, maskKey } from '../../src/keys/format.js';
import { BASE62_ALPHABET, encodeBase62 } from '../../src/lib/base62.js';

// An independent bitwise CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320).
function referenceCrc32(text: string): number {
  let crc = 0xffffffff;
  for (const byte of Buffer.from(text, 'utf8')) {
    crc ^= byte;
    for (let i = 0; i < 8; i++) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

function referenceBase62(value: number): string {
  let out = '';
  for (let v = value; v > 0; v = Math.floor(v / 62)) out = BASE62_ALPHABET[v % 62] + out;
  return out.padStart(6, '0');
}

test('the key format is <prefix>_<30 random><6 CRC-32 base62>', () => {
  assert.equal(referenceCrc32('123456789'), 0xcbf43926); // the standard check value
  for (const prefix of ['pcl', 'pcs', 'a', 'longprefix1']) {
    for (let i = 0; i < 200; i++) {
      const key = generateKey(prefix);
      assert.match(key, new RegExp(`^${prefix}_[0-9A-Za-z]{36}$`));
      const head = key.slice(0, -6);
      assert.equal(key.slice(-6), referenceBase62(referenceCrc32(head)));
      assert.equal(checksumOf(head), key.slice(-6));
      assert.ok(isWellFormedKey(key, prefix));
      assert.ok(!isWellFormedKey(key, prefix === 'pcl' ? 'pcs' : 'pcl'));
    }
  }
});

test('a key is well formed exactly when its checksum is the CRC-32 of the rest', () => {
  // Random bodies with random checksums, the true checksum, and the true one off by one digit.
  for (let i = 0; i < 2000; i++) {
    const head = `pcl_${generateKey('x').slice(2, 32)}`;
    const truth = referenceBase62(referenceCrc32(head));
    const wrong = truth.slice(0, 5) + (truth[5] === 'z' ? '0' : BASE62_ALPHABET[BASE62_ALPHABET.indexOf(truth[5]!) + 1]);
    const random = generateKey('x').slice(-6);
    assert.ok(isWellFormedKey(head + truth, 'pcl'));
    assert.ok(!isWellFormedKey(head + wrong, 'pcl'));
    assert.equal(isWellFormedKey(head + random, 'pcl'), random === truth);
  }
  const key = generateKey('pcl');
  for (const bad of [key.replace(/.$/, 'é'), `${key.slice(0, 10)}\u0100${key.slice(11)}`, `${key.slice(0, 10)}-${key.slice(11)}`, `${key} `]) {
    assert.ok(!isWellFormedKey(bad, 'pcl'), JSON.stringify(bad));
  }
});

test('the random part uses the whole alphabet and does not repeat', () => {
  const seen = new Set<string>();
  const chars = new Set<string>();
  for (let i = 0; i < 2000; i++) {
    const key = generateKey('pcl');
    seen.add(key);
    for (const c of key.slice(4, 34)) chars.add(c);
  }
  assert.equal(seen.size, 2000);
  assert.equal(chars.size, 62);
});

test('base62 pads and orders like the numbers it encodes', () => {
  assert.equal(encodeBase62(0, 6), '000000');
  assert.equal(encodeBase62(61, 2), '0z');
  assert.equal(encodeBase62(0xffffffff, 6), '4gfFC3');
  assert.ok(encodeBase62(1_700_000_000_000, 8) < encodeBase62(1_700_000_000_001, 8));
});

test('mask, hash and the published regex', () => {
  const key = generateKey('pcl');
  assert.equal(maskKey(key, 'pcl'), `pcl_${key.slice(4, 8)}…${key.slice(-4)}`);
  assert.match(hashKey(key), /^[0-9a-f]{64}$/);
  assert.notEqual(hashKey(key), hashKey(generateKey('pcl')));
  const text = `config: token=${key}; other=pcl_short and ${key}x`;
  assert.deepEqual(text.match(keyRegex('pcl')), [key]);
});
