// fs-layers: unpack throughput of the ~32 MiB `big` layer into each store beside a plain
// decompress of the same bytes, reads through the union view, and store bytes per image
// byte. IndexedDB runs on fake-indexeddb here (Node); the browser figure is the page's.
import 'fake-indexeddb/auto';
import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ContainerFs, IdbBlobStore, IdbMetaStore, LayerStore, P9Server, decompressor, lookupPath, readFile, type BlobStore, type MetaStore } from '../src/fs-layers/index.ts';
import { DirBlobStore, DirMetaStore } from '../src/fs-layers/node.ts';
import { packTar, type TarEntry } from 'modern-tar';
import { Guest } from '../src/emulator/index.ts';
import { loadArtifacts } from '../src/emulator/node.ts';
import { Digest, layerKind, sha256, sha256Hasher } from '../src/registry-client/index.ts';
import { writeFile } from '../test/guest/guest-fixture.ts';
import { nodeSha256 } from '../src/registry-client/node.ts';
import { fixtureInfo } from '../test/support/index.ts';
import { median, type BenchRow } from './table.ts';

const RUNS = Number(process.env.TABDOCK_BENCH_RUNS ?? 3);
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
  const rows = [...(await benchTinyFiles()), ...(await benchUnpack())];
  try {
    rows.push(...(await benchGuest9p()));
  } catch (e) {
    // No guest artifacts (kernel/images) on this machine: the store figures still count.
    process.stderr.write(`bench fs-layers: guest 9P figures skipped: ${e instanceof Error ? e.message : String(e)}\n`);
  }
  return rows;
}

/**
 * A layer of 100,000 files of 130 bytes (13 MB of data) unpacked into the directory
 * store: the blob files it makes and their bytes on disk (allocated blocks), beside the
 * files and bytes of the same tree extracted as plain files (tar's own way).
 */
export async function benchTinyFiles(): Promise<BenchRow[]> {
  const N = 100_000;
  const entries: TarEntry[] = [];
  for (let i = 0; i < N; i++) entries.push({ header: { name: `t/d${i % 100}/f${i}`, size: 130, type: 'file', mode: 0o644 }, body: randomBytes(130) });
  const tar = await packTar(entries);
  const root = mkdtempSync(join(tmpdir(), 'tabdock-bench-tiny-'));
  try {
    const chunks = await DirBlobStore.open(join(root, 'chunks'));
    const meta = await DirMetaStore.open(join(root, 'meta'));
    const store = new LayerStore({ chunks, meta });
    await store.unpack({ diffId: await sha256(tar), source: streamOf(tar), compression: 'none', what: 'tiny files' });
    const blobs = (await chunks.list()).length;
    const disk = Number(execFileSync('du', ['-s', '-B1', join(root, 'chunks')], { encoding: 'utf8' }).split('\t')[0]);
    // The same files extracted plainly: N files of 130 bytes, each at least one 4 KiB block.
    const plainDir = join(root, 'plain');
    mkdirSync(plainDir);
    execFileSync('tar', ['-x', '-C', plainDir], { input: tar, maxBuffer: 1 << 30 });
    const plainDisk = Number(execFileSync('du', ['-s', '-B1', plainDir], { encoding: 'utf8' }).split('\t')[0]);
    return [
      { name: `blobs for ${N.toLocaleString('en')} files of 130 bytes`, value: blobs, unit: 'files', baseline: 'files in the tree', baselineValue: N, target: '<= 1% of the files', pass: blobs <= N / 100 },
      { name: `store bytes on disk for those files`, value: Math.round(disk / MiB), unit: 'MiB', baseline: 'the tree extracted by tar', baselineValue: Math.round(plainDisk / MiB), target: '<= 0.25x the extracted tree', pass: disk <= plainDisk / 4 },
    ];
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

async function benchUnpack(): Promise<BenchRow[]> {
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

const SMALL_FILES = 2500;
const GUEST_RUNS = Number(process.env.TABDOCK_BENCH_RUNS ?? 5);

/** The sequential-read file: 64 MiB (the figure) of bytes that never repeat, so
 * no two 256 KiB chunks share a digest and the store holds every one of them. */
const SEQ_BYTES = 64 * MiB;

/**
 * Inside the guest over the real Linux 9p client: a 64 MiB sequential read, `cat` of
 * 2,500 small files and `find` over the tree — served by our P9Server from the layer
 * store, beside the same files on v86's built-in 9P filesystem (in memory) in the same run.
 * Each workload is timed inside the guest (`/proc/uptime` either side, 10 ms steps), so the
 * agent's process start is not part of the figure.
 */
export async function benchGuest9p(only?: string[]): Promise<BenchRow[]> {
  const info = await fixtureInfo('big');
  const m = info.manifests[0]!;
  const root = mkdtempSync(join(tmpdir(), 'tabdock-bench-9p-'));
  const a = await loadArtifacts();
  const small: TarEntry[] = [];
  for (let i = 0; i < SMALL_FILES; i++) {
    const body = `file ${i}\n`.repeat(64);
    small.push({ header: { name: `small/d${i % 50}/f${i}`, size: body.length, type: 'file', mode: 0o644 }, body });
  }
  const smallTar = await packTar(small);
  const seqFile = new Uint8Array(randomBytes(SEQ_BYTES));
  const seqTar = await packTar([{ header: { name: 'seq/file.bin', size: seqFile.byteLength, type: 'file', mode: 0o644 }, body: seqFile }]);
  const WORK = {
    seq: 'dd if=seq/file.bin of=/dev/null bs=512k 2>/dev/null',
    small: 'find small -type f | xargs cat > /dev/null',
    find: 'find . | wc -l > /dev/null',
  };
  const once = async (guest: Guest, dir: string, script: string) => {
    const timed = `cd ${dir} && cat /proc/uptime && ${script} && cat /proc/uptime`;
    const out = await (await guest.agent.spawn(['/bin/busybox', 'sh', '-c', timed])).output();
    const [s, e] = out.stdout.trim().split('\n').map((l) => Number(l.split(' ')[0]));
    if (out.status !== 0 || !(e! > s!)) throw new Error(`guest workload failed: ${out.stderr}`);
    return (e! - s!) * 1000;
  };
  const ours: Record<string, number> = {};
  const builtin: Record<string, number> = {};
  let g1: Guest | undefined;
  let g2: Guest | undefined;
  let store: LayerStore;
  try {
    // Ours: the image's layers plus the small-file layer, through the layer store.
    store = new LayerStore({ chunks: await DirBlobStore.open(join(root, 'chunks')), meta: await DirMetaStore.open(join(root, 'meta')), hasher: nodeSha256 });
    const diffIds = m.diffIds.map((d) => Digest.parse(d));
    for (let i = 0; i < diffIds.length; i++) {
      const bytes = new Uint8Array(readFileSync(join(info.layoutDir, 'blobs', 'sha256', Digest.parse(m.layerDigests[i]!).hex)));
      await store.unpack({ diffId: diffIds[i]!, source: streamOf(bytes), compression: layerKind(m.layerMediaTypes[i]!)!.compression, what: 'layer' });
    }
    const smallId = await sha256(smallTar);
    await store.unpack({ diffId: smallId, source: streamOf(smallTar), compression: 'none', what: 'small files' });
    const seqId = await sha256(seqTar);
    await store.unpack({ diffId: seqId, source: streamOf(seqTar), compression: 'none', what: 'sequential-read file' });
    const fs = await ContainerFs.open(store, 'bench', [...diffIds, smallId, seqId]);
    const server = new P9Server({ attach: async () => fs });
    g1 = await Guest.start({ images: a.images, wasm: a.wasm, handle9p: server.handle9p, timeoutMs: 240_000 });
    await g1.agent.mount({ aname: 'bench', path: '/mnt/c' });
    // Baseline: the same files in v86's built-in filesystem, in a second guest.
    g2 = await Guest.start({ images: a.images, wasm: a.wasm, timeoutMs: 240_000 });
    await writeFile(g2, '/bench/seq/file.bin', seqFile);
    for (const e of small) await writeFile(g2, `/bench/${e.header.name}`, e.body as string);
    await g2.agent.mount({ aname: 'bench', path: '/mnt/b' });
    // Alternate the two, so a busy machine weighs on both alike.
    for (const [k, w] of Object.entries(WORK).filter(([k]) => !only || only.includes(k))) {
      const xs: number[] = [];
      const ys: number[] = [];
      // v86 compiles the guest's hot paths as they run: the first runs of a workload are
      // slower for both guests (a short one for several runs), so they are run and not counted.
      const warmup = Number(process.env.TABDOCK_BENCH_WARMUP ?? (k === 'seq' ? 6 : 1));
      for (let i = 0; i < warmup + GUEST_RUNS; i++) {
        // None of the file in our server's memory: its chunks come from the store on disk
        // (the built-in keeps every file in memory).
        store.cache.clear();
        const x = await once(g1, '/mnt/c', w);
        const y = await once(g2, '/mnt/b/bench', w);
        if (process.env.TABDOCK_BENCH_VERBOSE && i < warmup) process.stderr.write(`guest 9P ${k} warm-up ${i}: ours ${Math.round(x)}, built-in ${Math.round(y)}\n`);
        if (i >= warmup) {
          xs.push(x);
          ys.push(y);
        }
      }
      if (process.env.TABDOCK_BENCH_VERBOSE) process.stderr.write(`guest 9P ${k}: ours ${xs.map(Math.round).join(' ')}; built-in ${ys.map(Math.round).join(' ')}\n`);
      ours[k] = median(xs);
      builtin[k] = median(ys);
    }
  } finally {
    await g1?.dispose();
    await g2?.dispose();
    rmSync(root, { recursive: true, force: true });
  }
  const row = (name: string, k: string): BenchRow => ({ name, value: Math.round(ours[k]!), unit: 'ms', baseline: "v86's built-in 9P filesystem", baselineValue: Math.round(builtin[k]!), target: '<= 1.0x baseline', pass: ours[k]! <= builtin[k]! });
  return [
    row(`guest: sequential read of a ${SEQ_BYTES / MiB} MiB file over our 9P (from the store on disk)`, 'seq'),
    row(`guest: cat of ${SMALL_FILES} small files over our 9P`, 'small'),
    row('guest: find over the image over our 9P', 'find'),
  ].filter((_, i) => !only || only.includes(['seq', 'small', 'find'][i]!));
}

export default benchFsLayers;
