import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { addressKey, MAX_ADDRESS_LENGTH } from '../../src/domain/address-key.js';

describe('addressKey', () => {
  it('keeps an IPv4 address as it is', () => {
    assert.equal(addressKey('203.0.113.7'), '203.0.113.7');
    assert.equal(addressKey('127.0.0.1'), '127.0.0.1');
  });

  it('reads IPv4-mapped IPv6 (how a dual-stack socket reports IPv4) as the IPv4 address', () => {
    assert.equal(addressKey('::ffff:203.0.113.7'), '203.0.113.7');
    assert.equal(addressKey('::FFFF:cb00:7107'), '203.0.113.7');
    assert.equal(addressKey('0:0:0:0:0:ffff:203.0.113.7'), '203.0.113.7');
  });

  it('groups IPv6 by /64, whatever the spelling', () => {
    const key = '2001:db8:1:2::/64';
    for (const address of [
      '2001:db8:1:2::1',
      '2001:DB8:1:2:aaaa:bbbb:cccc:dddd',
      '2001:0db8:0001:0002:0000:0000:0000:0001',
      '2001:db8:1:2:0:0:203.0.113.7',
      '2001:db8:1:2::9%eth0',
    ]) {
      assert.equal(addressKey(address), key, address);
    }
    assert.equal(addressKey('2001:db8:1:3::1'), '2001:db8:1:3::/64');
    assert.equal(addressKey('::1'), '0:0:0:0::/64');
    assert.equal(addressKey('::'), '0:0:0:0::/64');
    assert.equal(addressKey('fe80::1'), 'fe80:0:0:0::/64');
    assert.equal(addressKey('2001:db8::'), '2001:db8:0:0::/64');
  });

  it('keeps anything else short and printable', () => {
    const key = addressKey(`${'x'.repeat(12_000)}`);
    assert.equal(key.length, MAX_ADDRESS_LENGTH);
    assert.equal(addressKey('not\u0000an\naddress'), 'not?an?address');
    assert.equal(addressKey(''), '');
  });
});
