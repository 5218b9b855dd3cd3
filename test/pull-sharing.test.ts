// The engine's pull against a real registry behind the fault proxy, where timing is made
// certain by holding a response until the test lets it go: progress is held until the
// config names the image; a layer already stored takes no download slot; two pulls that
// share a layer never delete it from under each other; a dropped connection is retried.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ImageService, type PullEvent } from '../src/engine/index.ts';
import { DirBlobStore, DirMetaStore, nodeGunzip } from '../src/fs-layers/node.ts';
import { LayerStore } from '../src/fs-layers/index.ts';
import { nodeSha256 } from '../src/registry-client/node.ts';
import { Digest, RegistryClient } from '../src/registry-client/index.ts';
import { fixtureInfo, startFaultProxy, startRegistry, type FaultProxy, type TestRegistry } from './support/index.ts';

let reg: TestRegistry;
let fp: FaultProxy;
/** multi's linux/386 and linux/amd64 images: the busybox layer shared, one layer of their own each. */
let i386: { config: string; layers: string[] };
let amd64: { config: string; layers: string[] };
const dirs: string[] = [];

beforeAll(async () => {
  reg = await startRegistry();
  await reg.push('multi', 'multi:1', { all: true });
  fp = await startFaultProxy(reg.url);
  const info = await fixtureInfo('multi');
  const of = (arch: string) => {
    const m = info.manifests.find((x) => x.platform?.architecture === arch)!;
    return { config: m.configDigest, layers: m.layerDigests };
  };
  i386 = of('386');
  amd64 = of('amd64');
  expect(i386.layers[0]).toBe(amd64.layers[0]);
}, 120_000);
afterAll(async () => {
  await fp?.stop();
  await reg?.stop();
  dirs.forEach((d) => rmSync(d, { recursive: true, force: true }));
});

async function service(): Promise<{ svc: ImageService; blobs: DirBlobStore }> {
  const dir = mkdtempSync(join(tmpdir(), 'tabdock-sharing-'));
  dirs.push(dir);
  const blobs = await DirBlobStore.open(join(dir, 'store'));
  const meta = await DirMetaStore.open(join(dir, 'meta'));
  const layers = new LayerStore({ chunks: await DirBlobStore.open(join(dir, 'chunks')), meta, hasher: nodeSha256, gunzip: nodeGunzip });
  return { svc: new ImageService({ registry: new RegistryClient({ insecureRegistries: [fp.host], sleep: async () => {} }), blobs, meta, layers }), blobs };
}

function gate(): { until: Promise<void>; release: () => void } {
  let release!: () => void;
  return { until: new Promise<void>((r) => (release = r)), release };
}

const short = (d: string) => Digest.parse(d).short;
const has = (blobs: DirBlobStore, d: string) => blobs.has(Digest.parse(d));
const asked = (d: string) => fp.requests.some((r) => r.path.includes(d));

it('holds layer progress until the config has named the image; a stored layer takes no download slot', async () => {
  const { svc, blobs } = await service();
  fp.reset();
  fp.setRules([]);
  await svc.pull(`${fp.host}/multi:1`, { platform: { os: 'linux', architecture: '386' } });

  const config = gate();
  fp.reset();
  fp.setRules([{ kind: 'hold', match: amd64.config, until: config.until }]);
  const events: PullEvent[] = [];
  // One download at a time: had the stored busybox layer kept the slot until the config, the
  // amd64 layer would never be asked for while the config is held.
  const pulling = svc.pull(`${fp.host}/multi:1`, { platform: { os: 'linux', architecture: 'amd64' }, concurrency: 1, onProgress: (e) => events.push(e) });
  try {
    await expect.poll(() => has(blobs, amd64.layers[1]!), { timeout: 60_000, interval: 50 }).toBe(true);
    expect(asked(amd64.config) && !fp.requests.find((r) => r.path.includes(amd64.config))!.status).toBe(true);
    expect(events.map((e) => e.type)).toEqual(['resolving']);
  } finally {
    config.release();
  }
  await pulling;
  expect(events[1]).toMatchObject({ type: 'resolved', platform: { architecture: 'amd64' } });
  const layerEvents = events.slice(2).map((e) => (e.type === 'layer' ? `${e.id} ${e.status}` : e.type));
  expect(layerEvents).toContain(`${short(amd64.layers[0]!)} Already exists`);
  expect(layerEvents.at(-1)).toBe(`${short(amd64.layers[1]!)} Pull complete`);
  expect(asked(amd64.layers[0]!)).toBe(false);
}, 120_000);

it('keeps a layer another pull stored and finished when a pull that shares it fails; drops only its own', async () => {
  const { svc, blobs } = await service();
  const config = gate();
  fp.reset();
  // amd64's config is held, then its connection dropped (every retry too): that pull fails
  // after both its layers are in the store.
  fp.setRules([{ kind: 'hold', match: amd64.config, until: config.until, then: 'drop' }]);
  const failing = svc.pull(`${fp.host}/multi:1`, { platform: { os: 'linux', architecture: 'amd64' } }).then(() => 'pulled', (e: unknown) => e);
  try {
    await expect.poll(async () => (await has(blobs, amd64.layers[0]!)) && (await has(blobs, amd64.layers[1]!)), { timeout: 60_000, interval: 50 }).toBe(true);
    // Meanwhile the 386 image, which shares the busybox layer, is pulled and finished.
    await svc.pull(`${fp.host}/multi:1`, { platform: { os: 'linux', architecture: '386' } });
  } finally {
    config.release();
  }
  expect(await failing).toMatchObject({ name: 'TabdockError' });
  expect(await has(blobs, amd64.layers[0]!)).toBe(true); // the 386 image's too
  expect(await has(blobs, i386.layers[1]!)).toBe(true);
  expect(await has(blobs, amd64.layers[1]!)).toBe(false); // only the failed pull had it
  expect((await svc.list()).map((i) => i.platform.architecture)).toEqual(['386']);
  // The 386 image is whole: pulling amd64 now finds the shared layer and fetches the rest.
  fp.setRules([]);
  await expect(svc.pull(`${fp.host}/multi:1`, { platform: { os: 'linux', architecture: 'amd64' } })).resolves.toMatchObject({ updated: true });
}, 120_000);

it('retries a layer download whose connection was dropped', async () => {
  const { svc, blobs } = await service();
  fp.reset();
  fp.setRules([{ kind: 'drop', match: i386.layers[1]!, times: 1 }]);
  await expect(svc.pull(`${fp.host}/multi:1`, { platform: { os: 'linux', architecture: '386' } })).resolves.toMatchObject({ updated: true });
  expect(fp.requests.filter((r) => r.path.includes(i386.layers[1]!)).map((r) => r.fault ?? r.status)).toEqual(['drop', expect.any(Number)]);
  expect(await has(blobs, i386.layers[1]!)).toBe(true);
}, 120_000);
