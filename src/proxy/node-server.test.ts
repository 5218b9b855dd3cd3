import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startProxyServer, type ProxyServer } from './node-server.ts';
import { proxiedUrl } from '../shared/proxied-url.ts';
import { CDN_BYTES, MANIFEST, cdnRoute, endlessClosed, registryRoutes, startLoopback, type Loopback } from './test-fixtures.ts';

let registry: Loopback;
let cdn: Loopback;
let proxy: ProxyServer;
let releaseStream: () => void = () => {};

beforeAll(async () => {
  cdn = await startLoopback(cdnRoute);
  const release = new Promise<void>((r) => (releaseStream = r));
  registry = await startLoopback(registryRoutes(() => cdn.url, release));
  proxy = await startProxyServer({
    port: 0,
    defaultAllow: false,
    allow: [registry.host, cdn.host],
    insecure: [registry.host, cdn.host],
    rateLimit: false,
    maxBlobBytes: 1000,
  });
});
afterAll(async () => {
  releaseStream();
  await Promise.all([proxy?.close(), registry?.close(), cdn?.close()]);
});

const through = (path: string, init?: RequestInit) => fetch(proxiedUrl(proxy.url, `${registry.url}${path}`), init);

async function errorOf(res: Response): Promise<{ code: string; message: string }> {
  const body = (await res.json()) as { errors: { code: string; message: string }[] };
  return body.errors[0]!;
}

describe('node proxy server against loopback registries', () => {
  it('relays a manifest with CORS and exposed registry headers, forwarding only safe headers', async () => {
    const res = await through('/v2/library/alpine/manifests/latest', {
      headers: { Authorization: 'Bearer t0k3n', Accept: 'application/vnd.oci.image.manifest.v1+json', 'X-Forwarded-For': '6.6.6.6', 'X-Other': 'no' },
    });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe(MANIFEST);
    expect(res.headers.get('docker-content-digest')).toBe('sha256:' + 'a'.repeat(64));
    expect(res.headers.get('ratelimit-remaining')).toBe('99;w=21600');
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    const exposed = res.headers.get('access-control-expose-headers') ?? '';
    for (const h of ['Docker-Content-Digest', 'WWW-Authenticate', 'Content-Length', 'Content-Range', 'ratelimit-remaining']) {
      expect(exposed).toContain(h);
    }
    const sent = registry.seen.at(-1)!.headers;
    expect(sent.authorization).toBe('Bearer t0k3n');
    expect(sent.accept).toBe('application/vnd.oci.image.manifest.v1+json');
    expect(sent['x-forwarded-for']).toBeUndefined();
    expect(sent['x-other']).toBeUndefined();
  });

  it.each(['html', 'svg', 'none'])('never serves a %s body as something a browser renders or runs', async (kind) => {
    const res = await through(`/v2/page/${kind}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/octet-stream');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('content-security-policy')).toBe("default-src 'none'; sandbox");
    expect(res.headers.get('content-disposition')).toBe('attachment');
  });

  it('keeps the content types a registry serves', async () => {
    const res = await through('/v2/library/alpine/manifests/latest');
    expect(res.headers.get('content-type')).toBe('application/vnd.oci.image.manifest.v1+json');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    const refused = await fetch(`${proxy.url}/evil.example/v2/`);
    expect(refused.status).toBe(403);
    expect(refused.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('strips Set-Cookie and other upstream headers it does not relay', async () => {
    const res = await through('/v2/');
    expect(res.status).toBe(200);
    expect(res.headers.get('docker-distribution-api-version')).toBe('registry/2.0');
    expect(res.headers.get('set-cookie')).toBeNull();
    expect(res.headers.get('strict-transport-security')).toBeNull();
  });

  it('streams: the first bytes arrive before the upstream has finished', async () => {
    const res = await through('/v2/library/alpine/blobs/sha256:stream');
    const reader = res.body!.getReader();
    const first = await reader.read();
    expect(new TextDecoder().decode(first.value)).toBe('first-chunk;');
    releaseStream();
    let rest = '';
    for (let r = await reader.read(); !r.done; r = await reader.read()) rest += new TextDecoder().decode(r.value);
    expect(rest).toBe('rest');
  });

  it('closes the upstream exchange when the client goes away mid-body', async () => {
    const res = await through('/v2/library/alpine/blobs/sha256:endless');
    const reader = res.body!.getReader();
    await reader.read();
    await reader.cancel();
    await expect(endlessClosed.promise).resolves.toBeUndefined();
  });

  it('answers a CORS preflight itself', async () => {
    const before = registry.seen.length;
    const res = await through('/v2/library/alpine/manifests/latest', {
      method: 'OPTIONS',
      headers: { Origin: 'https://play.example', 'Access-Control-Request-Method': 'GET', 'Access-Control-Request-Headers': 'authorization, range' },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-methods')).toBe('GET, HEAD, OPTIONS');
    expect(res.headers.get('access-control-allow-headers')).toMatch(/Authorization.*Accept.*Range/);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(registry.seen.length).toBe(before);
  });

  it('follows a redirect to an allowed CDN host without sending it Authorization', async () => {
    const res = await through('/v2/library/alpine/blobs/sha256:cdn', { headers: { Authorization: 'Bearer t0k3n' } });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe(CDN_BYTES);
    expect(registry.seen.at(-1)!.headers.authorization).toBe('Bearer t0k3n');
    expect(cdn.seen.at(-1)!.url).toBe('/blob?sig=abc');
    expect(cdn.seen.at(-1)!.headers.authorization).toBeUndefined();
  });

  it('refuses a redirect to a host not on the list with 502 and says why', async () => {
    const res = await through('/v2/library/alpine/blobs/sha256:evil');
    expect(res.status).toBe(502);
    const err = await errorOf(res);
    expect(err.code).toBe('DENIED');
    expect(err.message).toMatch(/tabdock proxy: .*redirected to evil\.example.*not on the allow list/);
  });

  it('gives up after 5 redirect hops', async () => {
    const res = await through('/v2/library/alpine/blobs/sha256:loop');
    expect(res.status).toBe(502);
    expect((await errorOf(res)).message).toMatch(/more than 5 redirects/);
  });

  it.each([
    ['a host not on the list', '/evil.example/v2/', /host evil\.example is not on the allow list/],
    ['a literal loopback address on an unconfigured port', '/127.0.0.1:1/v2/', /127\.0\.0\.1:1 is not on the allow list/],
    ['a private literal address', '/10.0.0.1/v2/', /not on the allow list/],
    ['an IPv6 loopback literal', '/[::1]/v2/', /not on the allow list/],
    ['an integer-encoded address', '/2130706433/v2/', /not a valid host/],
  ])('refuses %s with 403', async (_name, path, message) => {
    const res = await fetch(`${proxy.url}${path}`);
    expect(res.status).toBe(403);
    const err = await errorOf(res);
    expect(err.code).toBe('DENIED');
    expect(err.message).toMatch(message);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
  });

  it.each(['/admin', '/v2/..%2f..%2fadmin', '/'])('refuses the non-registry path %s with 403', async (path) => {
    const res = await through(path);
    expect(res.status).toBe(403);
    expect((await errorOf(res)).message).toMatch(/neither a registry API/);
  });

  it('allows the token paths', async () => {
    const res = await through('/token?service=registry&scope=repository:library/alpine:pull');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ token: 't0k3n' });
  });

  it.each(['POST', 'PUT', 'DELETE', 'PATCH'])('refuses %s with 405', async (method) => {
    const res = await through('/v2/library/alpine/manifests/latest', { method });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('GET, HEAD, OPTIONS');
    expect((await errorOf(res)).code).toBe('UNSUPPORTED');
  });

  it('refuses a request carrying a Cookie with 400', async () => {
    const before = registry.seen.length;
    const res = await through('/v2/', { headers: { Cookie: 'session=1' } });
    expect(res.status).toBe(400);
    expect((await errorOf(res)).message).toMatch(/cookies/);
    expect(registry.seen.length).toBe(before);
  });

  it('refuses a body whose Content-Length exceeds the bound', async () => {
    const res = await through('/v2/library/alpine/blobs/sha256:declared-big');
    expect(res.status).toBe(502);
    const err = await errorOf(res);
    expect(err.code).toBe('SIZE_INVALID');
    expect(err.message).toMatch(/5000 bytes .* limit of 1000/);
  });

  it('cuts a chunked body that grows past the bound', async () => {
    // The cut may land before or after the status line reached us; either way the
    // client must not be handed a complete-looking body.
    const read = through('/v2/library/alpine/blobs/sha256:chunked-big').then((res) => res.arrayBuffer());
    await expect(read).rejects.toThrow();
  });

  it('relays HEAD with the length but no body', async () => {
    const res = await through('/v2/library/alpine/manifests/latest', { method: 'HEAD' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-length')).toBe(String(MANIFEST.length));
  });

  it('relays upstream errors in the registry format unchanged', async () => {
    const res = await through('/v2/library/nope/manifests/latest');
    expect(res.status).toBe(404);
    expect((await errorOf(res)).code).toBe('NAME_UNKNOWN');
  });
});

describe('node proxy server policies that need their own instance', () => {
  it('rate-limits per client with 429 and Retry-After', async () => {
    const p = await startProxyServer({ port: 0, defaultAllow: false, allow: [registry.host], insecure: [registry.host], rateLimit: { burst: 2, perSecond: 0.01 } });
    try {
      const get = () => fetch(proxiedUrl(p.url, `${registry.url}/v2/`));
      expect((await get()).status).toBe(200);
      expect((await get()).status).toBe(200);
      const limited = await get();
      expect(limited.status).toBe(429);
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect((await errorOf(limited)).code).toBe('TOOMANYREQUESTS');
    } finally {
      await p.close();
    }
  });

  it('speaks HTTPS to an allowed host that is not configured insecure (so a plain-HTTP server fails)', async () => {
    const p = await startProxyServer({ port: 0, defaultAllow: false, allow: [registry.host], rateLimit: false });
    try {
      const res = await fetch(proxiedUrl(p.url, `${registry.url}/v2/`));
      expect(res.status).toBe(502);
      expect((await errorOf(res)).code).toBe('UNAVAILABLE');
    } finally {
      await p.close();
    }
  });
});
