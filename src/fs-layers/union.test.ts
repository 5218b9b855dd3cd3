import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { WHITEOUT_RESULT, fixtureInfo } from '../../test/support/index.ts';
import { Digest, layerKind } from '../registry-client/index.ts';
import { readFile } from './chunk-cache.ts';
import type { Inode } from './inode.ts';
import type { LayerStore } from './layer-store.ts';
import { ensureImageLayers } from './image-layers.ts';
import { BACKENDS, streamOf, type StoreKit } from './test-helpers.ts';
import { IdbBlobStore } from './idb-store.ts';

// Real layers built by umoci (test/support, fixture `whiteouts`): the merged tree must be
// exactly what Docker shows — OCI image spec layer.md, "Whiteouts" and "Opaque Whiteout".
const kits: StoreKit[] = [];
afterAll(() => kits.forEach((k) => k.cleanup()));

async function unpackFixture(layers: LayerStore, variant: { zstd?: boolean }): Promise<Digest[]> {
  const info = await fixtureInfo('whiteouts', variant);
  const m = info.manifests[0]!;
  const diffIds = m.diffIds.map((d) => Digest.parse(d));
  for (let i = 0; i < m.layerDigests.length; i++) {
    const bytes = readFileSync(join(info.layoutDir, 'blobs', 'sha256', Digest.parse(m.layerDigests[i]!).hex));
    const kind = layerKind(m.layerMediaTypes[i]!)!;
    await layers.unpack({ diffId: diffIds[i]!, source: streamOf(bytes, 1000), compression: kind.compression, what: `layer ${i}` });
  }
  return diffIds;
}

async function regularFiles(layers: LayerStore, root: Inode): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const walk = async (n: Inode, path: string) => {
    for (const [name, c] of n.children!) {
      const p = path ? `${path}/${name}` : name;
      if (c.kind === 'd') await walk(c, p);
      else if (c.kind === 'f') out[p] = new TextDecoder().decode(await readFile(layers.cache, c, 0, c.size));
    }
  };
  await walk(root, '');
  return out;
}

for (const [backend, open] of Object.entries(BACKENDS)) {
  describe(`union view on ${backend}`, () => {
    for (const variant of [{}, { zstd: true }]) {
      it(`the whiteouts image${variant.zstd ? ' (zstd)' : ''} shows exactly WHITEOUT_RESULT`, async () => {
        const k = await open();
        kits.push(k);
        const diffIds = await unpackFixture(k.layers, variant);
        const t = await k.layers.imageTree(diffIds);
        expect(await regularFiles(k.layers, t.root)).toEqual(WHITEOUT_RESULT);
        const names = (p: string) => [...(p ? t.root.children!.get(p)!.children! : t.root.children!).keys()].sort();
        expect(names('opaque')).toEqual(['new.txt']);
        expect(t.root.children!.get('dir2file')!.kind).toBe('f');
        expect(t.root.children!.get('file2dir')!.kind).toBe('d');
        expect(t.root.children!.has('gonedir')).toBe(false);
        expect(t.skipped).toEqual([]);
        // Built once per image and cached.
        expect(await k.layers.imageTree(diffIds)).toBe(t);
      });
    }
  });
}

describe('ensureImageLayers', () => {
  it('unpacks an image from the blobs a pull stored, once, and takes the reference', async () => {
    const k = await BACKENDS.idb!();
    const blobs = await IdbBlobStore.open('ensure-blobs');
    const info = await fixtureInfo('whiteouts');
    const m = info.manifests[0]!;
    const image = m.layerDigests.map((d, i) => ({ digest: Digest.parse(d), mediaType: m.layerMediaTypes[i]!, diffId: Digest.parse(m.diffIds[i]!) }));
    for (const l of image) await blobs.put(l.digest, readFileSync(join(info.layoutDir, 'blobs', 'sha256', l.digest.hex)));
    const seen: string[] = [];
    await ensureImageLayers(k.layers, blobs, 'img', image, (d) => seen.push(d.hex));
    expect(new Set(seen).size).toBe(3);
    seen.length = 0;
    await ensureImageLayers(k.layers, blobs, 'img2', image, (d) => seen.push(d.hex));
    expect(seen).toEqual([]);
    expect((await k.layers.refs(image[0]!.diffId)).sort()).toEqual(['img', 'img2']);
    const t = await k.layers.imageTree(image.map((l) => l.diffId));
    expect(await regularFiles(k.layers, t.root)).toEqual(WHITEOUT_RESULT);
  });
});
