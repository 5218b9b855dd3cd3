// The page's network link (src/engine/browser/wisp-link.ts) run in Node against the real
// relay (`startProxyServer`), to real TCP servers on 127.0.0.1. wisp-js's client uses the
// `ws` WebSocket under Node, the browser's in the page: the same code either way.
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import dnsPacket from 'dns-packet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startProxyServer, type ProxyServer } from '../src/proxy/index.ts';
import { LinkConnectError, WispLink, type LinkSocket } from '../src/engine/browser/wisp-link.ts';

const MiB = 1024 * 1024;

/** Loopback TCP server: `GET n` answers n bytes then closes; `PUT n` counts n bytes it reads and answers the count. */
async function echoServer(): Promise<{ port: number; accepted: () => number; closed: () => number; close(): Promise<void> }> {
  let accepted = 0;
  let closed = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((s) => {
    accepted++;
    sockets.add(s);
    s.on('close', () => (sockets.delete(s), closed++));
    s.on('error', () => {});
    let head = '';
    let counting = -1;
    let got = 0;
    s.on('data', (d) => {
      if (counting >= 0) {
        got += d.length;
      } else {
        head += d.toString('latin1');
        const nl = head.indexOf('\n');
        if (nl < 0) return;
        const [verb, n] = head.slice(0, nl).trim().split(' ');
        if (verb === 'GET') return void s.end(Buffer.alloc(Number(n), 0x61));
        counting = Number(n);
        got = Buffer.byteLength(head.slice(nl + 1), 'latin1');
      }
      if (got >= counting) s.end(`got ${got}\n`);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as AddressInfo).port,
    accepted: () => accepted,
    closed: () => closed,
    close: () => new Promise<void>((r) => (sockets.forEach((s) => s.destroy()), server.close(() => r()))),
  };
}

function collect(s: LinkSocket): Promise<Buffer> {
  const chunks: Buffer[] = [];
  s.onData((c) => void chunks.push(Buffer.from(c)));
  return new Promise((resolve) => s.onEnd(() => resolve(Buffer.concat(chunks))));
}

const aQuery = (name: string) => new Uint8Array(dnsPacket.encode({ type: 'query', id: 1, flags: dnsPacket.RECURSION_DESIRED, questions: [{ type: 'A', name, class: 'IN' }] }));

let srv: Awaited<ReturnType<typeof echoServer>>;
let open: ProxyServer; // loopback allowed
let strict: ProxyServer; // public only
const wsUrl = (p: ProxyServer) => `${p.url.replace('http:', 'ws:')}/wisp/`;

beforeAll(async () => {
  srv = await echoServer();
  open = await startProxyServer({ port: 0, relay: { allow: ['127.0.0.1/32', '::1'], ports: [srv.port] } });
  strict = await startProxyServer({ port: 0, relay: { ports: [srv.port] } });
});
afterAll(async () => {
  await open?.close();
  await strict?.close();
  await srv?.close();
});

describe('WispLink', () => {
  it('connects through the relay, with flow control both ways (16 MiB each way)', async () => {
    const link = new WispLink({ url: wsUrl(open) });
    expect(await link.probe()).toBe(true);
    expect(link.available).toBe(true);

    let t = performance.now();
    const down = await link.connect('127.0.0.1', srv.port);
    const got = collect(down);
    await down.write(new TextEncoder().encode(`GET ${16 * MiB}\n`));
    expect((await got).length).toBe(16 * MiB);
    const downMBs = 16 / ((performance.now() - t) / 1000);

    t = performance.now();
    const up = await link.connect('127.0.0.1', srv.port);
    const answer = collect(up);
    await up.write(new TextEncoder().encode(`PUT ${16 * MiB}\n`));
    const block = new Uint8Array(256 * 1024).fill(0x62);
    for (let i = 0; i < 64; i++) await up.write(block);
    expect((await answer).toString()).toBe(`got ${16 * MiB}\n`);
    const upMBs = 16 / ((performance.now() - t) / 1000);
    console.log(`wisp link through the relay on loopback: down ${downMBs.toFixed(1)} MB/s, up ${upMBs.toFixed(1)} MB/s`);
    link.dispose();
  }, 120_000);

  it('keeps the bytes held by pause() when the destination closes: `closed` settles only after they and the end are handed over', async () => {
    const link = new WispLink({ url: wsUrl(open) });
    const s = await link.connect('127.0.0.1', srv.port);
    s.pause();
    const chunks: Uint8Array[] = [];
    let endedAt = -1;
    let closedAt = -1;
    let step = 0;
    s.onData((c) => void chunks.push(c.slice()));
    s.onEnd(() => (endedAt = step++));
    void s.closed.then(() => (closedAt = step++));
    const closedBefore = srv.closed();
    await s.write(new TextEncoder().encode(`GET ${64 * 1024}\n`));
    // The server has closed its end, so the relay has queued the stream's CLOSE; a whole
    // second exchange on the same WebSocket then comes after it (one ordered connection).
    await expect.poll(() => srv.closed(), { timeout: 30_000 }).toBeGreaterThan(closedBefore);
    const other = await link.connect('127.0.0.1', srv.port);
    const got = collect(other);
    await other.write(new TextEncoder().encode('GET 10\n'));
    expect((await got).length).toBe(10);
    await Promise.resolve();
    expect({ closedAt, endedAt, bytes: chunks.length }).toEqual({ closedAt: -1, endedAt: -1, bytes: 0 });
    s.resume();
    await s.closed;
    expect(Buffer.concat(chunks).length).toBe(64 * 1024);
    expect(endedAt).toBe(0);
    expect(closedAt).toBe(1);
    link.dispose();
  }, 60_000);

  it('answers DNS with fake-ip and sends the NAME to the relay, which resolves and checks it', async () => {
    const link = new WispLink({ url: wsUrl(open) });
    const answer = dnsPacket.decode(Buffer.from(await link.resolve(aQuery('localhost'))));
    const fake = (answer.answers?.[0] as { data: string }).data;
    expect(fake).toMatch(/^198\.1[89]\./);
    const before = srv.accepted();
    const s = await link.connect(fake, srv.port); // the relay resolves "localhost" to loopback, allowed here
    const got = collect(s);
    await s.write(new TextEncoder().encode('GET 5\n'));
    expect((await got).toString()).toBe('aaaaa');
    expect(srv.accepted()).toBe(before + 1);
    // The strict relay resolves the same name and refuses it, opening nothing.
    const strictLink = new WispLink({ url: wsUrl(strict) });
    const fake2 = (dnsPacket.decode(Buffer.from(await strictLink.resolve(aQuery('localhost')))).answers?.[0] as { data: string }).data;
    const err = await strictLink.connect(fake2, srv.port).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LinkConnectError);
    expect(err).toMatchObject({ code: 'ECONNREFUSED', errno: 111 });
    expect(srv.accepted()).toBe(before + 1);
    await expect(strictLink.connect('198.19.250.1', srv.port)).rejects.toMatchObject({ code: 'EHOSTUNREACH' });
    link.dispose();
    strictLink.dispose();
  });

  it('maps the host gateway to 127.0.0.1, where the relay\'s loopback policy decides', async () => {
    const link = new WispLink({ url: wsUrl(open), isHostGateway: (ip) => ip === '172.17.0.1' || ip === '172.18.0.1' });
    for (const gw of ['172.17.0.1', '172.18.0.1']) {
      const s = await link.connect(gw, srv.port);
      const got = collect(s);
      await s.write(new TextEncoder().encode('GET 3\n'));
      expect((await got).toString()).toBe('aaa');
    }
    const before = srv.accepted();
    const strictLink = new WispLink({ url: wsUrl(strict) });
    await expect(strictLink.connect('172.17.0.1', srv.port)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    expect(srv.accepted()).toBe(before);
    link.dispose();
    strictLink.dispose();
  });

  it('fails connect() itself for a closed port and a port off the relay\'s list', async () => {
    const link = new WispLink({ url: wsUrl(open) });
    const closedPort = await new Promise<number>((resolve) => {
      const s = createServer();
      s.listen(0, '127.0.0.1', () => {
        const p = (s.address() as AddressInfo).port;
        s.close(() => resolve(p));
      });
    });
    const relay = await startProxyServer({ port: 0, relay: { allow: ['127.0.0.1/32'], ports: [closedPort] } });
    const l2 = new WispLink({ url: wsUrl(relay) });
    await expect(l2.connect('127.0.0.1', closedPort)).rejects.toMatchObject({ code: 'ECONNREFUSED', message: expect.stringContaining('refused the connection') });
    await expect(link.connect('127.0.0.1', 1)).rejects.toMatchObject({ code: 'ECONNREFUSED', message: expect.stringContaining('listed ports') });
    l2.dispose();
    link.dispose();
    await relay.close();
  });

  it('is unavailable without a relay, says so once, fails connect at once and DNS with SERVFAIL', async () => {
    const gone = await startProxyServer({ port: 0, relay: false });
    const url = `${gone.url.replace('http:', 'ws:')}/wisp/`;
    const told: string[] = [];
    const link = new WispLink({ url, onUnavailable: (s) => told.push(s) });
    expect(await link.probe()).toBe(false);
    expect(link.available).toBe(false);
    await expect(link.connect('93.184.216.34', 443)).rejects.toMatchObject({ code: 'ENETUNREACH', errno: 101 });
    expect((dnsPacket.decode(Buffer.from(await link.resolve(aQuery('pypi.org')))) as { rcode?: string }).rcode).toBe('SERVFAIL');
    expect(told).toHaveLength(1);
    expect(told[0]).toContain('no network access');
    await gone.close();
  });
});
