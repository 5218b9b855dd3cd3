import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import worker from './edge-worker.ts';
import { startLoopback, type Loopback } from './test-fixtures.ts';

/** The module worker run in Node against a loopback registry, options from its env. */
let registry: Loopback;
beforeAll(async () => {
  registry = await startLoopback((_req, res) => {
    res.writeHead(200, { 'Docker-Distribution-API-Version': 'registry/2.0' });
    res.end('{}');
  });
});
afterAll(() => registry.close());

describe('edge worker', () => {
  it('proxies to hosts its env allows and refuses others', async () => {
    const env = { TABDOCK_PROXY_ALLOW: registry.host, TABDOCK_INSECURE_REGISTRIES: registry.host, TABDOCK_PROXY_RATE_BURST: '1' };
    const ok = await worker.fetch(new Request(`https://edge.test/${registry.host}/v2/`), env);
    expect(ok.status).toBe(200);
    expect(ok.headers.get('docker-distribution-api-version')).toBe('registry/2.0');
    const refused = await worker.fetch(new Request('https://edge.test/evil.example/v2/'), env);
    expect(refused.status).toBe(403);
  });

  it('keeps the rate limit per CF-Connecting-IP across requests with the same env', async () => {
    const env = { TABDOCK_PROXY_ALLOW: registry.host, TABDOCK_INSECURE_REGISTRIES: registry.host, TABDOCK_PROXY_RATE_BURST: '1' };
    const from = (ip: string) => new Request(`https://edge.test/${registry.host}/v2/`, { headers: { 'CF-Connecting-IP': ip } });
    expect((await worker.fetch(from('203.0.113.1'), env)).status).toBe(200);
    expect((await worker.fetch(from('203.0.113.1'), env)).status).toBe(429);
    expect((await worker.fetch(from('203.0.113.2'), env)).status).toBe(200);
  });

  it('checks names over DNS-over-HTTPS: one that resolves to a private address is refused before any connection', async () => {
    const asked: string[] = [];
    const doh = await startLoopback((req, res) => {
      const u = new URL(req.url!, 'http://x');
      const name = u.searchParams.get('name')!;
      const type = u.searchParams.get('type')!;
      asked.push(`${name} ${type}`);
      res.writeHead(200, { 'content-type': 'application/dns-json' });
      if (name === 'inside.registry.test') {
        const Answer = type === 'A' ? [{ name, type: 1, TTL: 60, data: '10.0.0.7' }] : [];
        return void res.end(JSON.stringify({ Status: 0, Answer }));
      }
      res.end(JSON.stringify({ Status: 3 }));
    });
    const spy = vi.spyOn(globalThis, 'fetch');
    try {
      const env = { TABDOCK_PROXY_ALLOW: '*.registry.test', TABDOCK_EDGE_DOH: `http://${doh.host}/dns-query` };
      const privateName = await worker.fetch(new Request('https://edge.test/inside.registry.test/v2/'), env);
      expect(privateName.status).toBe(403);
      expect(await privateName.text()).toContain('resolves to a private address');
      const unknown = await worker.fetch(new Request('https://edge.test/nowhere.registry.test/v2/'), env);
      expect(unknown.status).toBe(502);
      expect(await unknown.text()).toContain('cannot resolve nowhere.registry.test');
      expect(asked.sort()).toEqual(['inside.registry.test A', 'inside.registry.test AAAA', 'nowhere.registry.test A', 'nowhere.registry.test AAAA']);
      // Only the DNS server was asked anything: no connection to either name.
      expect(spy.mock.calls.map(([u]) => new URL(String(u)).host).filter((h) => h !== doh.host)).toEqual([]);
      // The answer is kept for its TTL: asking again asks DNS nothing.
      await worker.fetch(new Request('https://edge.test/inside.registry.test/v2/'), env);
      expect(asked.length).toBe(4);
    } finally {
      spy.mockRestore();
      await doh.close();
    }
  });

  it('says plainly that it does not host the relay', async () => {
    const res = await worker.fetch(new Request('https://edge.test/wisp/', { headers: { Upgrade: 'websocket' } }), {});
    expect(res.status).toBe(501);
    expect(await res.text()).toContain('run `tabdock proxy`');
  });
});
