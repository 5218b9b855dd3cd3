// The fake-ip resolver's wire format checked with an independent codec (dns-packet).
import dnsPacket from 'dns-packet';
import { describe, expect, it } from 'vitest';
import { FakeIpDns, isFakeIp } from './fake-ip-dns.ts';

const query = (name: string, type: 'A' | 'AAAA' | 'PTR' | 'MX', id = 4242) =>
  new Uint8Array(dnsPacket.encode({ type: 'query', id, flags: dnsPacket.RECURSION_DESIRED, questions: [{ type, name, class: 'IN' }] }));
const decode = (b: Uint8Array | undefined) => dnsPacket.decode(Buffer.from(b!)) as dnsPacket.DecodedPacket & { rcode: string; flags: number };

describe('FakeIpDns', () => {
  it('answers A from 198.18.0.0/15, the same address for the same name, and maps it back', () => {
    const dns = new FakeIpDns();
    const a = decode(dns.answer(query('Dl-CDN.Alpinelinux.org.', 'A')));
    expect(a.id).toBe(4242);
    expect(a.type).toBe('response');
    expect(a.rcode).toBe('NOERROR');
    expect(a.flags & dnsPacket.RECURSION_DESIRED).toBeTruthy();
    // The question comes back as sent (case too: resolvers check it, DNS 0x20).
    expect(a.questions?.[0]).toMatchObject({ name: 'Dl-CDN.Alpinelinux.org', type: 'A' });
    const ans = a.answers?.[0] as { type: string; data: string; ttl: number };
    expect(ans.type).toBe('A');
    expect(isFakeIp(ans.data)).toBe(true);
    expect(ans.ttl).toBe(60);
    expect(dns.nameFor(ans.data)).toBe('dl-cdn.alpinelinux.org');
    const again = decode(dns.answer(query('dl-cdn.alpinelinux.org', 'A', 7)));
    expect((again.answers?.[0] as { data: string }).data).toBe(ans.data);
    const other = decode(dns.answer(query('pypi.org', 'A')));
    expect((other.answers?.[0] as { data: string }).data).not.toBe(ans.data);
    // PTR of a fake address names it.
    const rev = ans.data.split('.').reverse().join('.') + '.in-addr.arpa';
    expect((decode(dns.answer(query(rev, 'PTR'))).answers?.[0] as { data: string }).data).toBe('dl-cdn.alpinelinux.org');
  });

  it('answers AAAA and other types with no records, and SERVFAIL without a relay', () => {
    const dns = new FakeIpDns();
    const six = decode(dns.answer(query('pypi.org', 'AAAA')));
    expect(six.rcode).toBe('NOERROR');
    expect(six.answers).toHaveLength(0);
    expect(decode(dns.answer(query('pypi.org', 'MX'))).answers).toHaveLength(0);
    const down = decode(dns.answer(query('pypi.org', 'A'), false));
    expect(down.rcode).toBe('SERVFAIL');
    expect(down.answers).toHaveLength(0);
  });

  it('answers FORMERR to what it cannot parse and nothing to a non-query', () => {
    const dns = new FakeIpDns();
    const q = query('x.org', 'A');
    expect(decode(dns.answer(q.subarray(0, 16))).rcode).toBe('FORMERR');
    expect(dns.answer(q.subarray(0, 5))).toBeUndefined();
    const resp = dns.answer(q)!;
    expect(dns.answer(resp)).toBeUndefined();
    expect(dns.nameFor('198.18.200.200')).toBeUndefined();
    expect(isFakeIp('198.20.0.1')).toBe(false);
  });
});
