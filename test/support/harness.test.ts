// Proves the harness on its own, with plain fetch: real registry, real fixtures, token and
// Basic auth, CDN redirects, fault injection.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureInfo, startFaultProxy, startRegistry, WHITEOUT_LAYERS, type TestRegistry } from './index.ts';

const ACCEPT = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.docker.distribution.manifest.v2+json',
].join(', ');

const sha256 = (b: Uint8Array): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

async function getManifest(base: string, repo: string, ref: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${base}/v2/${repo}/manifests/${ref}`, { headers: { accept: ACCEPT, ...headers } });
  const body = new Uint8Array(await res.arrayBuffer());
  return { res, body, json: res.ok ? (JSON.parse(Buffer.from(body).toString()) as Record<string, any>) : undefined };
}

/** Bearer flow by hand (distribution auth spec, token.md): challenge -> token -> retry. */
async function bearerToken(challenge: string, creds?: { user: string; password: string }): Promise<{ status: number; token?: string }> {
  const params = Object.fromEntries([...challenge.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
  const url = new URL(params.realm!);
  url.searchParams.set('service', params.service!);
  if (params.scope) url.searchParams.set('scope', params.scope);
  const headers: Record<string, string> = creds
    ? { authorization: `Basic ${Buffer.from(`${creds.user}:${creds.password}`).toString('base64')}` }
    : {};
  const res = await fetch(url, { headers });
  if (!res.ok) return { status: res.status };
  const body = (await res.json()) as { token: string; access_token: string; expires_in: number; issued_at: string };
  expect(body.access_token).toBe(body.token);
  expect(body.expires_in).toBeGreaterThan(0);
  return { status: res.status, token: body.token };
}

describe('registry, no auth, CDN redirects', () => {
  let reg: TestRegistry;
  beforeAll(async () => {
    reg = await startRegistry({ redirect: true });
  });
  afterAll(async () => {
    const dir = reg.storageDir;
    await reg.stop();
    expect(existsSync(dir)).toBe(false);
    await expect(fetch(`${reg.url}/v2/`)).rejects.toThrow();
  });

  it('serves the busybox fixture exactly as built, blobs via a 307 to the CDN', async () => {
    const info = await fixtureInfo('busybox');
    const pushed = await reg.push('busybox', 'library/busybox:latest');
    expect(pushed.digest).toBe(info.digest);
    const { res, body, json } = await getManifest(reg.url, 'library/busybox', 'latest');
    expect(res.status).toBe(200);
    expect(res.headers.get('docker-content-digest')).toBe(info.digest);
    expect(sha256(body)).toBe(info.digest);
    expect(json!.mediaType ?? res.headers.get('content-type')).toBe('application/vnd.oci.image.manifest.v1+json');
    const m = info.manifests[0]!;
    expect(m.platform).toEqual({ os: 'linux', architecture: '386' });

    const layer = m.layerDigests[0]!;
    const raw = await fetch(`${reg.url}/v2/library/busybox/blobs/${layer}`, { redirect: 'manual' });
    expect(raw.status).toBe(307);
    expect(raw.headers.get('location')).toMatch(new RegExp(`^${reg.cdn!.url}/`));
    const blob = new Uint8Array(await (await fetch(`${reg.url}/v2/library/busybox/blobs/${layer}`)).arrayBuffer());
    expect(sha256(blob)).toBe(layer);
    expect(sha256(gunzipSync(blob))).toBe(m.diffIds[0]);
    expect(sha256(readFileSync(reg.blobPath(layer)))).toBe(layer);
    expect(reg.cdn!.requests.some((r) => r.status === 200)).toBe(true);
    expect(reg.cdn!.authorizationSeen).toBe(false);

    const withAuth = await fetch(raw.headers.get('location')!, { headers: { authorization: 'Bearer x' } });
    expect(withAuth.status).toBe(400);
    expect(reg.cdn!.authorizationSeen).toBe(true);
    reg.cdn!.reset();
  });

  it('serves the multi index with linux/386 and an attestation entry', async () => {
    const info = await fixtureInfo('multi');
    expect((await reg.push('multi', 'library/multi:1', { all: true })).digest).toBe(info.indexDigest);
    const { res, json } = await getManifest(reg.url, 'library/multi', '1');
    expect(res.headers.get('content-type')).toBe('application/vnd.oci.image.index.v1+json');
    const entries = json!.manifests as { digest: string; platform: { architecture: string }; annotations?: Record<string, string> }[];
    expect(entries.map((e) => e.platform.architecture)).toEqual(['amd64', '386', 'arm', 'unknown']);
    expect(entries[3]!.annotations?.['vnd.docker.reference.type']).toBe('attestation-manifest');
    const i386 = info.manifests.find((x) => x.platform.architecture === '386')!;
    const amd64 = info.manifests.find((x) => x.platform.architecture === 'amd64')!;
    expect(i386.diffIds).not.toEqual(amd64.diffIds);
    const byDigest = await getManifest(reg.url, 'library/multi', i386.digest);
    expect(byDigest.res.status).toBe(200);
    expect(byDigest.json!.config.digest).toBe(i386.configDigest);
  });

  it('pushes Docker v2s2 and zstd variants', async () => {
    const v2 = await reg.push('multi-noattest', 'conv/multi:v2s2', { all: true, format: 'v2s2' });
    const list = await getManifest(reg.url, 'conv/multi', 'v2s2');
    expect(list.res.headers.get('docker-content-digest')).toBe(v2.digest);
    expect(list.json!.mediaType).toBe('application/vnd.docker.distribution.manifest.list.v2+json');
    const one = await getManifest(reg.url, 'conv/multi', list.json!.manifests[0].digest);
    expect(one.json!.mediaType).toBe('application/vnd.docker.distribution.manifest.v2+json');
    expect(one.json!.layers[0].mediaType).toBe('application/vnd.docker.image.rootfs.diff.tar.gzip');

    const zinfo = await fixtureInfo('busybox', { zstd: true });
    const z = await reg.push('busybox', 'conv/busybox:zstd', { zstd: true });
    expect(z.digest).toBe(zinfo.digest);
    const zm = await getManifest(reg.url, 'conv/busybox', 'zstd');
    expect(zm.json!.layers[0].mediaType).toBe('application/vnd.oci.image.layer.v1.tar+zstd');
    expect(zinfo.manifests[0]!.diffIds).toEqual((await fixtureInfo('busybox')).manifests[0]!.diffIds);
 
    const tar = await reg.push('busybox', 'conv/busybox:tar', { uncompressed: true });
    const tm = await getManifest(reg.url, 'conv/busybox', tar.digest);
    expect(tm.json!.layers[0].mediaType).toBe('application/vnd.oci.image.layer.v1.tar');
    const tarBlob = await fetch(`${reg.url}/v2/conv/busybox/blobs/${tm.json!.layers[0].digest}`);
    expect(sha256(new Uint8Array(await tarBlob.arrayBuffer()))).toBe(zinfo.manifests[0]!.diffIds[0]);
  });

  it('serves a truncated gzip layer whose digest still verifies', async () => {
    const info = await fixtureInfo('truncated-gzip');
    await reg.push('truncated-gzip', 'bad/truncated:latest');
    const layer = info.manifests[0]!.layerDigests[0]!;
    const blob = new Uint8Array(await (await fetch(`${reg.url}/v2/bad/truncated/blobs/${layer}`)).arrayBuffer());
    expect(sha256(blob)).toBe(layer);
    expect(() => gunzipSync(blob)).toThrow(/unexpected end/);
  });

  it('has the whiteouts layers as written', async () => {
    const info = await fixtureInfo('whiteouts');
    await reg.push('whiteouts', 'library/whiteouts:latest');
    const m = info.manifests[0]!;
    expect(m.layerDigests).toHaveLength(WHITEOUT_LAYERS.length);
    const blob = new Uint8Array(await (await fetch(`${reg.url}/v2/library/whiteouts/blobs/${m.layerDigests[1]}`)).arrayBuffer());
    const names = tarNames(gunzipSync(blob));
    expect(names).toEqual(expect.arrayContaining(['.wh.gone.txt', '.wh.gonedir', 'opaque/.wh..wh..opq', 'dir2file', 'file2dir/inner.txt']));
  });
});

describe('registry with token auth and CDN redirects', () => {
  let reg: TestRegistry;
  beforeAll(async () => {
    reg = await startRegistry({ auth: 'token', users: { alice: 'wonderland' }, privateRepos: ['private/busybox'], redirect: true });
    await reg.push('busybox', 'library/busybox:latest');
    await reg.push('busybox', 'private/busybox:latest');
  });
  afterAll(() => reg.stop());

  it('does the anonymous Bearer flow for public repos, and records token requests', async () => {
    const ts = reg.tokenServer!;
    ts.reset();
    const first = await getManifest(reg.url, 'library/busybox', 'latest');
    expect(first.res.status).toBe(401);
    const challenge = first.res.headers.get('www-authenticate')!;
    expect(challenge).toMatch(/^Bearer realm="http:\/\/127\.0\.0\.1:\d+\/token",service="[^"]+",scope="repository:library\/busybox:pull"/);
    const { token } = await bearerToken(challenge);
    const again = await getManifest(reg.url, 'library/busybox', 'latest', { authorization: `Bearer ${token}` });
    expect(again.res.status).toBe(200);
    const layer = again.json!.layers[0].digest as string;
    const blob = await fetch(`${reg.url}/v2/library/busybox/blobs/${layer}`, { headers: { authorization: `Bearer ${token}` } });
    expect(sha256(new Uint8Array(await blob.arrayBuffer()))).toBe(layer);
    // fetch drops Authorization on the cross-origin 307, as a registry client must.
    expect(blob.redirected).toBe(true);
    expect(reg.cdn!.authorizationSeen).toBe(false);
    expect(ts.requests).toHaveLength(1);
    expect(ts.requests[0]).toMatchObject({ user: null, scopes: ['repository:library/busybox:pull'], granted: ['repository:library/busybox:pull'] });
  });

  it('refuses anonymous access to a private repo and admits its user', async () => {
    const first = await getManifest(reg.url, 'private/busybox', 'latest');
    const challenge = first.res.headers.get('www-authenticate')!;
    const anon = await bearerToken(challenge);
    const denied = await getManifest(reg.url, 'private/busybox', 'latest', { authorization: `Bearer ${anon.token}` });
    expect(denied.res.status).toBe(401);
    expect(denied.res.headers.get('www-authenticate')).toMatch(/insufficient_scope/);
    expect((await bearerToken(challenge, { user: 'alice', password: 'nope' })).status).toBe(401);
    const ok = await bearerToken(challenge, { user: 'alice', password: 'wonderland' });
    expect((await getManifest(reg.url, 'private/busybox', 'latest', { authorization: `Bearer ${ok.token}` })).res.status).toBe(200);
  });
});

describe('registry with Basic auth', () => {
  let reg: TestRegistry;
  beforeAll(async () => {
    reg = await startRegistry({ auth: 'basic', users: { bob: 'builder' } });
    await reg.push('busybox', 'library/busybox:latest');
  });
  afterAll(() => reg.stop());

  it('asks for Basic credentials and accepts the right ones', async () => {
    const anon = await getManifest(reg.url, 'library/busybox', 'latest');
    expect(anon.res.status).toBe(401);
    expect(anon.res.headers.get('www-authenticate')).toMatch(/^Basic realm=/);
    const basic = (p: string) => ({ authorization: `Basic ${Buffer.from(`bob:${p}`).toString('base64')}` });
    expect((await getManifest(reg.url, 'library/busybox', 'latest', basic('wrong'))).res.status).toBe(401);
    expect((await getManifest(reg.url, 'library/busybox', 'latest', basic('builder'))).res.status).toBe(200);
  });
});

describe('fault proxy in front of a registry', () => {
  let reg: TestRegistry;
  beforeAll(async () => {
    reg = await startRegistry();
    await reg.push('busybox', 'library/busybox:latest');
  });
  afterAll(() => reg.stop());

  it('injects 429, 503, truncation, corruption, drops, delays and lying headers, then passes through', async () => {
    const info = await fixtureInfo('busybox');
    const layer = info.manifests[0]!.layerDigests[0]!;
    const blobPath = `/v2/library/busybox/blobs/${layer}`;
    const proxy = await startFaultProxy(reg.url, [
      { kind: 'rateLimit', match: '/manifests/', times: 2, retryAfter: 3 },
      { kind: 'unavailable', match: '/manifests/', times: 1 },
      { kind: 'truncate', match: blobPath, afterBytes: 1000, times: 1 },
      { kind: 'corrupt', match: blobPath, atByte: 5, times: 1 },
    ]);
    try {
      const r1 = await getManifest(proxy.url, 'library/busybox', 'latest');
      expect(r1.res.status).toBe(429);
      expect(r1.res.headers.get('ratelimit-limit')).toBe('100;w=21600');
      expect(r1.res.headers.get('ratelimit-remaining')).toBe('0;w=21600');
      expect(r1.res.headers.get('retry-after')).toBe('3');
      expect((await getManifest(proxy.url, 'library/busybox', 'latest')).res.status).toBe(429);
      expect((await getManifest(proxy.url, 'library/busybox', 'latest')).res.status).toBe(503);
      const ok = await getManifest(proxy.url, 'library/busybox', 'latest');
      expect(ok.res.status).toBe(200);
      expect(sha256(ok.body)).toBe(info.digest);
      expect(proxy.count('/v2/library/busybox/manifests/latest')).toBe(4);

      const cut = await fetch(`${proxy.url}${blobPath}`);
      expect(cut.status).toBe(200);
      await expect(cut.arrayBuffer()).rejects.toThrow();
      const bad = new Uint8Array(await (await fetch(`${proxy.url}${blobPath}`)).arrayBuffer());
      expect(bad.length).toBe(readFileSync(reg.blobPath(layer)).length);
      expect(sha256(bad)).not.toBe(layer);
      const good = new Uint8Array(await (await fetch(`${proxy.url}${blobPath}`)).arrayBuffer());
      expect(sha256(good)).toBe(layer);

      proxy.setRules([{ kind: 'drop', match: '/manifests/', times: 1 }, { kind: 'delay', match: '/manifests/', ms: 300 }]);
      await expect(fetch(`${proxy.url}/v2/library/busybox/manifests/latest`)).rejects.toThrow();
      const t0 = Date.now();
      expect((await getManifest(proxy.url, 'library/busybox', 'latest')).res.status).toBe(200);
      expect(Date.now() - t0).toBeGreaterThanOrEqual(250);

      // hold: not answered until released; then passed through, or dropped with then: 'drop'.
      let release!: () => void;
      const until = new Promise<void>((r) => (release = r));
      proxy.setRules([{ kind: 'hold', match: '/manifests/', until, times: 2 }]);
      let answered = false;
      const held = getManifest(proxy.url, 'library/busybox', 'latest').then((r) => ((answered = true), r));
      await expect.poll(() => proxy.requests.at(-1)?.fault).toBe('hold');
      expect(answered).toBe(false);
      release();
      expect((await held).res.status).toBe(200);
      const until2 = new Promise<void>((r) => (release = r));
      proxy.setRules([{ kind: 'hold', match: '/manifests/', until: until2, then: 'drop', times: 1 }]);
      const dropped = fetch(`${proxy.url}/v2/library/busybox/manifests/latest`);
      release();
      await expect(dropped).rejects.toThrow();

      proxy.setRules([{ kind: 'headers', match: '/manifests/', set: { 'Docker-Content-Digest': `sha256:${'0'.repeat(64)}` } }]);
      const lie = await getManifest(proxy.url, 'library/busybox', 'latest');
      expect(lie.res.headers.get('docker-content-digest')).toBe(`sha256:${'0'.repeat(64)}`);
      expect(sha256(lie.body)).toBe(info.digest);
    } finally {
      await proxy.stop();
    }
  });
});

describe('fixtures', () => {
  it('offer no linux/386 in unemulated, as an index and as a single manifest', async () => {
    const idx = await fixtureInfo('unemulated');
    expect(idx.indexDigest).toBeDefined();
    expect(idx.manifests.map((m) => m.platform)).toEqual([
      { os: 'linux', architecture: 's390x' },
      { os: 'linux', architecture: 'ppc64le' },
    ]);
    const single = await fixtureInfo('unemulated-single');
    expect(single.indexDigest).toBeUndefined();
    expect(single.mediaType).toBe('application/vnd.oci.image.manifest.v1+json');
    expect(single.manifests.map((m) => m.platform)).toEqual([{ os: 'linux', architecture: 's390x' }]);
  });

  it('make big a ~32 MiB incompressible layer', async () => {
    const big = await fixtureInfo('big');
    expect(Math.max(...big.manifests[0]!.layerSizes)).toBeGreaterThan(32 << 20);
  });
});

/** Entry names of an uncompressed tar (ustar/GNU headers; enough for the fixtures). */
function tarNames(tar: Buffer): string[] {
  const names: string[] = [];
  for (let off = 0; off + 512 <= tar.length; ) {
    const h = tar.subarray(off, off + 512);
    if (h.every((b) => b === 0)) break;
    const name = h.subarray(0, 100).toString().replace(/\0.*$/s, '');
    const prefix = h.subarray(345, 500).toString().replace(/\0.*$/s, '');
    const size = parseInt(h.subarray(124, 136).toString().replace(/\0.*$/s, '').trim() || '0', 8);
    names.push((prefix && h.subarray(257, 262).toString() === 'ustar' && h[262] === 0 ? `${prefix}/${name}` : name).replace(/\/$/, ''));
    off += 512 + Math.ceil(size / 512) * 512;
  }
  return names;
}
