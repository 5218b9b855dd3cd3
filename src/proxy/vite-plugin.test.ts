import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type ViteDevServer } from 'vite';
import { startLoopback, type Loopback } from './test-fixtures.ts';
import { client as wispClient } from '@mercuryworkshop/wisp-js/client';
import { tabdockProxy } from './vite-plugin.ts';

/** A real Vite dev server with the plugin mounted, against a loopback registry. */
let registry: Loopback;
let vite: ViteDevServer;
let root: string;
let base: string;

beforeAll(async () => {
  registry = await startLoopback((_req, res) => {
    res.writeHead(200, { 'Docker-Distribution-API-Version': 'registry/2.0' });
    res.end('{}');
  });
  root = await mkdtemp(join(tmpdir(), 'tabdock-vite-'));
  await writeFile(join(root, 'index.html'), '<!doctype html><title>page</title>');
  vite = await createServer({
    configFile: false,
    root,
    logLevel: 'silent',
    server: { port: 0, host: '127.0.0.1', strictPort: false, hmr: false, ws: false },
    plugins: [tabdockProxy({ env: { TABDOCK_PROXY_ALLOW: registry.host, TABDOCK_INSECURE_REGISTRIES: registry.host, TABDOCK_RELAY_ALLOW: '127.0.0.1/32', TABDOCK_RELAY_PORTS: registry.host.split(':')[1] } })],
  });
  await vite.listen();
  base = vite.resolvedUrls!.local[0]!.replace(/\/$/, '');
});
afterAll(async () => {
  await vite?.close();
  await registry?.close();
  if (root) await rm(root, { recursive: true, force: true });
});

describe('tabdockProxy vite plugin', () => {
  it('serves the proxy under /proxy', async () => {
    const res = await fetch(`${base}/proxy/${registry.host}/v2/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('docker-distribution-api-version')).toBe('registry/2.0');
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
  });

  it('refuses what the proxy must refuse there too', async () => {
    expect((await fetch(`${base}/proxy/evil.example/v2/`)).status).toBe(403);
    expect((await fetch(`${base}/proxy/${registry.host}/v2/`, { method: 'POST' })).status).toBe(405);
  });

  it('leaves other paths to Vite', async () => {
    const res = await fetch(`${base}/`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('<title>page</title>');
  });

  it('serves the Wisp relay at /wisp/ on the same server, with the environment\'s policy', async () => {
    const conn = new wispClient.ClientConnection(`${base.replace('http:', 'ws:')}/wisp/`);
    await new Promise<void>((resolve) => (conn.onopen = resolve));
    const port = Number(registry.host.split(':')[1]);
    const stream = conn.create_stream('127.0.0.1', port);
    const got: Buffer[] = [];
    stream.onmessage = (d) => void got.push(Buffer.from(d));
    const closed = new Promise<number>((r) => (stream.onclose = r));
    stream.send(new TextEncoder().encode('GET /v2/ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'));
    await closed;
    expect(Buffer.concat(got).toString()).toMatch(/^HTTP\/1.1 200 OK/);
    const refused = conn.create_stream('127.0.0.1', port + 1);
    expect(await new Promise<number>((r) => (refused.onclose = r))).toBe(0x48);
    conn.close();
  });
});
