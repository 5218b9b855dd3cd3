/// <reference path="./ws.d.ts" />
// The Wisp relay through the real Node adapter (`startProxyServer`), driven by wisp-js's
// own client over a real WebSocket, to real servers on 127.0.0.1. Refusals are proven to
// come before any connection: the target servers count the connections they accept.
import { createServer as createTcpServer, type Server as TcpServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { request as httpRequest } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { client as wispClient, type ClientConnection } from '@mercuryworkshop/wisp-js/client';
import { startProxyServer, type ProxyServer } from './node-server.ts';
import type { RelayOptions } from './relay-options.ts';
import { WebSocket as WsClient } from 'ws';
import { MAX_CONNECTIONS_PER_CLIENT } from './wisp-relay.ts';

const HostBlocked = 0x48;
const ConnThrottled = 0x49;
const Voluntary = 0x02;

interface Target {
  port: number;
  accepted: number;
  close(): Promise<void>;
}

/** A TCP server on 127.0.0.1 that counts accepts; `serve` decides what each connection gets. */
async function target(serve: (sock: import('node:net').Socket) => void = () => {}): Promise<Target> {
  const t = { port: 0, accepted: 0, close: async () => {} };
  const server: TcpServer = createTcpServer((sock) => {
    t.accepted++;
    sock.on('error', () => {});
    serve(sock);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.port = (server.address() as AddressInfo).port;
  const sockets = new Set<import('node:net').Socket>();
  server.on('connection', (s) => (sockets.add(s), s.on('close', () => sockets.delete(s))));
  t.close = () => new Promise<void>((resolve) => (sockets.forEach((s) => s.destroy()), server.close(() => resolve())));
  return t;
}

/** An HTTP/1.0-style responder: reads a request head, answers `body`, closes. */
const httpServe = (body: Buffer) => (sock: import('node:net').Socket) => {
  let head = '';
  sock.on('data', (d) => {
    head += d.toString('latin1');
    if (head.includes('\r\n\r\n')) sock.end(Buffer.concat([Buffer.from(`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`), body]));
  });
};

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function relay(o: RelayOptions): Promise<{ server: ProxyServer; conn: ClientConnection }> {
  const server = await startProxyServer({ port: 0, relay: o });
  cleanups.push(() => server.close());
  const conn = new wispClient.ClientConnection(`${server.url.replace('http:', 'ws:')}/wisp/`);
  cleanups.push(() => conn.close());
  await new Promise<void>((resolve, reject) => {
    conn.onopen = resolve;
    conn.onerror = () => reject(new Error('no relay'));
  });
  return { server, conn };
}

interface Opened {
  bytes(): Buffer;
  /** The close reason the relay sent. */
  closed: Promise<number>;
  /** The relay's zero-length DATA: the destination accepted. */
  connected: Promise<void>;
  send(s: string | Buffer): void;
}

function open(conn: ClientConnection, host: string, port: number): Opened {
  const stream = conn.create_stream(host, port);
  const chunks: Buffer[] = [];
  let onConnected!: () => void;
  const connected = new Promise<void>((r) => (onConnected = r));
  stream.onmessage = (d) => (d.byteLength === 0 ? onConnected() : chunks.push(Buffer.from(d)));
  const closed = new Promise<number>((r) => (stream.onclose = r));
  return { bytes: () => Buffer.concat(chunks), closed, connected, send: (s) => stream.send(new Uint8Array(Buffer.from(s))) };
}

const GET = 'GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n';

describe('wisp relay', () => {
  it('relays TCP to an allowed loopback address and port, and says when it connected', async () => {
    const body = Buffer.alloc(300_000, 'x');
    const t = await target(httpServe(body));
    cleanups.push(() => t.close());
    const { conn } = await relay({ allow: ['127.0.0.1/32'], ports: [t.port] });
    const s = open(conn, '127.0.0.1', t.port);
    await s.connected;
    s.send(GET);
    expect(await s.closed).toBe(Voluntary);
    const text = s.bytes().toString('latin1');
    expect(text.startsWith('HTTP/1.1 200 OK\r\n')).toBe(true);
    expect(s.bytes().length).toBe(text.indexOf('\r\n\r\n') + 4 + body.length);
    expect(t.accepted).toBe(1);
  });

  it('joins the reads that are ready into larger DATA packets (at most 512 KiB), every byte in order', async () => {
    // 4 MiB written at once: the relay reads it 64 KiB at a time and hands over what has
    // arrived by its next turn as one WebSocket message, so the page takes fewer of them.
    const body = Buffer.alloc(4 * 1024 * 1024);
    for (let i = 0; i < body.length; i += 4) body.writeUInt32LE(i, i);
    const t = await target(httpServe(body));
    cleanups.push(() => t.close());
    const { conn } = await relay({ allow: ['127.0.0.1/32'], ports: [t.port] });
    const sizes: number[] = [];
    const stream = conn.create_stream('127.0.0.1', t.port);
    const chunks: Buffer[] = [];
    stream.onmessage = (d) => void (d.byteLength > 0 && (sizes.push(d.byteLength), chunks.push(Buffer.from(d))));
    const closed = new Promise<number>((r) => (stream.onclose = r));
    stream.send(new Uint8Array(Buffer.from(GET)));
    expect(await closed).toBe(Voluntary);
    const got = Buffer.concat(chunks);
    expect(got.subarray(got.indexOf('\r\n\r\n') + 4).equals(body)).toBe(true);
    expect(Math.max(...sizes)).toBeGreaterThan(64 * 1024);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(512 * 1024);
  });

  it('refuses private and loopback literals before connecting', async () => {
    const t = await target(httpServe(Buffer.from('no')));
    cleanups.push(() => t.close());
    const { conn } = await relay({ ports: [t.port] }); // nothing allowed beyond public
    for (const host of ['127.0.0.1', '10.1.2.3', '::ffff:127.0.0.1', '::1', '169.254.169.254', '0.0.0.0']) {
      expect(await open(conn, host, t.port).closed, host).toBe(HostBlocked);
    }
    expect(t.accepted).toBe(0);
  });

  it('resolves a name itself and refuses one whose answer is loopback, with no connection opened', async () => {
    const t = await target(httpServe(Buffer.from('no')));
    cleanups.push(() => t.close());
    const { conn } = await relay({ ports: [t.port] });
    expect(await open(conn, 'localhost', t.port).closed).toBe(HostBlocked);
    expect(t.accepted).toBe(0);
    // The same name is relayed once its answer is allowed (the check is on the address).
    const { conn: allowed } = await relay({ ports: [t.port], allow: ['127.0.0.1', '::1'] });
    const s = open(allowed, 'localhost', t.port);
    await s.connected;
    expect(t.accepted).toBe(1);
  });

  it('refuses a port off the list before connecting', async () => {
    const listed = await target();
    const other = await target();
    cleanups.push(() => listed.close(), () => other.close());
    const { conn } = await relay({ allow: ['127.0.0.1/32'], ports: [listed.port] });
    expect(await open(conn, '127.0.0.1', other.port).closed).toBe(HostBlocked);
    expect(other.accepted).toBe(0);
  });

  it('holds a client to its stream limit, and frees a slot when a stream closes', async () => {
    const t = await target(); // accepts and holds
    cleanups.push(() => t.close());
    const { server, conn } = await relay({ allow: ['127.0.0.1/32'], ports: [t.port], maxStreams: 2 });
    const a = open(conn, '127.0.0.1', t.port);
    const b = open(conn, '127.0.0.1', t.port);
    await Promise.all([a.connected, b.connected]);
    expect(await open(conn, '127.0.0.1', t.port).closed).toBe(ConnThrottled);
    // Per client, not per WebSocket: a second connection from the same address is limited too.
    const second = new wispClient.ClientConnection(`${server.url.replace('http:', 'ws:')}/wisp/`);
    cleanups.push(() => second.close());
    await new Promise<void>((r) => (second.onopen = r));
    expect(await open(second, '127.0.0.1', t.port).closed).toBe(ConnThrottled);
    expect(t.accepted).toBe(2);
    conn.close(); // its two streams go, and their slots with them
    await expect.poll(async () => {
      const c = open(second, '127.0.0.1', t.port);
      return Promise.race([c.connected.then(() => 'connected'), c.closed.then((r) => `closed ${r}`)]);
    }, { timeout: 20_000, interval: 200 }).toBe('connected');
  });

  it('closes a stream that reaches the byte budget, and refuses new ones', async () => {
    const t = await target(httpServe(Buffer.alloc(200_000, 'y')));
    cleanups.push(() => t.close());
    const { conn } = await relay({ allow: ['127.0.0.1/32'], ports: [t.port], maxBytes: 50_000 });
    const t0 = Date.now();
    const s = open(conn, '127.0.0.1', t.port);
    await s.connected;
    s.send(GET);
    expect(await s.closed).toBe(ConnThrottled);
    // The budget is 50,000 bytes an hour, refilled as time passes: what the stream took
    // meanwhile (a few bytes a second; 2 were seen in CI on a loaded machine) is allowed too.
    const refill = Math.ceil(((Date.now() - t0) * 50_000) / 3_600_000);
    expect(s.bytes().length + GET.length).toBeLessThanOrEqual(50_000 + refill);
    expect(s.bytes().length).toBeGreaterThan(0);
    expect(await open(conn, '127.0.0.1', t.port).closed).toBe(ConnThrottled);
    expect(t.accepted).toBe(1);
  });

  it('answers upgrades only at /wisp/, and refuses origins the proxy refuses', async () => {
    const server = await startProxyServer({ port: 0, allowedOrigins: ['http://page.test'] });
    cleanups.push(() => server.close());
    const status = (path: string, origin: string) =>
      new Promise<number>((resolve) => {
        const u = new URL(server.url);
        const req = httpRequest({
          host: u.hostname, port: u.port, path,
          headers: { Connection: 'Upgrade', Upgrade: 'websocket', Origin: origin, 'Sec-WebSocket-Version': '13', 'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==' },
        });
        req.on('upgrade', (res, sock) => (sock.destroy(), resolve(res.statusCode ?? 0)));
        req.on('response', (res) => (res.resume(), resolve(res.statusCode ?? 0)));
        req.on('error', () => resolve(-1));
        req.end();
      });
    expect(await status('/wisp/', 'http://page.test')).toBe(101);
    expect(await status('/wisp/', 'http://evil.test')).toBe(403);
    expect(await status('/wisp/127.0.0.1:22', 'http://page.test')).toBe(404);
  });

  it('holds a client to its number of relay connections, and frees them as they close', async () => {
    const server = await startProxyServer({ port: 0 });
    cleanups.push(() => server.close());
    const url = `${server.url.replace('http:', 'ws:')}/wisp/`;
    const openOne = () =>
      new Promise<{ ws: WsClient; status: string }>((resolve) => {
        const ws = new WsClient(url);
        ws.on('open', () => resolve({ ws, status: 'open' }));
        ws.on('error', (e) => resolve({ ws, status: String(e?.message) }));
      });
    const held = [];
    for (let i = 0; i < MAX_CONNECTIONS_PER_CLIENT; i++) held.push(await openOne());
    expect(held.every((h) => h.status === 'open')).toBe(true);
    expect((await openOne()).status).toContain('429');
    held[0]!.ws.close();
    await expect.poll(async () => {
      const again = await openOne();
      again.ws.close();
      return again.status;
    }, { timeout: 20_000, interval: 100 }).toBe('open');
    for (const h of held) h.ws.close();
  });
});
