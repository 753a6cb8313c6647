import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config/config.js';

const trustProxy = (raw: string) => loadConfig({ TRUST_PROXY: raw }, '/srv').trustProxy;

function refusal(raw: string): string {
  try {
    loadConfig({ TRUST_PROXY: raw }, '/srv');
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    assert.equal(error.problems.length, 1, error.message);
    return error.problems[0] ?? '';
  }
  assert.fail(`TRUST_PROXY=${raw} was accepted`);
}

describe('TRUST_PROXY', () => {
  it('is off when unset, false or 0', () => {
    assert.equal(loadConfig({}, '/srv').trustProxy, undefined);
    assert.equal(trustProxy('false'), undefined);
    assert.equal(trustProxy('0'), undefined);
  });

  it('reads a whole number as a hop count, not as the address 0.0.0.1', () => {
    assert.deepEqual(trustProxy('1'), { hops: 1 });
    assert.deepEqual(trustProxy('3'), { hops: 3 });
  });

  it('reads addresses, CIDRs and the named ranges as the proxies’ subnets', () => {
    assert.deepEqual(trustProxy('10.0.0.5, 192.168.0.0/16,fc00::/7,::1'), {
      subnets: ['10.0.0.5/32', '192.168.0.0/16', 'fc00::/7', '::1/128'],
    });
    assert.deepEqual(trustProxy('loopback'), { subnets: ['127.0.0.0/8', '::1/128'] });
    assert.deepEqual(trustProxy('uniquelocal,linklocal'), {
      subnets: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fc00::/7', '169.254.0.0/16', 'fe80::/10'],
    });
  });

  it('refuses true, explaining why and what to give instead', () => {
    const problem = refusal('true');
    assert.match(problem, /TRUST_PROXY=true is refused/);
    assert.match(problem, /any caller could choose/);
    assert.match(problem, /TRUST_PROXY=1/);
    assert.match(problem, /CIDRs/);
  });

  it('refuses yes, a bad CIDR, a hostname or too many hops, naming TRUST_PROXY and the forms', () => {
    for (const raw of [
      'yes',
      '1.2.3.4/99',
      '::1/129',
      '10.0.0.0/8/8',
      'proxy.internal',
      '10.0.0.1,',
      '17',
      '1.5',
    ]) {
      const problem = refusal(raw);
      assert.match(problem, /^TRUST_PROXY must be the number of proxies/, raw);
      assert.ok(problem.includes(`'${raw}'`), problem);
      assert.match(problem, /comma-separated list of their addresses or CIDRs/);
    }
  });
});
