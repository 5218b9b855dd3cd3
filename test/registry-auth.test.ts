// The registry client against a real docker-registry behind real auth: the Bearer flow
// with a token server, Basic (htpasswd), CDN-style redirects, and failures injected in
// front of the registry (429, 503, cut bodies, lying digests). In process, through the
// engine's pull, into a real directory store.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImageService, type PullEvent } from '../src/engine/index.ts';
import { LayerStore } from '../src/fs-layers/index.ts';
import { DirBlobStore, DirMetaStore, nodeGunzip } from '../src/fs-layers/node.ts';
import { nodeSha256 } from '../src/registry-client/node.ts';
import { Digest, RegistryClient, type RegistryClientOptions } from '../src/registry-client/index.ts';
import { fixtureInfo, startFaultProxy, startRegistry, type FaultProxy, type TestRegistry } from './support/index.ts';

const dirs: string[] = [];
async function service(opts: RegistryClientOptions): Promise<{ svc: ImageService; blobs: DirBlobStore; meta: DirMetaStore; layers: LayerStore }> {
  const dir = mkdtempSync(join(tmpdir(), 'tabdock-store-'));
  dirs.push(dir);
  const blobs = await DirBlobStore.open(join(dir, 'store'));
  const meta = await DirMetaStore.open(join(dir, 'meta'));
  const layers = new LayerStore({ chunks: await DirBlobStore.open(join(dir, 'chunks')), meta, hasher: nodeSha256, gunzip: nodeGunzip });
  return { svc: new ImageService({ registry: new RegistryClient({ sleep: async () => {}, ...opts }), blobs, meta, layers }), blobs, meta, layers };
}
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('Bearer token flow', () => {
  let reg: TestRegistry;
  beforeAll(async () => {
    reg = await startRegistry({ auth: 'token', privateRepos: ['secret'] });
    await reg.push('multi', 'pub:1', { all: true });
    await reg.push('busybox', 'secret:1');
  });
  afterAll(() => reg?.stop());

  it('pulls anonymously with one token for the whole pull, reused per scope', async () => {
    const { svc } = await service({ insecureRegistries: [reg.host] });
    reg.tokenServer!.reset();
    const r = await svc.pull(`${reg.host}/pub:1`);
    expect(r.image.platform.architecture).toBe('386');
    const reqs = reg.tokenServer!.requests;
    expect(reqs).toHaveLength(1);
    expect(reqs[0]).toMatchObject({ user: null, scopes: ['repository:pub:pull'], granted: ['repository:pub:pull'] });
    await svc.pull(`${reg.host}/pub:1`);
    expect(reg.tokenServer!.requests).toHaveLength(1);
  });

  it('a private repository needs credentials: refused anonymously, pulled with them', async () => {
    const anon = await service({ insecureRegistries: [reg.host] });
    await expect(anon.svc.pull(`${reg.host}/secret:1`)).rejects.toMatchObject({
      code: 'UNAUTHORIZED',
      message: expect.stringContaining(`pull access denied for ${reg.host}/secret, repository does not exist or may require credentials`),
    });
    const { svc } = await service({ insecureRegistries: [reg.host], credentials: () => ({ username: 'tester', password: 'secret' }) });
    const r = await svc.pull(`${reg.host}/secret:1`);
    expect(r.image.id).toBe((await fixtureInfo('busybox')).manifests[0]!.configDigest);
    expect(reg.tokenServer!.requests.at(-1)).toMatchObject({ user: 'tester', granted: ['repository:secret:pull'] });
    const wrong = await service({ insecureRegistries: [reg.host], credentials: () => ({ username: 'tester', password: 'nope' }) });
    await expect(wrong.svc.pull(`${reg.host}/secret:1`)).rejects.toMatchObject({ code: 'UNAUTHORIZED', message: expect.stringContaining(`the credentials for ${reg.host} were refused`) });
  });
});

describe('Basic auth and CDN redirects', () => {
  let reg: TestRegistry;
  beforeAll(async () => {
    reg = await startRegistry({ auth: 'basic', redirect: true });
    await reg.push('busybox', 'bb:1');
  });
  afterAll(() => reg?.stop());

  it('sends Basic credentials to the registry and never to the CDN it redirects to', async () => {
    const anon = await service({ insecureRegistries: [reg.host] });
    await expect(anon.svc.pull(`${reg.host}/bb:1`)).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    const { svc } = await service({ insecureRegistries: [reg.host], credentials: () => ({ username: 'tester', password: 'secret' }) });
    reg.cdn!.reset();
    const r = await svc.pull(`${reg.host}/bb:1`);
    expect(r.image.layers).toHaveLength(1);
    expect(reg.cdn!.requests.length).toBeGreaterThan(0);
    expect(reg.cdn!.authorizationSeen).toBe(false);
  });
});

describe('failures in front of a real registry', () => {
  let reg: TestRegistry;
  let fp: FaultProxy;
  beforeAll(async () => {
    reg = await startRegistry();
    await reg.push('busybox', 'bb:1');
    await reg.push('big', 'big:1');
    fp = await startFaultProxy(reg.url);
  });
  afterAll(async () => {
    await fp?.stop();
    await reg?.stop();
  });

  const opts = () => ({ insecureRegistries: [fp.host] });

  it('waits out a short 429 and a 503, then succeeds', async () => {
    fp.reset();
    fp.setRules([
      { kind: 'rateLimit', match: '/manifests/', times: 1, retryAfter: 1 },
      { kind: 'unavailable', match: '/blobs/', times: 2 },
    ]);
    const { svc } = await service(opts());
    await expect(svc.pull(`${fp.host}/bb:1`)).resolves.toMatchObject({ updated: true });
    expect(fp.requests.filter((r) => r.status === 429)).toHaveLength(1);
    expect(fp.requests.filter((r) => r.status === 503)).toHaveLength(2);
  });

  it('reports a long 429 with its figures instead of waiting hours', async () => {
    fp.reset();
    fp.setRules([{ kind: 'rateLimit', match: '/manifests/', retryAfter: 21600 }]);
    const { svc } = await service(opts());
    const err = await svc.pull(`${fp.host}/bb:1`).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'RATE_LIMITED', retryable: true });
    expect((err as Error).message).toBe(`${fp.host} rate-limited the pull of ${fp.host}/bb:1 (limit 100 pulls per 6 h, 0 remaining, retry after 6 h): wait and try again, or authenticate to get a higher limit`);
    expect(fp.count('/v2/bb/manifests/1')).toBe(1);
  });

  it('gives up after bounded retries of a registry that keeps failing', async () => {
    fp.reset();
    fp.setRules([{ kind: 'unavailable', match: '/manifests/' }]);
    const { svc } = await service({ ...opts(), retries: 2 });
    await expect(svc.pull(`${fp.host}/bb:1`)).rejects.toMatchObject({ code: 'REGISTRY_UNAVAILABLE' });
    expect(fp.count('/v2/bb/manifests/1')).toBe(3);
  });

  it('resumes a cut 32 MiB layer download with Range instead of starting over', async () => {
    const info = await fixtureInfo('big');
    const bigLayer = info.manifests[0]!.layerDigests.at(-1)!;
    fp.reset();
    fp.setRules([{ kind: 'truncate', match: bigLayer, times: 1, afterBytes: 10 << 20 }]);
    const { svc, blobs } = await service(opts());
    const seen: number[] = [];
    const r = await svc.pull(`${fp.host}/big:1`, { onProgress: (e: PullEvent) => void (e.type === 'layer' && e.id === bigLayer.slice(7, 19) && e.status === 'Downloading' && e.done && seen.push(e.done)) });
    expect(r.image.layers.at(-1)!.digest).toBe(bigLayer);
    expect(await blobs.has(Digest.parse(bigLayer))).toBe(true);
    expect(fp.requests.filter((q) => q.path.includes(bigLayer)).length).toBe(2);
    // Progress never went backwards: the second request continued where the first was cut.
    expect(seen.every((v, i) => i === 0 || v >= seen[i - 1]!)).toBe(true);
  });

  it('a pull cut off mid-layer leaves no layer record (only unnamed chunks gc sweeps); the next pull completes', async () => {
    const m = (await fixtureInfo('big')).manifests[0]!;
    const bigLayer = m.layerDigests.at(-1)!;
    fp.reset();
    // Cut at 10 MiB, then every resume refused: the download gives up mid-layer.
    fp.setRules([{ kind: 'truncate', match: bigLayer, times: 1, afterBytes: 10 << 20 }, { kind: 'drop', match: bigLayer }]);
    const { svc, blobs, meta, layers } = await service({ ...opts(), retries: 1 });
    // (the resume's connection closed unanswered: the registry is unreachable)
    await expect(svc.pull(`${fp.host}/big:1`)).rejects.toMatchObject({ code: 'REGISTRY_UNREACHABLE' });
    expect(fp.requests.filter((q) => q.path.includes(bigLayer)).map((q) => q.fault)).toEqual(['truncate', 'drop', 'drop']);
    const bigDiff = Digest.parse(m.diffIds.at(-1)!);
    expect(await layers.has(bigDiff)).toBe(false);
    expect(await meta.keys(`fsl/layer/${bigDiff.hex}`)).toEqual([]);
    expect(await meta.get(`layer/${bigLayer}`)).toBeUndefined();
    expect(await blobs.has(Digest.parse(bigLayer))).toBe(false);
    expect(await svc.list()).toEqual([]);
    // The part that arrived was unpacked into chunks no record names: gc takes them.
    const swept = await layers.gc();
    expect(swept.chunks).toBeGreaterThan(0);
    expect(await layers.chunks.list()).toEqual([]);

    fp.setRules([]);
    const r = await svc.pull(`${fp.host}/big:1`);
    expect(r.image.layers.map((l) => l.diffId)).toEqual(m.diffIds);
    for (const d of m.diffIds) expect(await layers.has(Digest.parse(d))).toBe(true);
    expect(await layers.refs(bigDiff)).toEqual([m.configDigest]);
  });

  it('refuses a manifest whose Docker-Content-Digest lies, and a flipped byte in a blob', async () => {
    fp.reset();
    fp.setRules([{ kind: 'headers', match: '/manifests/', set: { 'docker-content-digest': `sha256:${'0'.repeat(64)}` } }]);
    const a = await service(opts());
    await expect(a.svc.pull(`${fp.host}/bb:1`)).rejects.toMatchObject({ code: 'DIGEST_MISMATCH', message: expect.stringContaining('Docker-Content-Digest') });
    expect(await a.svc.list()).toEqual([]);

    const layer = (await fixtureInfo('busybox')).manifests[0]!.layerDigests[0]!;
    fp.reset();
    fp.setRules([{ kind: 'corrupt', match: layer, atByte: 1000 }]);
    const b = await service(opts());
    await expect(b.svc.pull(`${fp.host}/bb:1`)).rejects.toMatchObject({ code: 'DIGEST_MISMATCH' });
    expect(await b.svc.list()).toEqual([]);
    expect((await b.blobs.list()).map(String)).not.toContain(layer);
  });

  it('fetches the config beside the layers: a bad layer fails the pull while the config is still on its way', async () => {
    const m = (await fixtureInfo('busybox')).manifests[0]!;
    fp.reset();
    let release!: () => void;
    const configHeld = new Promise<void>((r) => (release = r));
    fp.setRules([
      { kind: 'hold', match: m.configDigest, until: configHeld },
      { kind: 'corrupt', match: m.layerDigests[0]!, atByte: 1000 },
    ]);
    const { svc, blobs } = await service(opts());
    try {
      await expect(svc.pull(`${fp.host}/bb:1`)).rejects.toMatchObject({ code: 'DIGEST_MISMATCH' });
      const config = fp.requests.find((r) => r.path.includes(m.configDigest));
      expect(config?.status).toBe(0); // asked for, not answered yet
      expect(await svc.list()).toEqual([]);
      expect(await blobs.list()).toEqual([]);
    } finally {
      release();
    }
  });

  it('pulls by digest and refuses content that does not hash to it', async () => {
    fp.reset();
    fp.setRules([]);
    const info = await fixtureInfo('busybox');
    const { svc } = await service(opts());
    const r = await svc.pull(`${fp.host}/bb@${info.digest}`);
    expect(r.image.repoDigests).toEqual([`${fp.host}/bb@${info.digest}`]);
    expect(r.image.repoTags).toEqual([]);
    fp.reset();
    fp.setRules([{ kind: 'corrupt', match: '/manifests/', atByte: 10 }]);
    const c = await service(opts());
    await expect(c.svc.pull(`${fp.host}/bb@${info.digest}`)).rejects.toMatchObject({ code: 'DIGEST_MISMATCH' });
  });
});
