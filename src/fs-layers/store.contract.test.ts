import 'fake-indexeddb/auto';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { sha256 } from '../registry-client/index.ts';
import { TabdockError } from '../shared/errors.ts';
import { DirBlobStore, DirMetaStore } from './dir-store.ts';
import { IdbBlobStore, IdbMetaStore } from './idb-store.ts';
import { isNoSpace } from './store-full.ts';
import type { BlobStore, MetaStore, StoreOptions } from './store.ts';

// The same contract for both stores: a temp dir for the Node store, fake-indexeddb for
// the browser one (the real-Chromium run is the browser suite's job).
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
let n = 0;

interface Kit {
  blobs: (o?: StoreOptions) => Promise<BlobStore>;
  meta: () => Promise<MetaStore>;
  /** Reopen the blob store on the same backing storage (a new process/tab). */
  reopen: (o?: StoreOptions) => Promise<BlobStore>;
}

const kits: Record<string, () => Kit> = {
  dir: () => {
    const root = mkdtempSync(join(tmpdir(), 'tabdock-store-'));
    dirs.push(root);
    return { blobs: (o) => DirBlobStore.open(root, o), meta: () => DirMetaStore.open(join(root, 'meta')), reopen: (o) => DirBlobStore.open(root, o) };
  },
  idb: () => {
    const name = `contract-${n++}`;
    return { blobs: (o) => IdbBlobStore.open(name, o), meta: () => IdbMetaStore.open(name), reopen: (o) => IdbBlobStore.open(name, o) };
  },
};

const bytes = (len: number, seed = 1) => {
  const b = new Uint8Array(len);
  let x = seed;
  for (let i = 0; i < len; i++) b[i] = x = (x * 1103515245 + 12345) >>> 16 & 0xff;
  return b;
};
const streamOf = (b: Uint8Array, cut = 65536) => new ReadableStream<Uint8Array>({
  start(c) {
    for (let i = 0; i < b.length; i += cut) c.enqueue(b.slice(i, i + cut));
    c.close();
  },
});
const same = (a: Uint8Array | undefined, b: Uint8Array) => a !== undefined && Buffer.compare(a, b) === 0;
const collect = async (s: ReadableStream<Uint8Array>) => new Uint8Array(await new Response(s).arrayBuffer());

for (const [kind, make] of Object.entries(kits)) {
  describe(`${kind} store contract`, () => {
    it('stores, lists, reads ranges and deletes blobs', async () => {
      const k = make();
      const s = await k.blobs();
      const small = bytes(1000);
      const big = bytes(3 * 1048576 + 17, 7);
      const ds = await sha256(small);
      const db = await sha256(big);
      expect(await s.has(ds)).toBe(false);
      expect(await s.get(ds)).toBeUndefined();
      expect(await s.read(ds, 0, 1)).toBeUndefined();
      await s.put(ds, small);
      await s.put(db, streamOf(big));
      await s.put(db, streamOf(big)); // idempotent
      expect(await s.size(ds)).toBe(1000);
      expect(await s.size(db)).toBe(big.length);
      expect(same(await collect((await s.get(db))!), big)).toBe(true);
      // Ranges inside one piece, across pieces, and past the end.
      expect(same(await s.read(db, 5, 10), big.slice(5, 15))).toBe(true);
      expect(same(await s.read(db, 1048576 - 3, 2 * 1048576 + 10), big.slice(1048573, 1048573 + 2 * 1048576 + 10))).toBe(true);
      expect(same(await s.read(db, big.length - 4, 100), big.slice(-4))).toBe(true);
      expect(await s.read(db, big.length + 4, 100)).toEqual(new Uint8Array(0));
      // Where the store reads at once: the same ranges straight into a buffer.
      if (s.readNow) {
        const dst = new Uint8Array(2 * 1048576 + 10);
        expect(s.readNow(db, 1048576 - 3, dst)).toBe(dst.byteLength);
        expect(same(dst, big.slice(1048573, 1048573 + dst.byteLength))).toBe(true);
        const tail = new Uint8Array(100);
        expect(s.readNow(db, big.length - 4, tail)).toBe(4);
        expect(same(tail.subarray(0, 4), big.slice(-4))).toBe(true);
        expect(s.readNow(db, big.length + 4, tail)).toBe(0);
        expect(s.readNow(await sha256(bytes(5, 3)), 0, tail)).toBeUndefined();
      }
      expect((await s.list()).map(String).sort()).toEqual([ds, db].map(String).sort());
      expect(await s.usage()).toBe(1000 + big.length);
      await s.delete(ds);
      expect(await s.has(ds)).toBe(false);
      expect(await s.usage()).toBe(big.length);
      const again = await k.reopen();
      expect(same(await collect((await again.get(db))!), big)).toBe(true);
    });

    it('stores the empty blob', async () => {
      const s = await make().blobs();
      const d = await sha256(new Uint8Array(0));
      await s.put(d, streamOf(new Uint8Array(0)));
      expect(await s.size(d)).toBe(0);
      expect(await collect((await s.get(d))!)).toEqual(new Uint8Array(0));
    });

    it('refuses content that does not match its digest, leaving nothing', async () => {
      const k = make();
      const s = await k.blobs();
      const d = await sha256(bytes(10));
      await expect(s.put(d, bytes(10, 2))).rejects.toMatchObject({ code: 'DIGEST_MISMATCH' });
      await expect(s.put(d, streamOf(bytes(2 * 1048576, 3)))).rejects.toMatchObject({ code: 'DIGEST_MISMATCH' });
      expect(await s.has(d)).toBe(false);
      expect(await s.list()).toEqual([]);
      expect(await s.usage()).toBe(0);
    });

    it('an interrupted write leaves nothing visible, and a later put finishes the job', async () => {
      const k = make();
      const s = await k.blobs();
      const big = bytes(2 * 1048576 + 5, 9);
      const d = await sha256(big);
      let sent = 0;
      const failing = new ReadableStream<Uint8Array>({
        pull(c) {
          if (sent >= 1048576 + 65536) return c.error(new Error('connection reset'));
          c.enqueue(big.slice(sent, sent + 65536));
          sent += 65536;
        },
      });
      await expect(s.put(d, failing)).rejects.toThrow('connection reset');
      expect(await s.has(d)).toBe(false);
      const re = await k.reopen();
      expect(await re.has(d)).toBe(false);
      expect(await re.usage()).toBe(0);
      await re.put(d, streamOf(big));
      expect(same(await re.read(d, 0, big.length), big)).toBe(true);
    });

    it('a full store says STORE_FULL with what was needed and what prune would free', async () => {
      const k = make();
      const s = await k.blobs({ maxBytes: 2 * 1048576, reclaimable: async () => 5 * 1048576 });
      const a = bytes(1048576, 4);
      await s.put(await sha256(a), a);
      const big = bytes(3 * 1048576, 5);
      const d = await sha256(big);
      const e = await s.put(d, streamOf(big), { size: big.length }).catch((x: unknown) => x);
      if (!TabdockError.is(e, 'STORE_FULL')) throw e;
      const err = e as TabdockError;
      expect(err.data.needed).toBe(2 * 1048576);
      expect(err.data.reclaimable).toBe(5 * 1048576);
      expect(err.message).toMatch(/needed 2\.0 MiB more.*prune' would free 5\.0 MiB/);
      expect(await s.has(d)).toBe(false);
      // Nothing corrupted: the earlier blob reads back, usage is unchanged.
      expect(same(await s.read(await sha256(a), 0, a.length), a)).toBe(true);
      expect(await (await k.reopen()).usage()).toBe(1048576);
    });

    it('flushLater puts are readable at once and durable after flush(); flush of an absent blob fails', async () => {
      const k = make();
      let s = await k.blobs();
      const a = bytes(300_000, 11);
      const b = bytes(1000, 12);
      const da = await sha256(a);
      const db = await sha256(b);
      await s.put(da, a, { flushLater: true, hashed: true });
      await s.put(da, a, { flushLater: true, hashed: true }); // a second put of it keeps one
      await s.put(db, streamOf(b), { flushLater: true });
      // Seen by this process before the flush, as any blob is.
      expect(await s.has(da)).toBe(true);
      expect(await s.size(da)).toBe(a.length);
      expect(same(await s.read(da, 5, 100), a.slice(5, 105))).toBe(true);
      expect(same(await collect((await s.get(db))!), b)).toBe(true);
      if (s.readNow) {
        const dst = new Uint8Array(10);
        expect(s.readNow(da, 7, dst)).toBe(10);
        expect(same(dst, a.slice(7, 17))).toBe(true);
      }
      expect((await s.list()).map(String).sort()).toEqual([da, db].map(String).sort());
      expect(await s.usage()).toBe(a.length + b.length);
      if (kind === 'dir') {
        // Killed before the flush: nothing was named, so a reopen (which sweeps temp files) has none of it.
        s = await k.reopen();
        expect(await s.list()).toEqual([]);
        await s.put(da, a, { flushLater: true, hashed: true });
        await s.put(db, streamOf(b), { flushLater: true });
      }
      await Promise.all([s.flush([da, db]), s.flush([da])]);
      await s.flush([da, db]); // already durable: nothing to do
      expect(same(await s.read(da, 0, a.length), a)).toBe(true);
      const again = await k.reopen();
      expect(same(await again.read(da, 0, a.length), a)).toBe(true);
      expect(same(await again.read(db, 0, b.length), b)).toBe(true);
      const absent = await sha256(bytes(3, 13));
      await expect(s.flush([da, absent])).rejects.toMatchObject({ code: 'CHUNK_MISSING' });
      // Deleted before its flush: nothing may name it.
      const c = bytes(500, 14);
      const dc = await sha256(c);
      await s.put(dc, c, { flushLater: true });
      await s.delete(dc);
      expect(await s.has(dc)).toBe(false);
      await expect(s.flush([dc])).rejects.toMatchObject({ code: 'CHUNK_MISSING' });
      expect(await s.usage()).toBe(a.length + b.length);
    });

    it('hashed: bytes in hand and verified streams are stored under the digest vouched for; a stream that errors leaves nothing', async () => {
      const k = make();
      const s = await k.blobs();
      const a = bytes(2000, 15);
      const d = await sha256(a);
      await s.put(d, a, { hashed: true });
      expect(same(await s.read(d, 0, a.length), a)).toBe(true);
      const big = bytes(2 * 1048576 + 3, 16);
      const db = await sha256(big);
      await s.put(db, streamOf(big), { hashed: true });
      expect(same(await s.read(db, 0, big.length), big)).toBe(true);
      // A verified stream whose check failed ends in an error: nothing is kept.
      const other = bytes(1048576 + 9, 17);
      const dother = await sha256(other);
      let sent = 0;
      const wrong = new ReadableStream<Uint8Array>({
        pull(c) {
          if (sent >= other.length) return c.error(new Error('digest mismatch'));
          c.enqueue(other.slice(sent, sent + 65536));
          sent += 65536;
        },
      });
      await expect(s.put(dother, wrong, { hashed: true })).rejects.toThrow('digest mismatch');
      expect(await s.has(dother)).toBe(false);
      expect(await (await k.reopen()).has(dother)).toBe(false);
    });

    it('meta: JSON records, prefix keys, delete', async () => {
      const m = await make().meta();
      expect(await m.get('x')).toBeUndefined();
      await m.put('layer/b', { n: 2, d: await sha256(bytes(1)), u: undefined });
      await m.put('layer/a', { n: 1 });
      await m.put('image/a', [1, 2]);
      await m.put('layer/a', { n: 3 });
      expect(await m.get('layer/a')).toEqual({ n: 3 });
      expect(await m.get('layer/b')).toEqual({ n: 2, d: String(await sha256(bytes(1))) });
      expect(await m.keys('layer/')).toEqual(['layer/a', 'layer/b']);
      await m.delete('layer/a');
      await m.delete('nothing');
      expect(await m.keys('layer/')).toEqual(['layer/b']);
      expect(await m.keys('')).toEqual(['image/a', 'layer/b']);
    });
  });
}

describe('no-space detection', () => {
  it('knows ENOSPC, EDQUOT and QuotaExceededError (also as an abort cause)', () => {
    expect(isNoSpace(Object.assign(new Error('x'), { code: 'ENOSPC' }))).toBe(true);
    expect(isNoSpace(Object.assign(new Error('x'), { code: 'EDQUOT' }))).toBe(true);
    expect(isNoSpace({ name: 'QuotaExceededError' })).toBe(true);
    expect(isNoSpace(new Error('abort', { cause: { name: 'QuotaExceededError' } }))).toBe(true);
    expect(isNoSpace(new Error('other'))).toBe(false);
  });

  it('the dir store sweeps temp files of killed writes at open', async () => {
    const root = mkdtempSync(join(tmpdir(), 'tabdock-store-'));
    dirs.push(root);
    await DirBlobStore.open(root);
    writeFileSync(join(root, 'tmp', 'abc.partial'), 'half');
    const s = await DirBlobStore.open(root);
    expect(readdirSync(join(root, 'tmp'))).toEqual([]);
    expect(await s.list()).toEqual([]);
  });
});
