// http-over-socket against a REAL Node HTTP server over a real TCP connection, adapted to
// the GuestSocket shape (what the agent's `connect` gives the worker).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect, createServer as createTcpServer, type AddressInfo, type Socket } from 'node:net';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpOverSocketError, httpOverSocket, type ByteSocket } from './http-over-socket.ts';

/** A TCP socket in the GuestSocket shape: listeners, FIN, close, pause/resume, write with backpressure. */
export function tcpByteSocket(s: Socket): ByteSocket {
  const closed = new Promise<void>((r) => s.once('close', () => r()));
  s.on('error', () => {});
  return {
    onData(l) {
      const f = (d: Buffer) => l(new Uint8Array(d.buffer, d.byteOffset, d.byteLength));
      s.on('data', f);
      return () => void s.off('data', f);
    },
    onEnd(l) {
      s.on('end', l);
      return () => void s.off('end', l);
    },
    closed,
    write: (d) => new Promise<void>((resolve, reject) => s.write(d, (e) => (e ? reject(e) : resolve()))),
    end: () => void s.end(),
    close: () => void s.destroy(),
    pause: () => void s.pause(),
    resume: () => void s.resume(),
  };
}

let server: Server;
let port: number;
let lastRequest: { method: string; url: string; headers: IncomingMessage['headers']; bodyHash: string; bodyLength: number } | undefined;
const MiB = 1024 * 1024;
const big = Buffer.alloc(16 * MiB);
for (let i = 0; i < big.length; i += 4) big.writeUInt32LE(i, i);

beforeAll(async () => {
  server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const hash = createHash('sha256');
    let n = 0;
    req.on('data', (d: Buffer) => (hash.update(d), (n += d.length)));
    req.on('end', () => {
      lastRequest = { method: req.method!, url: req.url!, headers: req.headers, bodyHash: hash.digest('hex'), bodyLength: n };
      const u = new URL(req.url!, 'http://x');
      if (u.pathname === '/length') return void res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': 5 }).end('hello');
      if (u.pathname === '/chunked') {
        res.writeHead(201, 'Made', { 'X-Kind': 'chunked' }); // no length: Node sends chunked
        res.write('one,');
        setTimeout(() => (res.write('two,'), res.end('three')), 20);
        return;
      }
      if (u.pathname === '/close') {
        // HTTP/1.0 style: no length, no chunking: the body ends when the connection does.
        res.socket!.end('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the end');
        return;
      }
      if (u.pathname === '/big') return void res.writeHead(200, { 'Content-Length': big.length }).end(big);
      if (u.pathname === '/echo') return void res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(lastRequest));
      if (u.pathname === '/empty') return void res.writeHead(204).end();
      res.writeHead(404).end('no');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))));

async function open(): Promise<ByteSocket> {
  const s = connect(port, '127.0.0.1');
  await new Promise<void>((r, j) => (s.once('connect', r), s.once('error', j)));
  return tcpByteSocket(s);
}

const text = async (b: ReadableStream<Uint8Array> | null) => (b ? new Response(b).text() : '');

describe('httpOverSocket', () => {
  it('reads a Content-Length body and sends Connection: close', async () => {
    const r = await httpOverSocket(await open(), { method: 'GET', target: '/length?q=1', headers: [['Host', 'localhost:80'], ['Accept', 'text/plain'], ['Connection', 'keep-alive']] });
    expect(r.status).toBe(200);
    expect(r.headers).toContainEqual(['Content-Type', 'text/plain']);
    expect(await text(r.body)).toBe('hello');
    expect(lastRequest).toMatchObject({ method: 'GET', url: '/length?q=1' });
    expect(lastRequest!.headers['connection']).toBe('close');
    expect(lastRequest!.headers['host']).toBe('localhost:80');
    expect(lastRequest!.headers['accept']).toBe('text/plain');
  });

  it('reads a chunked body as it comes, with the status text', async () => {
    const r = await httpOverSocket(await open(), { method: 'GET', target: '/chunked', headers: [] });
    expect([r.status, r.statusText]).toEqual([201, 'Made']);
    expect(r.headers.find(([k]) => k.toLowerCase() === 'transfer-encoding')?.[1]).toBe('chunked');
    expect(await text(r.body)).toBe('one,two,three');
  });

  it('reads a close-delimited body to the end of the connection', async () => {
    const r = await httpOverSocket(await open(), { method: 'GET', target: '/close', headers: [] });
    expect(await text(r.body)).toBe('until the end');
  });

  it('has no body for HEAD and 204', async () => {
    const h = await httpOverSocket(await open(), { method: 'HEAD', target: '/length', headers: [] });
    expect(h.body).toBeNull();
    expect(h.headers).toContainEqual(['Content-Length', '5']);
    expect((await httpOverSocket(await open(), { method: 'GET', target: '/empty', headers: [] })).status).toBe(204);
  });

  it('streams a POST body (chunked when its length is unknown, as given otherwise)', async () => {
    const parts = ['first ', 'second ', 'third'];
    const body = new ReadableStream<Uint8Array>({
      pull(c) {
        const p = parts.shift();
        if (p === undefined) c.close();
        else c.enqueue(new TextEncoder().encode(p));
      },
    });
    const r = await httpOverSocket(await open(), { method: 'POST', target: '/echo', headers: [['Content-Type', 'text/plain']], body });
    const seen = JSON.parse(await text(r.body));
    expect(seen.headers['transfer-encoding']).toBe('chunked');
    expect(seen.bodyLength).toBe('first second third'.length);
    expect(seen.bodyHash).toBe(createHash('sha256').update('first second third').digest('hex'));
    const fixed = await httpOverSocket(await open(), { method: 'PUT', target: '/echo', headers: [['Content-Length', '3']], body: new Blob(['abc']).stream() });
    const seen2 = JSON.parse(await text(fixed.body));
    expect(seen2).toMatchObject({ method: 'PUT', bodyLength: 3 });
    expect(seen2.headers['content-length']).toBe('3');
  });

  it('carries 16 MiB each way intact', async () => {
    const t0 = performance.now();
    const r = await httpOverSocket(await open(), { method: 'GET', target: '/big', headers: [] });
    const got = new Uint8Array(await new Response(r.body).arrayBuffer());
    expect(got.byteLength).toBe(big.length);
    expect(createHash('sha256').update(got).digest('hex')).toBe(createHash('sha256').update(big).digest('hex'));
    const down = performance.now() - t0;
    const up = await httpOverSocket(await open(), { method: 'POST', target: '/echo', headers: [], body: new Blob([big]).stream() });
    const seen = JSON.parse(await text(up.body));
    expect(seen.bodyLength).toBe(big.length);
    expect(seen.bodyHash).toBe(createHash('sha256').update(big).digest('hex'));
    console.log(`http-over-socket, 16 MiB over loopback TCP: down ${(16 / (down / 1000)).toFixed(0)} MB/s`);
  }, 60_000);

  it('refuses what cannot be sent, and a peer that is not HTTP', async () => {
    await expect(httpOverSocket(await open(), { method: 'GET', target: '/x', headers: [['X-Bad', 'a\r\nInjected: 1']] })).rejects.toBeInstanceOf(HttpOverSocketError);
    await expect(httpOverSocket(await open(), { method: 'GET /x', target: '/x', headers: [] })).rejects.toBeInstanceOf(HttpOverSocketError);
    const raw = await new Promise<{ port: number; close(): void }>((resolve) => {
      const s = createTcpServer((c) => c.end('SSH-2.0-nope\r\n\r\n'));
      s.listen(0, '127.0.0.1', () => resolve({ port: (s.address() as AddressInfo).port, close: () => s.close() }));
    });
    const sock = connect(raw.port, '127.0.0.1');
    await new Promise((r) => sock.once('connect', r));
    await expect(httpOverSocket(tcpByteSocket(sock), { method: 'GET', target: '/', headers: [] })).rejects.toThrow(/did not answer with HTTP/);
    raw.close();
  });
});
