// NodeLink (Node-only) against real sockets on loopback: a TCP connection, the host's
// resolver, and a query sent to a DNS server of the container's choosing (`--dns`).
import { createSocket } from 'node:dgram';
import { createServer, type AddressInfo } from 'node:net';
import dnsPacket from 'dns-packet';
import { describe, expect, it } from 'vitest';
import { LinkConnectError } from './link.ts';
import { NodeLink } from './node-link.ts';

const query = (name: string) => new Uint8Array(dnsPacket.encode({ type: 'query', id: 4242, flags: dnsPacket.RECURSION_DESIRED, questions: [{ type: 'A', name }] }));

describe('NodeLink', () => {
  it('connects to a host port and carries bytes both ways; a closed port is ECONNREFUSED', async () => {
    const server = createServer((s) => s.end('hi from the host\n'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    try {
      const link = new NodeLink();
      const s = await link.connect('127.0.0.1', port);
      const got: Uint8Array[] = [];
      s.onData((c) => got.push(c));
      await new Promise<void>((r) => s.onEnd(r));
      expect(Buffer.concat(got).toString()).toBe('hi from the host\n');
      s.destroy();
      await new Promise((r) => server.close(r));
      const e = await link.connect('127.0.0.1', port).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(LinkConnectError);
      expect((e as LinkConnectError).errno).toBe(111);
    } finally {
      server.close();
    }
  });

  it('answers A for localhost from the host resolver, NXDOMAIN for a name that does not exist', async () => {
    const link = new NodeLink();
    const a = dnsPacket.decode(Buffer.from(await link.resolve(query('localhost'))));
    expect(a.id).toBe(4242);
    expect(a.answers?.map((x) => ('data' in x ? x.data : undefined))).toContain('127.0.0.1');
    const nx = dnsPacket.decode(Buffer.from(await link.resolve(query('no-such-name.invalid'))));
    expect((nx.flags ?? 0) & 0xf).toBe(3); // NXDOMAIN
  });

  it('resolveVia sends the query to the server given and returns its answer', async () => {
    const server = createSocket('udp4');
    server.on('message', (msg, from) => {
      const q = dnsPacket.decode(msg);
      server.send(dnsPacket.encode({ type: 'response', id: q.id, questions: q.questions, answers: [{ type: 'A', name: q.questions![0]!.name, data: '10.20.30.40' }] }), from.port, from.address);
    });
    await new Promise<void>((r) => server.bind(0, '127.0.0.1', r));
    try {
      const a = dnsPacket.decode(Buffer.from(await new NodeLink().resolveVia(query('db.example.test'), `127.0.0.1:${server.address().port}`)));
      expect(a.answers?.[0]).toMatchObject({ name: 'db.example.test', data: '10.20.30.40' });
    } finally {
      server.close();
    }
  });
});
