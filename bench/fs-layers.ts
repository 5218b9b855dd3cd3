// fs-layers: unpack throughput of the ~32 MiB `big` layer into each store beside a plain
// decompress of the same bytes, reads through the union view, and store bytes per image
// byte. IndexedDB runs on fake-indexeddb here (Node); the browser figure is the page's.
import 'fake-indexeddb/auto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IdbBlobStore, IdbMetaStore, LayerStore, decompressor, lookupPath, readFile, type BlobStore, type MetaStore } from '../src/fs-layers/index.ts';
import { DirBlobStore, DirMetaStore } from '../src/fs-layers/node.ts';
import { Digest, layerKind, sha256Hasher } from '../src/registry-client/index.ts';
import { nodeSha256 } from '../src/registry-client/node.ts';
import { fixtureInfo } from '../test/support/index.ts';
import { median, type BenchRow } from './table.ts';

const RUNS = 3;
const MiB = 1 << 20;

function streamOf(b: Uint8Array): ReadableStream<Uint8Array> {
  let i = 0;
  return new ReadableStream({
    pull(c) {
      if (i >= b.length) return c.close();
      c.enqueue(b.subarray(i, i + 65536));
      i += 65536;
    },
  });
}

export async function benchFsLayers(): Promise<BenchRow[]> {
  const info = await fixtureInfo('big');
  const m = info.manifests[0]!;
  const layers = m.layerDigests.map((d, i) => ({
    bytes: new Uint8Array(readFileSync(join(info.layoutDir, 'blobs', 'sha256', Digest.parse(d).hex))),
    diffId: Digest.parse(m.diffIds[i]!),
    compression: layerKind(m.layerMediaTypes[i]!)!.compression,
  }));
  const big = layers[layers.length - 1]!;

  // Baseline: inflate the same bytes and drop them.
  let tarBytes = 0;
  const plain: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t = performance.now();
    tarBytes = 0;
    await streamOf(big.bytes).pipeThrough(decompressor(big.compression, 'bench')).pipeTo(new WritableStream({ write: (c) => void (tarBytes += c.byteLength) }));
    plain.push(performance.now() - t);
  }
  const plainRate = tarBytes / MiB / (median(plain) / 1000);
  const rows: BenchRow[] = [];

  const backends: { name: string; open: (i: number) => Promise<{ chunks: BlobStore; meta: MetaStore; cleanup: () => void; hasher: typeof sha256Hasher }> }[] = [
    {
      name: 'dir store',
      open: async () => {
        const root = mkdtempSync(join(tmpdir(), 'tabdock-bench-fsl-'));
        return { chunks: await DirBlobStore.open(join(root, 'chunks')), meta: await DirMetaStore.open(join(root, 'meta')), cleanup: () => rmSync(root, { recursive: true, force: true }), hasher: nodeSha256 };
      },
    },
    {
      name: 'IndexedDB store (fake-indexeddb)',
      open: async (i) => ({ chunks: await IdbBlobStore.open(`bench-chunks-${i}`), meta: await IdbMetaStore.open(`bench-meta-${i}`), cleanup: () => {}, hasher: sha256Hasher }),
    },
  ];
  let n = 0;
  for (const b of backends) {
    const times: number[] = [];
    const reads: number[] = [];
    let ratio = 0;
    for (let i = 0; i < RUNS; i++) {
      const s = await b.open(n++);
      try {
        const store = new LayerStore({ chunks: s.chunks, meta: s.meta, hasher: s.hasher });
        const t = performance.now();
        await store.unpack({ diffId: big.diffId, source: streamOf(big.bytes), compression: big.compression, what: 'big' });
        times.push(performance.now() - t);
        // The whole image, for bytes stored per uncompressed image byte.
        let image = 0;
        let meta = 0;
        for (const l of layers) {
          const r = await store.unpack({ diffId: l.diffId, source: streamOf(l.bytes), compression: l.compression, what: 'layer' });
          image += r.size;
          meta += JSON.stringify(r).length;
        }
        ratio = ((await s.chunks.usage()) + meta) / image;
        // Cold sequential read of /data/big.bin through the union view, 512 KiB at a time.
        const tree = await new LayerStore({ chunks: s.chunks, meta: s.meta, cacheBytes: 8 * MiB }).imageTree(layers.map((l) => l.diffId));
        const file = lookupPath(tree.root, 'data/big.bin')!;
        const cold = new LayerStore({ chunks: s.chunks, meta: s.meta, cacheBytes: 8 * MiB });
        const r0 = performance.now();
        for (let off = 0; off < file.size; off += 512 * 1024) await readFile(cold.cache, file, off, 512 * 1024);
        reads.push(file.size / MiB / ((performance.now() - r0) / 1000));
      } finally {
        s.cleanup();
      }
    }
    const rate = tarBytes / MiB / (median(times) / 1000);
    rows.push({ name: `unpack 32 MiB layer into ${b.name}`, value: round(rate), unit: 'MiB/s', baseline: 'plain decompress of the same bytes', baselineValue: round(plainRate) });
    rows.push({ name: `store bytes per image byte (${b.name})`, value: Math.round(ratio * 1000) / 1000, unit: 'x', baseline: 'uncompressed image', baselineValue: 1, target: '<= 1.1x', pass: ratio <= 1.1 });
    rows.push({ name: `cold read of a 32 MiB file via union view (${b.name})`, value: round(median(reads)), unit: 'MiB/s', baseline: 'plain decompress of the layer', baselineValue: round(plainRate) });
  }
  return rows;
}

const round = (x: number) => Math.round(x * 10) / 10;

export default benchFsLayers;
