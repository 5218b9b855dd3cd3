import { describe, expect, it } from 'vitest';
import { cidrContains, isIpLiteral, isPrivateAddress, parseCidr, parseIp } from './ip-address.ts';

describe('isPrivateAddress', () => {
  it.each([
    '127.0.0.1', '10.0.0.1', '172.16.0.1', '172.31.255.255', '192.168.1.1', '169.254.169.254', '100.64.0.1',
    '0.0.0.0', '224.0.0.1', '255.255.255.255', '::1', '[::1]', '::', 'fe80::1', 'fd00::1', 'fc00::1', 'ff02::1',
    '::ffff:127.0.0.1', '::ffff:10.0.0.1', '64:ff9b::a9fe:a9fe', 'not-an-address',
  ])('%s is private', (a) => expect(isPrivateAddress(a)).toBe(true));

  it.each(['93.184.216.34', '8.8.8.8', '172.32.0.1', '100.128.0.1', '2606:4700::6810:85e5', '::ffff:8.8.8.8'])(
    '%s is public',
    (a) => expect(isPrivateAddress(a)).toBe(false),
  );
});

describe('isIpLiteral', () => {
  it('knows literals from names', () => {
    expect(isIpLiteral('10.0.0.1')).toBe(true);
    expect(isIpLiteral('[::1]')).toBe(true);
    expect(isIpLiteral('ghcr.io')).toBe(false);
    expect(isIpLiteral('1.2.3.4.example')).toBe(false);
  });
});

describe('parseCidr / cidrContains', () => {
  const inside = (cidr: string, ip: string) => cidrContains(parseCidr(cidr)!, parseIp(ip)!);
  it('matches by prefix, per family, with IPv4-mapped IPv6 as IPv4', () => {
    expect(inside('127.0.0.1/32', '127.0.0.1')).toBe(true);
    expect(inside('127.0.0.1/32', '127.0.0.2')).toBe(false);
    expect(inside('127.0.0.1', '::ffff:127.0.0.1')).toBe(true);
    expect(inside('10.0.0.0/8', '10.255.1.2')).toBe(true);
    expect(inside('172.16.0.0/12', '172.32.0.1')).toBe(false);
    expect(inside('172.16.0.0/12', '172.31.0.1')).toBe(true);
    expect(inside('fd00::/8', 'fd12::1')).toBe(true);
    expect(inside('::1', '127.0.0.1')).toBe(false);
    expect(inside('0.0.0.0/0', '8.8.8.8')).toBe(true);
  });
  it('refuses what is not a CIDR', () => {
    for (const bad of ['localhost', '10.0.0.0/33', '::/129', '1.2.3/8', '10.0.0.0/x']) expect(parseCidr(bad), bad).toBeUndefined();
  });
});
