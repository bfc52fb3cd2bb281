// IP allowlist entries: normalised on write (or refused with IP_ALLOWLIST_INVALID), and the compiled
// matcher at the edges of its blocks, for IPv4, IPv6 and IPv4-mapped IPv6.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isPortcullisError } from '../../src/errors/codes.js';
import { bothAllowlists, compileAllowlist, MAX_ALLOWED_IPS, normaliseAllowedIps } from '../../src/lib/ip-allowlist.js';

const allows = (entries: string[], address: string) => compileAllowlist(entries)!.allows(address);

describe('allowedIps entries', () => {
  test('are written in one canonical form, duplicates dropped', () => {
    assert.deepEqual(
      normaliseAllowedIps([
        ' 10.1.2.3/8 ',
        '10.0.0.0/8',
        '192.0.2.7/32',
        '2001:0DB8:0000:0000:0000:0000:0000:0001/128',
        '2001:db8:abcd:12ff::1/48',
        '::ffff:198.51.100.9/120',
        '::ffff:203.0.113.5',
        '0.0.0.0/0',
        '::/0',
        'fe80::1:0:0:1',
      ]),
      ['10.0.0.0/8', '192.0.2.7', '2001:db8::1', '2001:db8:abcd::/48', '198.51.100.0/24', '203.0.113.5', '0.0.0.0/0', '::/0', 'fe80::1:0:0:1'],
    );
  });

  test('anything that is not an address or a CIDR block is refused with IP_ALLOWLIST_INVALID, naming it', () => {
    for (const bad of [
      '',
      'example.com',
      '10.0.0.0/33',
      '10.0.0/8',
      '256.1.1.1',
      '010.0.0.1',
      '10.0.0.1/08',
      '10.0.0.1/-1',
      '2001:db8::/129',
      '2001:db8:::1',
      '1:2:3:4:5:6:7:8:9',
      'fe80::1%eth0',
      '10.0.0.1/',
      '/8',
      '::ffff:10.0.0.0/80',
      '10.0.0.1 /8',
    ]) {
      assert.throws(
        () => normaliseAllowedIps([bad]),
        (error: unknown) => isPortcullisError(error) && error.code === 'IP_ALLOWLIST_INVALID' && error.detail.includes(JSON.stringify(bad.trim()).slice(1, -1)),
        bad,
      );
    }
    assert.throws(() => normaliseAllowedIps(Array.from({ length: MAX_ALLOWED_IPS + 1 }, (_, i) => `10.0.0.${i % 250}`)), /at most 100/);
  });
});

describe('the compiled matcher', () => {
  test('an empty list compiles to nothing: any address, at no cost', () => {
    assert.equal(compileAllowlist([]), undefined);
    assert.equal(compileAllowlist(null), undefined);
  });

  test('IPv4 blocks at their edges', () => {
    assert.equal(allows(['192.0.2.0/24'], '192.0.2.0'), true);
    assert.equal(allows(['192.0.2.0/24'], '192.0.2.255'), true);
    assert.equal(allows(['192.0.2.0/24'], '192.0.3.0'), false);
    assert.equal(allows(['192.0.2.0/24'], '192.0.1.255'), false);
    assert.equal(allows(['192.0.2.6/31'], '192.0.2.7'), true);
    assert.equal(allows(['192.0.2.6/31'], '192.0.2.8'), false);
    assert.equal(allows(['192.0.2.7'], '192.0.2.7'), true);
    assert.equal(allows(['192.0.2.7'], '192.0.2.6'), false);
    assert.equal(allows(['128.0.0.0/1'], '255.255.255.255'), true);
    assert.equal(allows(['128.0.0.0/1'], '127.255.255.255'), false);
    assert.equal(allows(['0.0.0.0/0'], '8.8.8.8'), true);
    assert.equal(allows(['0.0.0.0/0'], '::1'), false, 'an IPv4 block never matches IPv6');
  });

  test('IPv6 blocks at their edges, across 32-bit words', () => {
    assert.equal(allows(['2001:db8::/32'], '2001:db8:ffff:ffff:ffff:ffff:ffff:ffff'), true);
    assert.equal(allows(['2001:db8::/32'], '2001:db9::'), false);
    assert.equal(allows(['2001:db8:0:1::/63'], '2001:db8:0:0:ffff::1'), true);
    assert.equal(allows(['2001:db8:0:1::/63'], '2001:db8:0:2::'), false);
    assert.equal(allows(['2001:db8::8/125'], '2001:db8::f'), true);
    assert.equal(allows(['2001:db8::8/125'], '2001:db8::10'), false);
    assert.equal(allows(['::1'], '::1'), true);
    assert.equal(allows(['::1'], '0:0:0:0:0:0:0:1'), true);
    assert.equal(allows(['::1'], '::2'), false);
    assert.equal(allows(['::/0'], '2001:db8::1'), true);
    assert.equal(allows(['::/0'], '10.0.0.1'), false, 'an IPv6 block never matches IPv4');
    assert.equal(allows(['fe80::/10'], 'fe80::1%eth0'), true, 'a zone in the peer address is ignored');
  });

  test('IPv4-mapped IPv6, as a dual-stack socket reports an IPv4 peer, matches IPv4 rules (and the other way round)', () => {
    assert.equal(allows(['127.0.0.1'], '::ffff:127.0.0.1'), true);
    assert.equal(allows(['10.0.0.0/8'], '::ffff:10.9.8.7'), true);
    assert.equal(allows(['10.0.0.0/8'], '::ffff:11.0.0.1'), false);
    assert.equal(allows(['10.0.0.0/8'], '::ffff:a09:807'), true, 'hex form of the mapped address');
    assert.equal(allows(normaliseAllowedIps(['::ffff:10.0.0.0/104']), '10.200.0.1'), true);
  });

  test('one matcher asked about changing addresses answers each on its own (its last verdict is kept only for the same address)', () => {
    const matcher = compileAllowlist(['10.0.0.0/8'])!;
    for (let i = 0; i < 3; i++) {
      assert.equal(matcher.allows('10.0.0.1'), true);
      assert.equal(matcher.allows('10.0.0.1'), true);
      assert.equal(matcher.allows('11.0.0.1'), false);
      assert.equal(matcher.allows(''), false);
    }
  });

  test('what is not an address is allowed by no list', () => {
    for (const address of ['', 'unknown', '10.0.0', '::g', '1.2.3.4.5']) assert.equal(allows(['0.0.0.0/0', '::/0'], address), false, address);
  });

  test('a key or client and its consumer: both must allow', () => {
    const both = bothAllowlists(compileAllowlist(['10.0.0.0/8']), compileAllowlist(['10.1.0.0/16']))!;
    assert.equal(both.allows('10.1.2.3'), true);
    assert.equal(both.allows('10.2.0.1'), false);
    const only = compileAllowlist(['10.0.0.0/8']);
    assert.equal(bothAllowlists(only, undefined), only);
    assert.equal(bothAllowlists(undefined, only), only);
    assert.equal(bothAllowlists(undefined, undefined), undefined);
  });
});
