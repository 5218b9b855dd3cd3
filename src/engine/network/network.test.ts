// Unit tests of the platform-neutral network parts: IPAM, the network records and their
// errors, the /etc files, the embedded DNS's answers. The guest and the CLI side are
// test/network.test.ts.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DirMetaStore } from '../../fs-layers/node.ts';
import { EventBus, type EngineEvent } from '../events.ts';
import { EmbeddedDns, readQuestion } from './dns.ts';
import { hostsFile, resolvConf } from './etc-files.ts';
import { allocate, macFor, nextFreePool, parseSubnet, formatSubnet } from './ipam.ts';
import { NetworkService } from './networks.ts';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

async function service(): Promise<{ svc: NetworkService; events: EngineEvent[] }> {
  const d = mkdtempSync(join(tmpdir(), 'tabdock-net-'));
  dirs.push(d);
  const bus = new EventBus();
  const events: EngineEvent[] = [];
  bus.onEvent((e) => events.push(e));
  return { svc: new NetworkService({ meta: await DirMetaStore.open(d), events: bus }), events };
}

describe('ipam', () => {
  it('takes Docker\'s default pools in order and the lowest free address', () => {
    const used = [parseSubnet('172.17.0.0/16')!, parseSubnet('172.18.5.0/24')!];
    expect(formatSubnet(nextFreePool(used)!)).toBe('172.19.0.0/16');
    const s = parseSubnet('10.0.0.9/30')!;
    expect(formatSubnet(s)).toBe('10.0.0.8/30');
    expect(allocate(s, new Set(['10.0.0.9']))).toBe('10.0.0.10');
    expect(allocate(s, new Set(['10.0.0.9', '10.0.0.10']))).toBeUndefined();
    expect(macFor('172.18.0.2')).toBe('02:42:ac:12:00:02');
  });
});

describe('NetworkService', () => {
  it('has bridge, host and none; user networks get the next /16; errors are Docker\'s', async () => {
    const { svc, events } = await service();
    expect((await svc.list()).map((n) => [n.Name, n.Driver]).sort()).toEqual([['bridge', 'bridge'], ['host', 'host'], ['none', 'null']]);
    const a = await svc.create('a');
    expect(a.IPAM.Config).toEqual([{ Subnet: '172.18.0.0/16', Gateway: '172.18.0.1' }]);
    expect(a.Id).toMatch(/^[0-9a-f]{64}$/);
    expect((await svc.create('b', { subnet: '10.5.0.0/24', gateway: '10.5.0.254', internal: true })).IPAM.Config[0]).toEqual({ Subnet: '10.5.0.0/24', Gateway: '10.5.0.254' });
    expect((await svc.create('c')).IPAM.Config[0]!.Subnet).toBe('172.19.0.0/16');
    await expect(svc.create('a')).rejects.toThrow('network with name a already exists');
    await expect(svc.create('d', { subnet: '172.18.1.0/24' })).rejects.toThrow('Pool overlaps with other one on this address space');
    await expect(svc.create('e', { subnet: '10.6.0.0/24', gateway: '10.7.0.1' })).rejects.toThrow('no matching subnet for gateway 10.7.0.1');
    await expect(svc.create('f', { driver: 'overlay' })).rejects.toThrow('plugin "overlay" not found');
    await expect(svc.get('nope')).rejects.toThrow('network nope not found');
    await expect(svc.remove('bridge')).rejects.toThrow('bridge is a pre-defined network and cannot be removed');
    const e = svc.attach(a, { id: 'c1'.padEnd(64, '0'), name: 'one', aliases: [] });
    expect(e.ip).toBe('172.18.0.2');
    expect(svc.attach(a, { id: 'c2'.padEnd(64, '0'), name: 'two', aliases: [] }).ip).toBe('172.18.0.3');
    expect(() => svc.attach(a, { id: 'c3'.padEnd(64, '0'), name: 'three', ip: '172.18.0.2', aliases: [] })).toThrow('Address already in use');
    expect(() => svc.attach(a, { id: 'c3'.padEnd(64, '0'), name: 'three', ip: '10.0.0.1', aliases: [] })).toThrow("It does not belong to any of this network's subnets");
    await expect(svc.remove('a')).rejects.toThrow(`error while removing network: network a id ${a.Id} has active endpoints`);
    expect(Object.keys(svc.inspect(a).Containers)).toHaveLength(2);
    svc.detach(a, 'c1'.padEnd(64, '0'));
    expect(svc.attach(a, { id: 'c4'.padEnd(64, '0'), name: 'four', aliases: [] }).ip).toBe('172.18.0.2'); // freed, taken again
    expect(await svc.prune()).toEqual(['b', 'c']);
    expect(events.filter((x) => x.type === 'network').map((x) => x.action)).toEqual(['create', 'create', 'create', 'connect', 'connect', 'disconnect', 'connect', 'destroy', 'destroy']);
  });
});

describe('/etc files', () => {
  it('writes hosts and resolv.conf as Docker does', () => {
    expect(hostsFile({ hostname: 'h', ip: '172.17.0.2', extraHosts: [{ name: 'x', ip: '1.2.3.4' }] }).split('\n').slice(-3)).toEqual(['1.2.3.4\tx', '172.17.0.2\th', '']);
    expect(resolvConf({ embeddedDns: true, nameservers: ['172.18.0.1'], dns: [], dnsSearch: [], dnsOptions: [] })).toBe('nameserver 127.0.0.11\noptions ndots:0\n');
    expect(resolvConf({ embeddedDns: true, nameservers: [], dns: [], dnsSearch: [], dnsOptions: ['ndots:3'] })).toBe('nameserver 127.0.0.11\noptions ndots:3\n');
    expect(resolvConf({ embeddedDns: false, nameservers: ['172.17.0.1'], dns: ['9.9.9.9'], dnsSearch: ['a.test'], dnsOptions: [] })).toBe('search a.test\nnameserver 9.9.9.9\n');
    expect(resolvConf({ embeddedDns: true, nameservers: [], dns: ['9.9.9.9'], dnsSearch: [], dnsOptions: [] })).toBe('nameserver 127.0.0.11\n# ExtServers: [9.9.9.9]\noptions ndots:0\n');
  });
});

describe('EmbeddedDns', () => {
  // a standard query for web.  A IN, id 0x1234, RD
  const query = (name: string, type = 1) => Uint8Array.from([0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0,
    ...name.split('.').flatMap((l) => [l.length, ...Array.from(l, (c) => c.charCodeAt(0))]), 0, 0, type, 0, 1]);

  it('answers names it knows for a namespace and forwards the rest (and everything from the root relay)', async () => {
    const forwarded: Uint8Array[] = [];
    const from: Array<{ ns: string; src: string }> = [];
    const dns = new EmbeddedDns((ns, name) => (ns === 'n1' && name === 'web' ? ['172.18.0.2', '172.19.0.2'] : undefined), async (q, f) => (forwarded.push(q), from.push(f), Uint8Array.of(9)));
    const a = await dns.answer('n1', query('web'));
    expect([...a.subarray(0, 8)]).toEqual([0x12, 0x34, 0x81, 0x80, 0, 1, 0, 2]);
    expect([...a.subarray(-4)]).toEqual([172, 19, 0, 2]);
    expect(readQuestion(query('WEB'))?.name).toBe('web');
    const aaaa = await dns.answer('n1', query('web', 28));
    expect([...aaaa.subarray(6, 8)]).toEqual([0, 0]);
    expect(await dns.answer('n1', query('example.test'))).toEqual(Uint8Array.of(9));
    expect(await dns.answer('', query('web'), '172.17.0.5')).toEqual(Uint8Array.of(9));
    expect(forwarded).toHaveLength(2);
    expect(from).toEqual([{ ns: 'n1', src: '' }, { ns: '', src: '172.17.0.5' }]); // who asked: for its --dns servers
  });
});
