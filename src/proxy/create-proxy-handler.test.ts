import { describe, expect, it } from 'vitest';
import { createProxyHandler } from './create-proxy-handler.ts';
import type { FetchLike, ProxyOptions } from './proxy-options.ts';

/**
 * The core with an injected transport: policies that need no socket (DNS answers, other
 * schemes, origins, clocks). The Node adapter's tests cover the same core over real HTTP.
 */
type Call = { url: string; headers: Headers; method: string };

function harness(options: ProxyOptions, answer: (url: string) => Response) {
  const calls: Call[] = [];
  const fetch: FetchLike = async (url, init) => {
    calls.push({ url, headers: new Headers(init.headers), method: init.method ?? 'GET' });
    return answer(url);
  };
  const handler = createProxyHandler({ rateLimit: false, ...options, fetch });
  const get = (path: string, headers: Record<string, string> = {}, ip = '192.0.2.1') =>
    handler(new Request(`http://proxy.test${path}`, { headers }), { ip });
  return { calls, get };
}

const ok = () => new Response('{}', { status: 200, headers: { 'Content-Type': 'application/json' } });
const messageOf = async (res: Response) => ((await res.json()) as { errors: { message: string }[] }).errors[0]!.message;

describe('createProxyHandler', () => {
  it('reaches the default Docker Hub hosts over https', async () => {
    const h = harness({}, ok);
    const res = await h.get('/registry-1.docker.io/v2/library/alpine/manifests/latest');
    expect(res.status).toBe(200);
    expect(h.calls[0]!.url).toBe('https://registry-1.docker.io/v2/library/alpine/manifests/latest');
    expect((await h.get('/auth.docker.io/token?service=registry.docker.io')).status).toBe(200);
    expect(h.calls[1]!.url).toBe('https://auth.docker.io/token?service=registry.docker.io');
    expect(h.calls[0]!.headers.get('accept-encoding')).toBe('identity');
  });

  it('matches *.suffix entries for subdomains only', async () => {
    const h = harness({}, ok);
    const w = harness({ defaultAllow: false, allow: ['*.blobs.test'] }, ok);
    expect((await w.get('/bucket.blobs.test/v2/x')).status).toBe(200);
    expect((await w.get('/blobs.test/v2/x')).status).toBe(403);
    expect((await w.get('/evilblobs.test/v2/x')).status).toBe(403);
  });

  it('reaches only the registries\' own blob buckets by default, not every bucket of a storage service', async () => {
    const h = harness({}, ok);
    expect((await h.get('/docker-images-prod.6aa30f8b08e16409b46e0173d6de2f56.r2.cloudflarestorage.com/v2/x')).status).toBe(200);
    expect((await h.get('/bucket.r2.cloudflarestorage.com/v2/x')).status).toBe(403);
  });

  it('refuses names that resolve to private addresses unless exactly configured', async () => {
    const resolveHost = async (name: string) => (name === 'inside.corp.test' ? ['10.1.2.3'] : ['93.184.216.34']);
    const wild = harness({ allow: ['*.corp.test'], resolveHost }, ok);
    const res = await wild.get('/inside.corp.test/v2/');
    expect(res.status).toBe(403);
    expect(await messageOf(res)).toMatch(/resolves to a private address/);
    expect(wild.calls).toHaveLength(0);
    expect((await wild.get('/outside.corp.test/v2/')).status).toBe(200);

    const exact = harness({ allow: ['inside.corp.test'], resolveHost }, ok);
    expect((await exact.get('/inside.corp.test/v2/')).status).toBe(200);
  });

  it('says a name that does not resolve is out of reach (502, UPSTREAM_UNREACHABLE), not refused', async () => {
    const resolveHost = async (name: string): Promise<string[]> => {
      throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${name}`), { code: 'ENOTFOUND' });
    };
    const h = harness({ allow: ['*.corp.test'], resolveHost }, ok);
    const res = await h.get('/nowhere.corp.test/v2/');
    expect(res.status).toBe(502);
    const body = (await res.json()) as { errors: { message: string; detail: { tabdockProxy: { reason: string; cause: string } } }[] };
    expect(body.errors[0]!.detail.tabdockProxy).toMatchObject({ reason: 'UPSTREAM_UNREACHABLE', cause: expect.stringContaining('cannot resolve nowhere.corp.test') });
    expect(h.calls).toHaveLength(0);
  });

  it('checks every redirect hop against DNS too', async () => {
    const resolveHost = async (name: string) => (name === 'cdn.corp.test' ? ['169.254.169.254'] : ['93.184.216.34']);
    const h = harness({ allow: ['registry.corp.test', '*.corp.test'], resolveHost }, (url) =>
      url.includes('registry.corp.test') ? new Response(null, { status: 307, headers: { Location: 'https://cdn.corp.test/b' } }) : ok(),
    );
    const res = await h.get('/registry.corp.test/v2/x/blobs/sha256:1');
    expect(res.status).toBe(502);
    expect(await messageOf(res)).toMatch(/cdn\.corp\.test.*private address/);
  });

  it('drops Authorization when a redirect leaves the addressed host:port, even on the same name', async () => {
    const h = harness({ allow: ['reg.test', 'reg.test:8443'] }, (url) =>
      url.startsWith('https://reg.test/') ? new Response(null, { status: 302, headers: { Location: 'https://reg.test:8443/blob' } }) : ok(),
    );
    expect((await h.get('/reg.test/v2/x/blobs/sha256:1', { Authorization: 'Bearer s' })).status).toBe(200);
    expect(h.calls[0]!.headers.get('authorization')).toBe('Bearer s');
    expect(h.calls[1]!.url).toBe('https://reg.test:8443/blob');
    expect(h.calls[1]!.headers.get('authorization')).toBeNull();
  });

  it('refuses a redirect down to plain HTTP for a host that is not insecure', async () => {
    const h = harness({ allow: ['reg.test', 'cdn.test'] }, () =>
      new Response(null, { status: 307, headers: { Location: 'http://cdn.test/blob' } }),
    );
    const res = await h.get('/reg.test/v2/x/blobs/sha256:1');
    expect(res.status).toBe(502);
    expect(await messageOf(res)).toMatch(/plain-HTTP redirect to cdn\.test/);
  });

  it('uses plain HTTP only for hosts both allowed and insecure', async () => {
    const h = harness({ allow: ['reg.test:5000'], insecure: ['reg.test:5000', 'other.test:5000'] }, ok);
    await h.get('/reg.test:5000/v2/');
    expect(h.calls[0]!.url).toBe('http://reg.test:5000/v2/');
    expect((await h.get('/other.test:5000/v2/')).status).toBe(403);
  });

  it('serves only configured origins when a list is given', async () => {
    const h = harness({ allowedOrigins: ['https://play.test'] }, ok);
    const good = await h.get('/ghcr.io/v2/', { Origin: 'https://play.test' });
    expect(good.headers.get('access-control-allow-origin')).toBe('https://play.test');
    expect(good.headers.get('vary')).toBe('Origin');
    const bad = await h.get('/ghcr.io/v2/', { Origin: 'https://evil.test' });
    expect(bad.status).toBe(403);
    expect(bad.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('honours a base path', async () => {
    const h = harness({ basePath: '/proxy/' }, ok);
    expect((await h.get('/proxy/ghcr.io/v2/')).status).toBe(200);
    expect(h.calls[0]!.url).toBe('https://ghcr.io/v2/');
    expect((await h.get('/ghcr.io/v2/')).status).toBe(404);
  });

  it('refills the rate bucket with the injected clock', async () => {
    let now = 0;
    const h = harness({ rateLimit: { burst: 1, perSecond: 1 }, now: () => now }, ok);
    expect((await h.get('/ghcr.io/v2/')).status).toBe(200);
    expect((await h.get('/ghcr.io/v2/')).status).toBe(429);
    expect((await h.get('/ghcr.io/v2/', {}, '198.51.100.7')).status).toBe(200); // another client
    now = 1000;
    expect((await h.get('/ghcr.io/v2/')).status).toBe(200);
  });

  it('drops Content-Length when the runtime decoded a Content-Encoding', async () => {
    const h = harness({}, () => new Response('{}', { headers: { 'Content-Encoding': 'gzip', 'Content-Length': '20' } }));
    const res = await h.get('/ghcr.io/v2/');
    expect(res.headers.get('content-length')).toBeNull();
    expect(res.headers.get('content-encoding')).toBeNull();
  });

  it('bounds manifests and tokens more tightly than blobs', async () => {
    const big = () => new Response('z'.repeat(100), { headers: { 'Content-Length': '100' } });
    const h = harness({ maxManifestBytes: 50, maxBlobBytes: 200 }, big);
    expect((await h.get('/ghcr.io/v2/x/manifests/latest')).status).toBe(502);
    expect((await h.get('/ghcr.io/v2/x/blobs/sha256:1')).status).toBe(200);
  });

  it('turns a transport failure into 502 UNAVAILABLE naming the host', async () => {
    const h = harness({}, () => {
      throw new TypeError('fetch failed');
    });
    const res = await h.get('/quay.io/v2/');
    expect(res.status).toBe(502);
    expect(await messageOf(res)).toMatch(/cannot reach quay\.io: fetch failed/);
  });

  it('refuses malformed host segments', async () => {
    const h = harness({}, ok);
    for (const host of ['user@ghcr.io', 'ghcr.io.', '%67hcr.io', 'ghcr.io:99999']) {
      expect((await h.get(`/${host}/v2/`)).status).toBe(403);
    }
    expect(h.calls).toHaveLength(0);
  });
});
