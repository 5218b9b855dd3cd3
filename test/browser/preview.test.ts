/// <reference path="../../src/proxy/ws.d.ts" />
// Port preview in real Chromium: the Service Worker served by the dev server, the page
// bridge, the worker-side code (servePreview + http-over-socket) answering from a REAL
// HTTP server on 127.0.0.1 through a WebSocket-to-TCP hop run here, so bodies of any size
// and shape come from a server the test controls (the same with a container's httpd and the
// real guest: page-network.test.ts).
import { createServer, request as httpRequest, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type { ViteDevServer } from 'vite';
import { WebSocketServer } from 'ws';
import { launchChromium, startDevServer } from '../support/index.ts';

const CONTAINER = 'abcdef123456';
const MiB = 1024 * 1024;
const big = Buffer.alloc(16 * MiB);
for (let i = 0; i < big.length; i += 4) big.writeUInt32LE(i * 2654435761 >>> 0, i);

let app: Server;
let appPort: number;
let hop: WebSocketServer;
let hopPort: number;
let hopConnections = 0;
let dev: { url: string; server: ViteDevServer };
let browser: Browser;
let page: Page;

beforeAll(async () => {
  // The "container's" web server.
  app = createServer((req, res) => {
    const u = new URL(req.url!, 'http://x');
    const chunks: Buffer[] = [];
    req.on('data', (d: Buffer) => chunks.push(d));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      switch (u.pathname) {
        case '/':
          return void res.writeHead(200, { 'Content-Type': 'text/html' }).end('<!doctype html><title>container page</title><h1 id="h">hello from the container</h1><script src="/app.js"></script>');
        case '/app.js':
          return void res.writeHead(200, { 'Content-Type': 'text/javascript' }).end("document.getElementById('h').dataset.js = 'ran';");
        case '/big':
          return void res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': big.length }).end(big);
        case '/chunked':
          res.writeHead(200, { 'Content-Type': 'text/plain' });
          res.write('a-');
          return void setTimeout(() => res.end('b'), 10);
        case '/echo':
          return void res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ method: req.method, length: body.length, sha: createHash('sha256').update(body).digest('hex'), host: req.headers.host, ae: req.headers['accept-encoding'] }));
        case '/go':
          return void res.writeHead(302, { Location: `http://localhost:${appPort}/landed?x=1` }).end();
        case '/landed':
          return void res.writeHead(200).end('landed');
        case '/gz':
          return void res.writeHead(200, { 'Content-Encoding': 'gzip', 'Content-Type': 'text/plain' }).end(gzipSync('unzipped'));
        default:
          return void res.writeHead(404).end('not here');
      }
    });
  });
  await new Promise<void>((r) => app.listen(0, '127.0.0.1', r));
  appPort = (app.address() as AddressInfo).port;

  // The hop: one WebSocket = one TCP connection to 127.0.0.1:<port> (the app's port only).
  hop = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  hop.on('connection', (ws, req) => {
    const port = Number(new URL(req.url!, 'http://x').searchParams.get('port'));
    if (port !== appPort) return ws.close(1008, 'port not allowed');
    hopConnections++;
    const tcp = connect(port, '127.0.0.1');
    tcp.on('data', (d) => ws.send(d));
    tcp.on('end', () => ws.close(1000));
    tcp.on('error', () => ws.close(1011));
    ws.on('message', (d) => void tcp.write(new Uint8Array(d as ArrayBuffer)));
    ws.on('close', () => tcp.destroy());
  });
  await new Promise<void>((r) => hop.on('listening', r));
  hopPort = (hop.address() as { port: number }).port;

  // The relay the dev server mounts at /wisp/ may reach the app's loopback port only.
  dev = await startDevServer({ TABDOCK_RELAY_ALLOW: '127.0.0.1/32', TABDOCK_RELAY_PORTS: String(appPort) });
  browser = await launchChromium();
  page = await browser.newPage();
  page.on('console', (m) => process.env['TABDOCK_DEBUG'] && console.log('[page]', m.text()));
  await page.goto(`${dev.url}test/browser/preview-page.html?hop=ws://127.0.0.1:${hopPort}/&container=${CONTAINER}`);
  await page.waitForFunction(() => document.title !== 'tabdock preview check', null, { timeout: 60_000 });
  expect(await page.title()).toBe('ready');
}, 120_000);
afterAll(async () => {
  delete process.env['TABDOCK_RELAY_ALLOW'];
  delete process.env['TABDOCK_RELAY_PORTS'];
  await browser?.close();
  await dev?.server.close();
  hop?.close();
  app?.closeAllConnections();
  await new Promise<void>((r) => (app ? app.close(() => r()) : r()));
});

const previewBase = () => `${dev.url}__tabdock/preview/${CONTAINER}/${appPort}/`;

it('shows the container\'s page in an iframe, its absolute-path script included', async () => {
  await page.evaluate((src) => {
    const f = document.createElement('iframe');
    f.src = src;
    document.body.append(f);
  }, previewBase());
  const h1 = page.frameLocator('iframe').locator('h1[data-js="ran"]');
  await h1.waitFor({ timeout: 30_000 });
  expect(await h1.textContent()).toBe('hello from the container');
}, 60_000);

it('streams bodies both ways (16 MiB down, 4 MiB up), chunked, redirects and gzip, from inside the preview', async () => {
  const frame = page.frames().find((f) => f.url().startsWith(previewBase()))!;
  const r = await frame.evaluate(async () => {
    const t0 = performance.now();
    const bigBuf = new Uint8Array(await (await fetch('/big')).arrayBuffer());
    const ms = performance.now() - t0;
    const sha = Array.from(new Uint8Array(await crypto.subtle.digest('SHA-256', bigBuf)), (b) => b.toString(16).padStart(2, '0')).join('');
    const up = new Uint8Array(4 * 1024 * 1024).map((_, i) => i % 251);
    const echo = await (await fetch('echo', { method: 'POST', body: up })).json();
    const upSha = Array.from(new Uint8Array(await crypto.subtle.digest('SHA-256', up)), (b) => b.toString(16).padStart(2, '0')).join('');
    const chunked = await (await fetch('chunked')).text();
    const go = await fetch('go');
    const gz = await (await fetch('gz')).text();
    return { size: bigBuf.byteLength, sha, ms, echo, upSha, chunked, goUrl: go.url, goText: await go.text(), gz };
  });
  expect(r.size).toBe(big.length);
  expect(r.sha).toBe(createHash('sha256').update(big).digest('hex'));
  expect(r.echo).toMatchObject({ method: 'POST', length: 4 * MiB, sha: r.upSha, host: `localhost:${appPort}`, ae: 'identity' });
  expect(r.chunked).toBe('a-b');
  expect(r.goUrl).toBe(`${previewBase()}landed?x=1`);
  expect(r.goText).toBe('landed');
  expect(r.gz).toBe('unzipped');
  console.log(`preview: 16 MiB through SW + page + http-over-socket + WebSocket hop in ${r.ms.toFixed(0)} ms (${(16 / (r.ms / 1000)).toFixed(1)} MB/s)`);
}, 120_000);

it('says plainly when no tab runs the container, and refuses WebSocket upgrades with the reason', async () => {
  const before = hopConnections;
  const frame = page.frames().find((f) => f.url().startsWith(previewBase()))!;
  const res = await frame.evaluate(async () => {
    const r = await fetch('/__tabdock/preview/000000000000/80/');
    return { status: r.status, text: await r.text() };
  });
  expect(res.status).toBe(502);
  expect(res.text).toContain('No open tab of this site runs container 000000000000');
  expect(hopConnections).toBe(before);
  const upgrade = await new Promise<{ status: number; body: string }>((resolve) => {
    const u = new URL(previewBase());
    const req = httpRequest({ host: u.hostname, port: u.port, path: u.pathname, headers: { Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Version': '13', 'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==' } });
    req.on('response', (r) => {
      let body = '';
      r.on('data', (d) => (body += d));
      r.on('end', () => resolve({ status: r.statusCode ?? 0, body }));
    });
    req.end();
  });
  expect(upgrade.status).toBe(501);
  expect(upgrade.body).toContain('cannot pass the Service Worker');
}, 60_000);

it('reaches a loopback server through the relay from the page (the link a container\'s wget will use), 16 MiB, and the host gateway', async () => {
  type Got = { status?: number; size?: number; sha?: string; ms?: number; error?: string; message?: string };
  const get = (dst: string, port: number, path: string) =>
    page.evaluate(([d, p, x]) => (globalThis as unknown as { relayGet: (d: string, p: number, x: string) => Promise<Got> }).relayGet(d, p, x), [dst, port, path] as const);
  const r = await get('127.0.0.1', appPort, '/big');
  expect(r).toMatchObject({ status: 200, size: big.length, sha: createHash('sha256').update(big).digest('hex') });
  console.log(`relay from Chromium: 16 MiB from a loopback server in ${r.ms!.toFixed(0)} ms (${(16 / (r.ms! / 1000)).toFixed(1)} MB/s)`);
  expect(await get('172.17.0.1', appPort, '/landed')).toMatchObject({ status: 200, size: 6 });
  // Off the relay's port list: refused before connecting.
  const refused = await get('127.0.0.1', hopPort, '/');
  expect(refused).toMatchObject({ error: 'ECONNREFUSED' });
  expect(refused.message).toContain('listed ports');
}, 120_000);
