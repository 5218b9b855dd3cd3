import { afterAll, describe, expect, it } from 'vitest';
import { sha256 } from '../registry-client/index.ts';
import { readFile } from './chunk-cache.ts';
import { lookupPath, type Inode } from './inode.ts';
import { LayerStore } from './layer-store.ts';
import { CHUNK } from './layer-entry.ts';
import { BACKENDS, dir, file, special, streamOf, tarLayer, unpackTar, type StoreKit, noise } from './test-helpers.ts';

const kits: StoreKit[] = [];
afterAll(() => kits.forEach((k) => k.cleanup()));
const text = (b: Uint8Array) => new TextDecoder().decode(b);
/** Bytes with no period (so no two chunks dedupe). */
for (const [backend, open] of Object.entries(BACKENDS)) {
  describe(`layer store on ${backend}`, () => {
    const kit = async () => {
      const k = await open();
      kits.push(k);
      return k;
    };

    it('keeps every entry type with its metadata; hard links within and across layers share an inode', async () => {
      const { layers } = await kit();
      const long = `deep/${'d'.repeat(120)}/${'n'.repeat(140)}.txt`;
      const l1 = await tarLayer([
        dir('etc/', { uid: 5, gid: 6, mode: 0o750 }),
        file('etc/passwd', 'root:x:0:0\n', { uid: 1, gid: 2, mode: 0o600, mtime: new Date(1_600_000_000_000) }),
        special('etc/pw-link', 'link', 'etc/passwd'),
        special('bin/sh', 'symlink', '/bin/busybox'),
        special('dev/null', 'character-device'),
        special('dev/sda', 'block-device'),
        special('run/fifo', 'fifo'),
        file(long, 'long name\n'),
        file('xattr.bin', 'x', { pax: { 'SCHILY.xattr.security.capability': 'cap', 'SCHILY.xattr.user.k': 'v' } }),
        file('/abs/path', 'abs\n'),
        file('./dot/../dotted', 'dotted\n'),
      ]);
      const l2 = await tarLayer([special('etc/pw-link2', 'link', 'etc/passwd')]);
      await unpackTar(layers, l1);
      await unpackTar(layers, l2);
      const t = await layers.imageTree([l1.diffId, l2.diffId]);
      const at = (p: string) => lookupPath(t.root, p)!;
      expect(at('etc').mode).toBe(0o750);
      expect([t.root.nlink, at('etc').nlink]).toEqual([8, 2]); // 2 + subdirectories
      expect([at('etc').uid, at('etc').gid]).toEqual([5, 6]);
      const pw = at('etc/passwd');
      expect([pw.kind, pw.mode, pw.uid, pw.gid, pw.mtime, pw.size]).toEqual(['f', 0o600, 1, 2, 1_600_000_000, 11]);
      expect(at('etc/pw-link')).toBe(pw);
      expect(at('etc/pw-link2')).toBe(pw);
      expect(pw.nlink).toBe(3);
      expect(text(await readFile(layers.cache, pw, 0, 100))).toBe('root:x:0:0\n');
      expect([at('bin/sh').kind, at('bin/sh').target]).toEqual(['l', '/bin/busybox']);
      expect(at('dev/null').kind).toBe('c');
      expect(at('dev/sda').kind).toBe('b');
      expect(at('run/fifo').kind).toBe('p');
      expect(text(await readFile(layers.cache, at(long), 0, 100))).toBe('long name\n');
      expect(at('xattr.bin').xattrs).toEqual({ 'security.capability': 'cap', 'user.k': 'v' });
      expect(text(await readFile(layers.cache, at('abs/path'), 0, 9))).toBe('abs\n');
      expect(text(await readFile(layers.cache, at('dotted'), 0, 9))).toBe('dotted\n');
    });

    it('refuses breakouts and entries through a symlink; the host never follows one', async () => {
      const { layers } = await kit();
      const evil = await tarLayer([file('a/../../etc/shadow', 'x')]);
      await expect(unpackTar(layers, evil)).rejects.toMatchObject({ code: 'LAYER_UNSAFE' });
      expect(await layers.has(evil.diffId)).toBe(false);
      // Names Linux cannot hold: a component over NAME_MAX, a NUL byte, a symlink target with one.
      // (A NUL can only come through PAX records: a ustar name field ends at the first NUL.)
      const nulLink = special('l', 'symlink', 'x');
      nulLink.header.pax = { linkpath: 'a\0b' };
      for (const bad of [[file(`d/${'n'.repeat(256)}`, 'x')], [file('a', 'x', { pax: { path: 'a\0b' } })], [nulLink]]) {
        const t = await tarLayer(bad);
        await expect(unpackTar(layers, t)).rejects.toMatchObject({ code: 'LAYER_UNSAFE' });
        expect(await layers.has(t.diffId)).toBe(false);
      }
      const ok255 = await tarLayer([file('n'.repeat(255), 'fits')]);
      await unpackTar(layers, ok255);
      const via = await tarLayer([special('lnk', 'symlink', '/etc'), file('lnk/passwd', 'owned')]);
      const r = await unpackTar(layers, via);
      expect(r.skipped).toEqual(['lnk/passwd: passes through a symlink of the same layer']);
      const t = await layers.imageTree([via.diffId]);
      expect(lookupPath(t.root, 'lnk')!.kind).toBe('l');
      expect(lookupPath(t.root, 'etc')).toBeUndefined();
      // Across layers: a later layer cannot write through a lower symlink either.
      const later = await tarLayer([file('lnk/x', 'y')]);
      await unpackTar(layers, later);
      const t2 = await layers.imageTree([via.diffId, later.diffId]);
      expect(lookupPath(t2.root, 'lnk')!.kind).toBe('l');
      expect(t2.skipped).toEqual(['lnk/x: a parent is a symlink']);
    });

    it('reads a big file by range, chunk by chunk; zero chunks take no space', async () => {
      const { layers, chunks } = await kit();
      const big = noise(3 * CHUNK + 1000, 1);
      big.fill(0, CHUNK, 2 * CHUNK); // one hole
      const l = await tarLayer([file('big.bin', big)]);
      const r = await unpackTar(layers, l);
      expect(r.entries[0]!.c!.map((c) => c === null)).toEqual([false, true, false, false]);
      expect(await chunks.usage()).toBe(2 * CHUNK + 1000);
      const t = await layers.imageTree([l.diffId]);
      const n = lookupPath(t.root, 'big.bin')!;
      const got = await readFile(layers.cache, n, CHUNK - 10, CHUNK + 20);
      expect(Buffer.compare(got, big.subarray(CHUNK - 10, 2 * CHUNK + 10))).toBe(0);
      expect((await readFile(layers.cache, n, big.length - 5, 100)).length).toBe(5);
    });

    it('packs small files into shared blobs; each reads back alone, a write past a packed file\'s end leaves zeros, and gc keeps the packs', async () => {
      const k = await kit();
      const small = Array.from({ length: 4000 }, (_, i) => noise(60 + (i % 50), 100 + i));
      const medium = noise(40 * 1024, 7); // over PACK_MAX: a blob of its own
      const l = await tarLayer([dir('d/'), ...small.map((b, i) => file(`d/f${i}`, b)), file('m', medium), file('zero', new Uint8Array(100)), file('empty', '')]);
      await unpackTar(k.layers, l);
      // 4000 files of 60-109 bytes (~340 KB): two packs, plus the medium file.
      expect((await k.chunks.list()).length).toBe(3);
      const t = await k.layers.imageTree([l.diffId]);
      for (const i of [0, 1, 1234, 3100, 3999]) {
        const n = lookupPath(t.root, `d/f${i}`)!;
        expect(Buffer.compare(await readFile(k.layers.cache, n, 0, 1000), small[i]!)).toBe(0);
        expect(Buffer.compare(await readFile(k.layers.cache, n, 10, 20), small[i]!.subarray(10, 30))).toBe(0);
      }
      expect(Buffer.compare(await readFile(k.layers.cache, lookupPath(t.root, 'm')!, 0, 1 << 20), medium)).toBe(0);
      expect(await readFile(k.layers.cache, lookupPath(t.root, 'zero')!, 0, 1000)).toEqual(new Uint8Array(100));
      // A container extends a packed file: the gap reads as zeros, never the next file's bytes.
      const { ContainerFs } = await import('./container-fs.ts');
      const fs = await ContainerFs.open(k.layers, 'packed', [l.diffId]);
      const f0 = lookupPath(fs.root, 'd/f0')!;
      await fs.write(f0, 200, new Uint8Array([1]));
      const want = new Uint8Array(201);
      want.set(small[0]!);
      want[200] = 1;
      expect(Buffer.compare(await fs.read(f0, 0, 1000), want)).toBe(0);
      await fs.sync();
      await k.layers.collect();
      k.layers.cache.clear(); // from the store again, not memory
      expect(Buffer.compare(await fs.read(lookupPath(fs.root, 'd/f1')!, 0, 1000), small[1]!)).toBe(0);
      await fs.close();
      const again = await ContainerFs.open(k.layers, 'packed', [l.diffId]);
      expect(Buffer.compare(await again.read(lookupPath(again.root, 'd/f0')!, 0, 1000), want)).toBe(0);
      expect(Buffer.compare(await again.read(lookupPath(again.root, 'd/f3999')!, 0, 1000), small[3999]!)).toBe(0);
      await again.close();
    });

    it('packs a container\'s small files when it saves them: 3000 files make a pack per save, not a blob each, and read back after a reopen and a gc', async () => {
      const k = await kit();
      const l = await tarLayer([dir('d/')]);
      await unpackTar(k.layers, l);
      const before = (await k.chunks.list()).length;
      const { ContainerFs } = await import('./container-fs.ts');
      const fs = await ContainerFs.open(k.layers, 'writes', [l.diffId]);
      const d = lookupPath(fs.root, 'd')!;
      const body = (i: number) => noise(60 + (i % 50), 7000 + i);
      for (let i = 0; i < 3000; i++) await fs.write(fs.create(d, `f${i}`, 'f', { mode: 0o644, uid: 0, gid: 0 }), 0, body(i));
      await fs.sync();
      // One pack per save (the background saves run while it writes), never a blob per file.
      expect((await k.chunks.list()).length - before).toBeLessThan(100);
      // Rewritten and grown past the pack size: each a blob of its own, the rest untouched.
      await fs.write(lookupPath(fs.root, 'd/f5')!, 0, noise(40 * 1024, 1));
      await fs.write(lookupPath(fs.root, 'd/f6')!, 100, new Uint8Array([9]));
      await fs.sync();
      await fs.close();
      await k.layers.collect();
      k.layers.cache.clear();
      const again = await ContainerFs.open(k.layers, 'writes', [l.diffId]);
      const read = (name: string) => again.read(lookupPath(again.root, `d/${name}`)!, 0, 1 << 20);
      for (const i of [0, 1, 2999]) expect(Buffer.compare(await read(`f${i}`), body(i))).toBe(0);
      expect(Buffer.compare(await read('f5'), noise(40 * 1024, 1))).toBe(0);
      const six = new Uint8Array(101);
      six.set(body(6));
      six[100] = 9;
      expect(Buffer.compare(await read('f6'), six)).toBe(0);
      await again.close();
    });

    it('an interrupted unpack is never complete; a later one finishes; gc sweeps leftovers', async () => {
      const k = await kit();
      const big = noise(4 * CHUNK, 2);
      const l = await tarLayer([file('a.bin', big), file('b.txt', 'b\n')]);
      const half = l.tar.slice(0, 2 * CHUNK + 4096);
      let sent = false;
      const dying = new ReadableStream<Uint8Array>({
        pull(c) {
          if (sent) return c.error(new Error('tab closed'));
          c.enqueue(half);
          sent = true;
        },
      });
      await expect(k.layers.unpack({ diffId: l.diffId, source: dying, compression: 'none', what: 'x' })).rejects.toThrow();
      expect(await k.layers.has(l.diffId)).toBe(false);
      // Leftovers: the two chunks written, named by nothing.
      expect((await k.chunks.list()).length).toBe(2);
      const again = await k.reopen();
      expect(await again.layers.has(l.diffId)).toBe(false);
      // The directory store never flushed them, so they never got their names: its reopen
      // sweeps them with the temp files. IndexedDB keeps them for gc.
      expect((await again.chunks.list()).length).toBe(backend === 'dir' ? 0 : 2);
      expect(await again.layers.gc()).toMatchObject({ layers: 0, chunks: backend === 'dir' ? 0 : 2 });
      expect(await again.chunks.list()).toEqual([]);
      await unpackTar(again.layers, l);
      expect(await again.layers.has(l.diffId)).toBe(true);
    });

    it('a full store fails the unpack with STORE_FULL and leaves no layer; gc frees the rest', async () => {
      const k = await kit();
      const chunks = await k.chunksWith({ maxBytes: 2 * CHUNK });
      const capped = new LayerStore({ chunks, meta: k.meta });
      const l = await tarLayer([file('a.bin', noise(3 * CHUNK, 5))]);
      await expect(unpackTar(capped, l)).rejects.toMatchObject({ code: 'STORE_FULL' });
      expect(await capped.has(l.diffId)).toBe(false);
      expect(await chunks.usage()).toBeLessThanOrEqual(2 * CHUNK);
      await capped.gc();
      expect(await chunks.usage()).toBe(0);
    });

    it('an unpack inside a hold finishes while a gc waits for that hold, and the gc keeps what the hold retained', async () => {
      const k = await kit();
      const l = await tarLayer([file('a.txt', 'held\n')]);
      let gcStarted!: () => void;
      const started = new Promise<void>((r) => (gcStarted = r));
      let gc: Promise<unknown> | undefined;
      const held = k.layers.hold(async () => {
        await null; // the hold is registered once its function has begun
        gc = k.layers.gc();
        gcStarted();
        // unpack would wait for that gc, which waits for this hold: never done
        await k.layers.unpackHeld({ diffId: l.diffId, source: streamOf(l.tar), compression: 'none', what: 'held layer' });
        await k.layers.retain('owner', [l.diffId]);
      });
      await started;
      const winner = await Promise.race([held.then(() => 'done'), new Promise((r) => setTimeout(() => r('stuck'), 20_000))]);
      expect(winner).toBe('done');
      await gc;
      const t = await k.layers.imageTree([l.diffId]);
      expect(text(await readFile(k.layers.cache, lookupPath(t.root, 'a.txt')!, 0, 100))).toBe('held\n');
    });

    it('gc waits for open containers to flush what they wrote', async () => {
      const k = await kit();
      const l = await tarLayer([file('f', 'x')]);
      await unpackTar(k.layers, l);
      const { ContainerFs } = await import('./container-fs.ts');
      const fs = await ContainerFs.open(k.layers, 'gc', [l.diffId]);
      const n = fs.create(fs.root, 'new', 'f', { mode: 0o644, uid: 0, gid: 0 });
      await fs.write(n, 0, noise(1000, 9));
      await k.layers.gc();
      expect(await k.chunks.usage()).toBe(1001);
      await fs.close();
    });

    it('a tree that dedups against a chunk a gc is deleting waits for the deletion and stores the chunk anew', async () => {
      const k = await kit();
      const l = await tarLayer([file('f', 'x')]);
      await unpackTar(k.layers, l);
      // An orphan chunk (an interrupted unpack's leftover): the gc deletes it.
      const bytes = noise(1000, 5);
      const d = await sha256(bytes);
      await k.chunks.put(d, bytes);
      // The real store, with the orphan's deletion held open until the test lets it go.
      let deleting!: () => void;
      const deleteStarted = new Promise<void>((r) => (deleting = r));
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      const chunks = new Proxy(k.chunks, {
        get(t, p) {
          if (p === 'delete') return async (x: typeof d) => (x.hex === d.hex && (deleting(), await gate), t.delete(x));
          const v = Reflect.get(t, p) as unknown;
          return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(t) : v;
        },
      });
      const layers = new LayerStore({ chunks, meta: k.meta });
      const { ContainerFs } = await import('./container-fs.ts');
      const fs = await ContainerFs.open(layers, 'race', [l.diffId]);
      const gc = layers.gc();
      await deleteStarted;
      // The container writes the same bytes while the orphan is being deleted.
      const n = fs.create(fs.root, 'same', 'f', { mode: 0o644, uid: 0, gid: 0 });
      await fs.write(n, 0, bytes);
      let synced = false;
      const sync = fs.sync().finally(() => (synced = true));
      // Either the save finished while the chunk was still there (it counted on it), or it is waiting for the sweep.
      await expect.poll(() => synced || layers.sweepWaits > 0, { timeout: 30_000 }).toBe(true);
      release();
      await Promise.all([sync, gc]);
      expect(await k.chunks.has(d)).toBe(true);
      await fs.close();
      const again = await ContainerFs.open(layers, 'race', [l.diffId]);
      expect(await again.read(lookupPath(again.root, 'same')!, 0, 1000)).toEqual(bytes);
      await again.close();
    });

    it('a wrong diff ID leaves no layer', async () => {
      const { layers } = await kit();
      const l = await tarLayer([file('a', 'a')]);
      const wrong = await sha256(new Uint8Array([1]));
      await expect(layers.unpack({ diffId: wrong, source: streamOf(l.tar), compression: 'none', what: 'layer' })).rejects.toMatchObject({ code: 'DIFF_ID_MISMATCH' });
      expect(await layers.has(wrong)).toBe(false);
    });

    it('a shared layer is stored once; removing one image keeps it; removing both frees it', async () => {
      const { layers, chunks } = await kit();
      const base = await tarLayer([file('base.txt', 'base'.repeat(1000))]);
      const top = await tarLayer([file('top.txt', 'top'.repeat(1000))]);
      await unpackTar(layers, base);
      const again = await unpackTar(layers, base);
      expect(again.stored).toBe(4000);
      await unpackTar(layers, top);
      await layers.retain('image-a', [base.diffId]);
      await layers.retain('image-b', [base.diffId, top.diffId]);
      expect((await layers.refs(base.diffId)).sort()).toEqual(['image-a', 'image-b']);
      expect(await chunks.usage()).toBe(7000);
      await layers.release('image-b');
      expect(await layers.reclaimable()).toBe(3000);
      expect(await layers.gc()).toEqual({ layers: 1, chunks: 1, bytes: 3000 });
      expect(await layers.has(base.diffId)).toBe(true);
      expect(await layers.has(top.diffId)).toBe(false);
      await layers.release('image-a');
      await layers.gc();
      expect(await chunks.usage()).toBe(0);
      expect(await layers.has(base.diffId)).toBe(false);
    });
  });
}

export type { Inode };
