// The store's room (StoreSpace): a container's writes hold it before they are accepted,
// a per-container quota, and the chunks a removed tree named freed by the next gc.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ContainerFs } from './container-fs.ts';
import { DirBlobStore, DirMetaStore } from './dir-store.ts';
import { IdbBlobStore, IdbMetaStore } from './idb-store.ts';
import type { BlobStore, MetaStore } from './store.ts';
import { E, FsError } from './fs-error.ts';
import { CHUNK } from './layer-entry.ts';
import { LayerStore, freeChunks } from './layer-store.ts';
import { StoreSpace } from './store-space.ts';
import { dir, tarLayer, unpackTar, noise } from './test-helpers.ts';

const roots: string[] = [];
afterAll(() => roots.forEach((r) => rmSync(r, { recursive: true, force: true })));

let idbs = 0;
async function kit(space: StoreSpace, backend: 'dir' | 'idb') {
  let chunks: BlobStore;
  let meta: MetaStore;
  if (backend === 'idb') {
    const name = `space-${process.pid}-${idbs++}`;
    chunks = await IdbBlobStore.open(`${name}-chunks`, { space });
    meta = await IdbMetaStore.open(name);
  } else {
    const root = mkdtempSync(join(tmpdir(), 'tabdock-space-'));
    roots.push(root);
    chunks = await DirBlobStore.open(join(root, 'chunks'), { space });
    meta = await DirMetaStore.open(join(root, 'meta'));
  }
  const layers = new LayerStore({ chunks, meta });
  const base = await tarLayer([dir('tmp/')]);
  await unpackTar(layers, base);
  return { chunks, meta, layers, diffIds: [base.diffId] };
}

const errnoOf = async (p: Promise<unknown>) => p.then(() => 0, (e: unknown) => (e instanceof FsError ? e.errno : -1));

for (const backend of ['dir', 'idb'] as const)
describe(`store space on ${backend}`, () => {
  it("a write past the cap fails with ENOSPC at once; what was accepted is saved; other trees' accepted writes too", async () => {
    const space = new StoreSpace({ limit: 8 * CHUNK });
    const k = await kit(space, backend);
    const a = await ContainerFs.open(k.layers, 'a', k.diffIds);
    const b = await ContainerFs.open(k.layers, 'b', k.diffIds);
    const fa = a.create(a.root, 'fa', 'f', { mode: 0o644, uid: 0, gid: 0 });
    const fb = b.create(b.root, 'fb', 'f', { mode: 0o644, uid: 0, gid: 0 });
    // b's write is accepted first and holds its room, unsaved.
    await b.write(fb, 0, noise(2 * CHUNK, 1));
    expect(space.held).toBe(2 * CHUNK);
    // a takes the rest, then is refused whole: nothing of the refused write lands.
    await a.write(fa, 0, noise(6 * CHUNK, 2));
    expect(await errnoOf(a.write(fa, 6 * CHUNK, noise(CHUNK, 3)))).toBe(E.ENOSPC);
    expect(fa.size).toBe(6 * CHUNK);
    // Rewriting chunks already written needs no new room.
    await a.write(fa, 0, noise(100, 4));
    await a.sync();
    await b.sync();
    expect(space.held).toBe(0);
    expect(space.used).toBe(8 * CHUNK);
    // Saved: both read back after a reload.
    await a.close();
    await b.close();
    const b2 = await ContainerFs.open(k.layers, 'b', k.diffIds);
    expect(Buffer.compare(await b2.read(b2.lookup(b2.root, 'fb'), 0, 2 * CHUNK), noise(2 * CHUNK, 1))).toBe(0);
    await b2.close();
  });

  it('a removed tree frees its chunks at the next gc; a failed save keeps its stored chunks pinned', async () => {
    const space = new StoreSpace({ limit: 64 * CHUNK });
    const k = await kit(space, backend);
    const a = await ContainerFs.open(k.layers, 'gone', k.diffIds);
    const keep = await ContainerFs.open(k.layers, 'kept', k.diffIds);
    await a.write(a.create(a.root, 'f', 'f', { mode: 0o644, uid: 0, gid: 0 }), 0, noise(4 * CHUNK, 5));
    await keep.write(keep.create(keep.root, 'f', 'f', { mode: 0o644, uid: 0, gid: 0 }), 0, noise(2 * CHUNK, 6));
    await a.sync();
    await keep.sync();
    const before = await k.chunks.usage();
    await a.remove();
    await freeChunks(k.layers);
    expect(before - (await k.chunks.usage())).toBe(4 * CHUNK);
    expect(space.used).toBe(await k.chunks.usage());
    // The kept tree reads back whole after the gc.
    expect(Buffer.compare(await keep.read(keep.lookup(keep.root, 'f'), 0, 2 * CHUNK), noise(2 * CHUNK, 6))).toBe(0);
    // A save whose segment cannot be written (records fail): its chunks are stored but no
    // record names them; a gc must keep them for the retry.
    const f2 = keep.create(keep.root, 'g', 'f', { mode: 0o644, uid: 0, gid: 0 });
    await keep.write(f2, 0, noise(CHUNK, 7));
    const put = k.meta.put.bind(k.meta);
    k.meta.put = async () => {
      throw Object.assign(new Error('no space'), { code: 'ENOSPC' });
    };
    await expect(keep.sync()).rejects.toThrow();
    // The gc's own save of the tree fails too: only the pins keep the chunk.
    await k.layers.collect();
    k.meta.put = put;
    await keep.sync();
    await keep.close();
    const again = await ContainerFs.open(k.layers, 'kept', k.diffIds);
    expect(Buffer.compare(await again.read(again.lookup(again.root, 'g'), 0, CHUNK), noise(CHUNK, 7))).toBe(0);
    await again.close();
  });

  it('a growing file stores its last chunk anew at each flush; gc frees the replaced ones, and a full store collects them before refusing', async () => {
    const space = new StoreSpace({ limit: 6 * CHUNK });
    const k = await kit(space, backend);
    const fs = await ContainerFs.open(k.layers, 'grow', k.diffIds);
    const f = fs.create(fs.root, 'log', 'f', { mode: 0o644, uid: 0, gid: 0 });
    const piece = CHUNK / 8;
    // Eight appends, each saved: eight versions of the one chunk, seven of them replaced.
    for (let i = 0; i < 8; i++) {
      await fs.write(f, i * piece, noise(piece, 20 + i));
      await fs.sync();
    }
    expect(await k.chunks.usage()).toBe(4.5 * CHUNK); // 1/8 + 2/8 + ... + 8/8 of a chunk
    await k.layers.collect();
    expect(await k.chunks.usage()).toBe(CHUNK);
    // Replaced again until the cap: the write that does not fit collects first, and fits.
    for (let i = 0; i < 8; i++) {
      await fs.write(f, i * piece, noise(piece, 40 + i));
      await fs.sync();
    }
    await fs.write(f, CHUNK, noise(4 * CHUNK, 50));
    await fs.close();
    const again = await ContainerFs.open(k.layers, 'grow', k.diffIds);
    const g = again.lookup(again.root, 'log');
    expect(Buffer.compare(await again.read(g, 7 * piece, piece), noise(piece, 47))).toBe(0);
    expect(Buffer.compare(await again.read(g, CHUNK, 4 * CHUNK), noise(4 * CHUNK, 50))).toBe(0);
    await again.close();
  });

  it('--storage-opt size: a tree past its quota gets ENOSPC; removing a file gives its bytes back', async () => {
    const k = await kit(new StoreSpace(), backend);
    const fs = await ContainerFs.open(k.layers, 'q', k.diffIds);
    fs.setQuota(3 * CHUNK);
    const a = fs.create(fs.root, 'a', 'f', { mode: 0o644, uid: 0, gid: 0 });
    await fs.write(a, 0, noise(2 * CHUNK, 8));
    const b = fs.create(fs.root, 'b', 'f', { mode: 0o644, uid: 0, gid: 0 });
    expect(await errnoOf(fs.write(b, 0, noise(2 * CHUNK, 9)))).toBe(E.ENOSPC);
    await fs.write(b, 0, noise(100, 9));
    expect(fs.quotaUsed).toBe(2 * CHUNK + 100);
    fs.unlink(fs.root, 'a', false);
    expect(fs.quotaUsed).toBe(100);
    // Holes are free: a sparse write far out adds its own chunk only.
    await fs.write(b, 100 * CHUNK, noise(10, 1));
    expect(fs.quotaUsed).toBe(2 * CHUNK);
    await fs.write(fs.create(fs.root, 'c', 'f', { mode: 0o644, uid: 0, gid: 0 }), 0, noise(CHUNK, 10));
    await fs.close();
    // Counted again from the saved layer at the next open.
    const again = await ContainerFs.open(k.layers, 'q', k.diffIds);
    again.setQuota(3 * CHUNK);
    expect(again.quotaUsed).toBe(3 * CHUNK);
    await again.close();
  });
});

describe('StoreSpace.capacity (statfs over 9P, `df` in a container)', () => {
  it('is the disk, or the cap, and what is left of both', () => {
    expect(new StoreSpace({}).capacity()).toBeUndefined();
    expect(new StoreSpace({ diskTotal: () => 1000, diskFree: () => 400 }).capacity()).toEqual({ total: 1000, free: 400 });
    const capped = new StoreSpace({ limit: 500, diskTotal: () => 1000, diskFree: () => 400 });
    capped.used = 200;
    expect(capped.capacity()).toEqual({ total: 500, free: 300 });
    capped.used = 50;
    expect(capped.capacity()).toEqual({ total: 500, free: 400 });
    expect(new StoreSpace({ limit: 100 }).capacity()).toEqual({ total: 100, free: 100 });
  });
});
