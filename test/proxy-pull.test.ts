// A browser-style pull through the CORS proxy (the Node adapter, started as the CLI
// starts it) from a real registry behind real token auth, and the proxy's refusals.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ImageService } from '../src/engine/index.ts';
import { LayerStore } from '../src/fs-layers/index.ts';
import { DirBlobStore, DirMetaStore } from '../src/fs-layers/node.ts';
import { startProxyServer, type ProxyServer } from '../src/proxy/index.ts';
import { RegistryClient } from '../src/registry-client/index.ts';
import { fixtureInfo, startRegistry, type TestRegistry } from './support/index.ts';

let reg: TestRegistry;
let proxy: ProxyServer;
let dir: string;

beforeAll(async () => {
  reg = await startRegistry({ auth: 'token', redirect: true });
  await reg.push('multi', 'multi:1', { all: true });
  const realm = new URL(reg.tokenServer!.realm).host;
  const cdn = new URL(reg.cdn!.url).host;
  // Loopback hosts come in only by name, as TABDOCK_PROXY_ALLOW does in the dev server.
  proxy = await startProxyServer({ port: 0, defaultAllow: false, allow: [reg.host, realm, cdn], insecure: [reg.host, realm, cdn] });
  dir = mkdtempSync(join(tmpdir(), 'tabdock-proxy-'));
});
afterAll(async () => {
  await proxy?.close();
  await reg?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('pulling through the CORS proxy', () => {
  it('works end to end: token realm, manifests, CDN-redirected blobs, CORS headers', async () => {
    const seen: string[] = [];
    const browserFetch: typeof fetch = async (input, init) => {
      const url = String(input);
      seen.push(url);
      // A browser sends an Origin and cannot read a response without CORS approval.
      const res = await fetch(url, { ...init, headers: { ...(init?.headers as Record<string, string>), origin: 'http://page.test' } });
      expect(res.headers.get('access-control-allow-origin')).toBeTruthy();
      return res;
    };
    const registry = new RegistryClient({ proxy: proxy.url, fetch: browserFetch });
    const meta = await DirMetaStore.open(join(dir, 'm'));
    // The browser's layer store: no Node inflater, no Node hasher.
    const layers = new LayerStore({ chunks: await DirBlobStore.open(join(dir, 'c')), meta });
    const svc = new ImageService({ registry, blobs: await DirBlobStore.open(join(dir, 'b')), meta, layers });
    reg.cdn!.reset();
    const r = await svc.pull(`${reg.host}/multi:1`);
    const m386 = (await fixtureInfo('multi')).manifests.find((m) => m.platform.architecture === '386')!;
    expect(r.image.layers.map((l) => l.diffId)).toEqual(m386.diffIds);
    expect(seen.length).toBeGreaterThan(3);
    expect(seen.every((u) => u.startsWith(`${proxy.url}/`))).toBe(true);
    expect(reg.cdn!.requests.length).toBeGreaterThan(0);
    expect(reg.cdn!.authorizationSeen).toBe(false);
  });

  it('exposes the headers a registry client needs to read', async () => {
    const res = await fetch(`${proxy.url}/${reg.host}/v2/`, { headers: { origin: 'http://page.test' } });
    expect(res.status).toBe(401);
    const exposed = (res.headers.get('access-control-expose-headers') ?? '').toLowerCase();
    for (const h of ['docker-content-digest', 'www-authenticate', 'content-length', 'content-range', 'ratelimit-limit', 'ratelimit-remaining']) expect(exposed).toContain(h);
    expect(res.headers.get('www-authenticate')).toContain('Bearer realm=');
  });

  it.each([
    ['a host not on the allow list', (p: string) => fetch(`${p}/evil.example/v2/`), 403, /not on the allow list/],
    ['a private address not configured', (p: string) => fetch(`${p}/10.0.0.1/v2/`), 403, /private|allow/],
    ['a loopback port not configured', (p: string) => fetch(`${p}/127.0.0.1:1/v2/`), 403, /allow/],
    ['POST', (p: string) => fetch(`${p}/${reg.host}/v2/`, { method: 'POST' }), 405, /method/i],
    ['a cookie', (p: string) => fetch(`${p}/${reg.host}/v2/`, { headers: { cookie: 'session=1' } }), 400, /cookie/i],
    ['a path outside /v2/ and the token paths', (p: string) => fetch(`${p}/${reg.host}/admin`), 403, /path/i],
  ])('refuses %s with a clear status', async (_what, send, status, message) => {
    const res = await send(proxy.url);
    expect(res.status).toBe(status);
    const body = (await res.json()) as { errors: { code: string; message: string }[] };
    expect(body.errors[0]!.message).toMatch(message);
  });
});
