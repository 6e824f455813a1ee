// The CIDR functions the Terraform checks use (ipaddr.js underneath), with Terraform's strictness.
import { describe, expect, it } from 'vitest';
import { builtins, cidrContains, parseCidr } from '../src/terraform/functions.ts';

describe('CIDR functions', () => {
  it('reads a range as its network, size and prefix, host bits ignored', () => {
    expect(parseCidr('10.8.0.0/20')).toEqual({ base: 0x0a080000, size: 4096, prefix: 20 });
    expect(parseCidr('10.8.3.7/20')).toEqual({ base: 0x0a080000, size: 4096, prefix: 20 });
    expect(parseCidr('0.0.0.0/0')).toEqual({ base: 0, size: 2 ** 32, prefix: 0 });
  });

  it('refuses what Terraform refuses: shorthand, hex, a missing or out-of-range prefix', () => {
    for (const bad of [
      '10.8.0/20',
      '0x0a.8.0.0/20',
      '256.1.1.1/8',
      '10.8.0.0',
      '10.8.0.0/33',
      '10.8.0.0/x',
    ]) {
      expect(() => parseCidr(bad), bad).toThrow(/is not (a CIDR|an IPv4 address)/);
    }
  });

  it('knows which addresses a range holds, and cidrhost counts from its network address', () => {
    expect(cidrContains('10.8.0.0/20', '10.8.15.255')).toBe(true);
    expect(cidrContains('10.8.0.0/20', '10.8.16.0')).toBe(false);
    const { cidrhost } = builtins('.');
    expect(cidrhost?.(['10.8.0.0/20', 5])).toBe('10.8.0.5');
    expect(cidrhost?.(['10.8.0.0/20', 4095])).toBe('10.8.15.255');
    expect(() => cidrhost?.(['10.8.0.0/20', 4096])).toThrow(/out of range/);
  });
});
