// The registry client's edges against real registries (and the real token server), with
// the fault proxy for what a well-behaved registry will not send: a token that expires and
// a registry that challenges again; a mirror that fails and the next one that answers; a
// schema-1 manifest, something that is not an image, and an image whose layer is not a
// filesystem, each refused with a sentence before a byte of it is stored.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImageService } from '../src/engine/index.ts';
import { DirBlobStore, DirMetaStore, nodeGunzip } from '../src/fs-layers/node.ts';
import { LayerStore } from '../src/fs-layers/index.ts';
import { nodeSha256 } from '../src/registry-client/node.ts';
import { RegistryClient, type RegistryClientOptions } from '../src/registry-client/index.ts';
import { startFaultProxy, startRegistry, type FaultProxy, type TestRegistry } from './support/index.ts';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
async function service(opts: RegistryClientOptions): Promise<{ svc: ImageService; blobs: DirBlobStore }> {
  const dir = mkdtempSync(join(tmpdir(), 'tabdock-edges-'));
  dirs.push(dir);
  const blobs = await DirBlobStore.open(join(dir, 'store'));
  const meta = await DirMetaStore.open(join(dir, 'meta'));
  const layers = new LayerStore({ chunks: await DirBlobStore.open(join(dir, 'chunks')), meta, hasher: nodeSha256, gunzip: nodeGunzip });
  return { svc: new ImageService({ registry: new RegistryClient({ sleep: async () => {}, ...opts }), blobs, meta, layers }), blobs };
}

describe('tokens that expire, and a registry that challenges again', () => {
  let reg: TestRegistry;
  let fp: FaultProxy;
  beforeAll(async () => {
    reg = await startRegistry({ auth: 'token' });
    await reg.push('busybox', 'bb:1');
    fp = await startFaultProxy(reg.url);
  });
  afterAll(async () => {
    await fp?.stop();
    await reg?.stop();
  });

  it('fetches a new token once the cached one has expired by its expires_in', async () => {
    let now = Date.now();
    const { svc } = await service({ insecureRegistries: [fp.host], now: () => now });
    reg.tokenServer!.reset();
    await svc.pull(`${fp.host}/bb:1`);
    await svc.pull(`${fp.host}/bb:1`);
    expect(reg.tokenServer!.requests).toHaveLength(1);
    now += 3600_000; // past the 300 s the token server grants
    await svc.pull(`${fp.host}/bb:1`);
    expect(reg.tokenServer!.requests).toHaveLength(2);
  });

  it('answers a fresh challenge to a token the registry no longer takes, once, and goes on', async () => {
    const { svc } = await service({ insecureRegistries: [fp.host] });
    reg.tokenServer!.reset();
    fp.reset();
    await svc.pull(`${fp.host}/bb:1`);
    expect(reg.tokenServer!.requests).toHaveLength(1);
    // The registry's own challenge, sent back to the next manifest request that carries the cached token.
    const challenge = (await fetch(`${reg.url}/v2/`)).headers.get('www-authenticate')!;
    fp.setRules([{ kind: 'status', match: '/manifests/', times: 1, status: 401, headers: { 'www-authenticate': challenge, 'content-type': 'application/json' }, body: '{"errors":[{"code":"UNAUTHORIZED","message":"token expired"}]}' }]);
    await expect(svc.pull(`${fp.host}/bb:1`)).resolves.toMatchObject({ reference: `${fp.host}/bb:1` });
    expect(reg.tokenServer!.requests).toHaveLength(2);
    // The first pull's own challenge, then the refused token and the new one.
    expect(fp.requests.filter((r) => r.path === '/v2/bb/manifests/1').map((r) => r.status)).toEqual([401, 200, 401, 200]);
    // A registry that keeps refusing is not asked forever: one fresh token, then the error.
    fp.setRules([{ kind: 'status', match: '/manifests/', status: 401, headers: { 'www-authenticate': challenge }, body: '' }]);
    await expect(svc.pull(`${fp.host}/bb:1`)).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
  });
});

describe('registry mirrors', () => {
  let mirror: TestRegistry;
  let broken: FaultProxy;
  beforeAll(async () => {
    mirror = await startRegistry();
    await mirror.push('busybox', 'library/busybox:latest');
    broken = await startFaultProxy(mirror.url);
  });
  afterAll(async () => {
    await broken?.stop();
    await mirror?.stop();
  });

  it('fails over from a mirror that answers 503 to the next, and never reaches Docker Hub', async () => {
    broken.setRules([{ kind: 'unavailable', match: '/v2/' }]);
    const { svc } = await service({ mirrors: [`http://${broken.host}`, `http://${mirror.host}`], retries: 1 });
    const r = await svc.pull('busybox');
    expect(r.canonical).toBe('docker.io/library/busybox:latest');
    expect(broken.requests.length).toBeGreaterThan(0);
    expect(broken.requests.every((q) => q.status === 503)).toBe(true);
  });

  it('fails over from a mirror whose connection drops', async () => {
    broken.reset();
    broken.setRules([{ kind: 'drop', match: '/v2/' }]);
    const { svc } = await service({ mirrors: [`http://${broken.host}`, `http://${mirror.host}`], retries: 1 });
    await expect(svc.pull('busybox')).resolves.toMatchObject({ canonical: 'docker.io/library/busybox:latest' });
    expect(broken.requests.map((q) => q.fault)).toContain('drop');
  });
});

describe('what is not a pullable image is refused', () => {
  let reg: TestRegistry;
  let fp: FaultProxy;
  beforeAll(async () => {
    reg = await startRegistry();
    fp = await startFaultProxy(reg.url);
  });
  afterAll(async () => {
    await fp?.stop();
    await reg?.stop();
  });

  const serve = (contentType: string, manifest: unknown) =>
    fp.setRules([{ kind: 'status', match: '/manifests/', status: 200, headers: { 'content-type': contentType }, body: JSON.stringify(manifest) }]);
  const digest = `sha256:${'a'.repeat(64)}`;

  it.each([
    ['a schema-1 manifest', 'application/vnd.docker.distribution.manifest.v1+prettyjws', { schemaVersion: 1, name: 'x', tag: '1', architecture: '386', fsLayers: [], history: [], signatures: [] },
      'MANIFEST_UNSUPPORTED', 'uses Docker image manifest schema 1, which is deprecated and not supported; push it again with a current tool'],
    ['an artifact that is not an image', 'application/vnd.oci.artifact.manifest.v1+json', { mediaType: 'application/vnd.oci.artifact.manifest.v1+json', artifactType: 'application/vnd.example.sbom', blobs: [] },
      'MANIFEST_UNSUPPORTED', 'is not a container image (media type application/vnd.oci.artifact.manifest.v1+json)'],
    ['an image whose layer is a Helm chart', 'application/vnd.oci.image.manifest.v1+json', {
      schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.cncf.helm.config.v1+json', digest, size: 2 },
      layers: [{ mediaType: 'application/vnd.cncf.helm.chart.content.v1.tar+gzip', digest, size: 10 }],
    }, 'UNSUPPORTED_LAYER', 'has a layer of media type application/vnd.cncf.helm.chart.content.v1.tar+gzip, which is not a container filesystem layer'],
  ])('%s', async (_, contentType, manifest, code, sentence) => {
    fp.reset();
    serve(contentType, manifest);
    const { svc, blobs } = await service({ insecureRegistries: [fp.host] });
    await expect(svc.pull(`${fp.host}/x:1`)).rejects.toMatchObject({ code, message: expect.stringContaining(sentence) });
    expect(fp.requests.map((r) => r.path)).toEqual(['/v2/x/manifests/1']); // nothing fetched after it
    expect(await blobs.list()).toEqual([]);
    expect(await svc.list()).toEqual([]);
  });
});
