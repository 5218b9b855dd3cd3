import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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

  it('says plainly that it does not host the relay', async () => {
    const res = await worker.fetch(new Request('https://edge.test/wisp/', { headers: { Upgrade: 'websocket' } }), {});
    expect(res.status).toBe(501);
    expect(await res.text()).toContain('run `tabdock proxy`');
  });
});
