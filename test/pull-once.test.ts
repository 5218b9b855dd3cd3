// One pass from download to unpacked layer: a pull inflates each layer once and leaves it
// complete in the layer store, so the first `run` after it (in the real guest) inflates
// nothing; the pull's progress goes Downloading -> ... -> Extracting -> Pull complete, as
// docker draws it on a terminal. Against a real registry on loopback.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startNodeGuest } from '../src/cli/node-guest.ts';
import { PullPrinter } from '../src/docker-cli/index.ts';
import { createEngine, guestRuntime, type Engine, type PullEvent } from '../src/engine/index.ts';
import { parseRunOptions } from '../src/engine/spec/run-flags.ts';
import { LayerStore, type Gunzip } from '../src/fs-layers/index.ts';
import { DirBlobStore, DirMetaStore, nodeGunzip } from '../src/fs-layers/node.ts';
import { Digest, RegistryClient } from '../src/registry-client/index.ts';
import { nodeSha256 } from '../src/registry-client/node.ts';
import { fixtureInfo, startRegistry, type TestRegistry } from './support/index.ts';

let reg: TestRegistry;
let home: string;
let engine: Engine;
let layers: LayerStore;
let meta: DirMetaStore;
/** Every gzip stream the engine inflates, pull and create alike, goes through here. */
let inflates = 0;
const countingGunzip: Gunzip = (what) => {
  inflates++;
  return nodeGunzip(what);
};

beforeAll(async () => {
  reg = await startRegistry();
  await reg.push('multi', 'multi:1', { all: true });
  home = mkdtempSync(join(tmpdir(), 'tabdock-once-'));
  const blobs = await DirBlobStore.open(join(home, 'store'));
  meta = await DirMetaStore.open(join(home, 'meta'));
  layers = new LayerStore({ chunks: await DirBlobStore.open(join(home, 'chunks')), meta, hasher: nodeSha256, gunzip: countingGunzip });
  engine = await createEngine({
    stores: { blobs, meta, layers }, registry: new RegistryClient({ insecureRegistries: [reg.host], hasher: nodeSha256 }),
    runtimes: [guestRuntime({ startGuest: (h) => startNodeGuest(h, { env: {}, home }) })],
  });
}, 120_000);
afterAll(async () => {
  await engine?.dispose();
  await reg?.stop();
  if (home) rmSync(home, { recursive: true, force: true });
});

async function run(image: string, args: string[]): Promise<{ code: number; out: string }> {
  const options = parseRunOptions({ flags: {}, args: [image, ...args] });
  const { Id } = await engine.createContainer({ image, options });
  let out = '';
  await engine.startContainer(Id);
  await engine.containerLogs(Id, { follow: true }, (_s, d) => void (out += new TextDecoder().decode(d)));
  const code = (await engine.waitContainer(Id)).StatusCode;
  return { code, out };
}

/** A layer's statuses in order, repeats (progress) folded. */
function statuses(events: PullEvent[], id: string): string[] {
  const out: string[] = [];
  for (const e of events) if (e.type === 'layer' && e.id === id && out.at(-1) !== e.status) out.push(e.status);
  return out;
}

it('inflates each layer once across pull then run, and shows Extracting before Pull complete', async () => {
  const m = (await fixtureInfo('multi')).manifests.find((x) => x.platform.architecture === '386')!;
  const ref = `${reg.host}/multi:1`;
  const events: PullEvent[] = [];
  let screen = '';
  const printer = new PullPrinter((s) => void (screen += s), true);
  await engine.pull(ref, {}, (e) => {
    events.push(e);
    printer.onEvent(e);
  });
  expect(inflates).toBe(m.layerDigests.length);
  for (const d of m.diffIds) expect(await layers.has(Digest.parse(d))).toBe(true);
  for (const l of m.layerDigests) {
    const id = l.slice(7, 19);
    expect(statuses(events, id)).toEqual(['Pulling fs layer', 'Downloading', 'Verifying Checksum', 'Download complete', 'Extracting', 'Pull complete']);
    // As docker draws it on a terminal: the layer's line redrawn with the Extracting bar.
    expect(screen).toMatch(new RegExp(`${id}: Extracting \\[[=> ]{50}\\]  \\S+/\\S+`));
    const last = events.filter((e) => e.type === 'layer' && e.id === id && e.status === 'Extracting').at(-1);
    expect(last).toMatchObject({ done: last?.type === 'layer' ? last.total : -1 });
  }

  const r = await run(ref, ['cat', '/etc/tabdock-platform']);
  expect(r).toEqual({ code: 0, out: 'linux/386\n' });
  expect(inflates).toBe(m.layerDigests.length);

  // Pulled again: every layer is there, nothing is downloaded or inflated.
  const again: PullEvent[] = [];
  await engine.pull(ref, {}, (e) => void again.push(e));
  for (const l of m.layerDigests) expect(statuses(again, l.slice(7, 19))).toEqual(['Already exists']);
  expect(inflates).toBe(m.layerDigests.length);
}, 240_000);

it('an image pulled by an older version (blobs, no layer records) is unpacked at its first create, once', async () => {
  const m = (await fixtureInfo('multi')).manifests.find((x) => x.platform.architecture === '386')!;
  const ref = `${reg.host}/multi:1`;
  // What an older version left: the blobs and the image, no unpacked layers.
  for (const k of await meta.keys('fsl/')) await meta.delete(k);
  const fresh = new LayerStore({ chunks: layers.chunks, meta, hasher: nodeSha256, gunzip: countingGunzip });
  for (const d of m.diffIds) expect(await fresh.has(Digest.parse(d))).toBe(false);
  const before = inflates;
  // (the engine's own store cached its records: a fresh engine over the same stores)
  const blobs = await DirBlobStore.open(join(home, 'store'));
  const old = await createEngine({
    stores: { blobs, meta, layers: fresh }, registry: new RegistryClient({ insecureRegistries: [reg.host], hasher: nodeSha256 }),
    runtimes: [guestRuntime({ startGuest: (h) => startNodeGuest(h, { env: {}, home }) })],
  });
  try {
    const options = parseRunOptions({ flags: {}, args: [ref, 'true'] });
    const { Id } = await old.createContainer({ image: ref, options });
    await old.startContainer(Id);
    expect((await old.waitContainer(Id)).StatusCode).toBe(0);
    expect(inflates - before).toBe(m.layerDigests.length);
    for (const d of m.diffIds) expect(await fresh.has(Digest.parse(d))).toBe(true);
  } finally {
    await old.dispose();
  }
}, 240_000);

it('unpacks zstd and plain tar layers in the same pass (neither goes through gunzip)', async () => {
  await reg.push('busybox', 'bbz:1', { zstd: true });
  await reg.push('busybox', 'bbt:1', { uncompressed: true });
  const before = inflates;
  for (const [tag, variant] of [['bbz:1', { zstd: true }], ['bbt:1', { uncompressed: true }]] as const) {
    const m = (await fixtureInfo('busybox', variant)).manifests[0]!;
    expect(m.layerMediaTypes[0]).toMatch(variant.zstd ? /zstd/ : /tar$/);
    // Each starts from no record, so each unpacks its own stream.
    for (const k of await meta.keys('fsl/')) await meta.delete(k);
    const fresh = new LayerStore({ chunks: layers.chunks, meta, hasher: nodeSha256, gunzip: countingGunzip });
    const blobs = await DirBlobStore.open(join(home, 'store'));
    const e = await createEngine({ stores: { blobs, meta, layers: fresh }, registry: new RegistryClient({ insecureRegistries: [reg.host], hasher: nodeSha256 }), runtimes: [] });
    const events: PullEvent[] = [];
    await e.pull(`${reg.host}/${tag}`, {}, (ev) => void events.push(ev));
    expect(statuses(events, m.layerDigests[0]!.slice(7, 19))).toEqual(['Pulling fs layer', 'Downloading', 'Verifying Checksum', 'Download complete', 'Extracting', 'Pull complete']);
    expect(await fresh.has(Digest.parse(m.diffIds[0]!))).toBe(true);
    expect(await fresh.refs(Digest.parse(m.diffIds[0]!))).toEqual([m.configDigest]);
  }
  expect(inflates).toBe(before);
}, 120_000);
