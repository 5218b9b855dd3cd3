import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, describe, expect, it } from 'vitest';
import { Digest } from '../registry-client/index.ts';
import { ContainerFs } from './container-fs.ts';
import { E, FsError } from './fs-error.ts';
import { lookupPath } from './inode.ts';
import { CHUNK } from './layer-entry.ts';
import { P9Server } from './p9-server.ts';
import { T, WireReader, WireWriter } from './p9-wire.ts';
import { BACKENDS, dir, file, special, tarLayer, unpackTar, type StoreKit } from './test-helpers.ts';

// Wire-level: frames in, frames out, exactly as v86 hands them to `handle9p`.
const kits: StoreKit[] = [];
afterAll(() => kits.forEach((k) => k.cleanup()));
const text = (b: Uint8Array) => new TextDecoder().decode(b);

class Client {
  private tag = 1;
  constructor(readonly server: P9Server) {}

  /** Sends one request; resolves with the reply's type and a reader over its body. */
  call(type: number, body: (w: WireWriter) => unknown = () => {}): Promise<{ type: number; r: WireReader; raw: Uint8Array }> {
    const w = new WireWriter();
    body(w);
    const tag = this.tag++ & 0xffff;
    const req = w.finish(type, tag);
    // Copied inside the callback, as v86 does: the server may reuse the buffer afterwards.
    return new Promise((resolve) => this.server.handle9p(req, (reply) => {
      const raw = reply.slice();
      expect(raw[5]! | (raw[6]! << 8)).toBe(tag);
      expect(new DataView(raw.buffer, raw.byteOffset).getUint32(0, true)).toBe(raw.byteLength);
      resolve({ type: raw[4]!, r: new WireReader(raw), raw });
    }));
  }

  async ok(type: number, body?: (w: WireWriter) => unknown): Promise<WireReader> {
    const { type: got, r } = await this.call(type, body);
    if (got === T.lerror) throw new FsError(r.u32());
    expect(got).toBe(type + 1);
    return r;
  }

  async errno(type: number, body?: (w: WireWriter) => unknown): Promise<number> {
    const { type: got, r } = await this.call(type, body);
    expect(got).toBe(T.lerror);
    return r.u32();
  }

  walk(fid: number, newfid: number, ...names: string[]) {
    return this.ok(T.walk, (w) => {
      w.u32(fid).u32(newfid).u16(names.length);
      names.forEach((n) => w.str(n));
    });
  }

  async getattr(fid: number) {
    const r = await this.ok(T.getattr, (w) => w.u32(fid).u64(0x7ff));
    const valid = r.u64();
    const qid = { type: r.u8(), version: r.u32(), path: r.u64() };
    return { valid, qid, mode: r.u32(), uid: r.u32(), gid: r.u32(), nlink: r.u64(), rdev: r.u64(), size: r.u64(), blksize: r.u64(), blocks: r.u64(), atime: r.u64() + r.u64() / 1e9, mtime: r.u64() + r.u64() / 1e9 };
  }

  async read(fid: number, offset: number, count: number) {
    const r = await this.ok(T.read, (w) => w.u32(fid).u64(offset).u32(count));
    return r.bytes(r.u32()).slice();
  }

  async readdir(fid: number, count = 8192): Promise<string[]> {
    const names: string[] = [];
    for (let off = 0; ;) {
      const r = await this.ok(T.readdir, (w) => w.u32(fid).u64(off).u32(count));
      const n = r.u32();
      if (n === 0) return names;
      const end = 11 + n;
      const body = new WireReader(r.buf);
      body.bytes(4);
      let pos = 11;
      while (pos < end) {
        body.bytes(13);
        off = body.u64();
        body.u8();
        const name = body.str();
        names.push(name);
        pos += 13 + 8 + 1 + 2 + new TextEncoder().encode(name).byteLength;
      }
    }
  }
}

async function setup(backend: string) {
  const k = await BACKENDS[backend]!();
  kits.push(k);
  const big = new Uint8Array(2 * CHUNK + 5).map((_, i) => (i * 31) % 251);
  const l = await tarLayer([dir('etc/'), file('etc/hostname', 'base\n'), file('big.bin', big), special('bin/sh', 'symlink', 'busybox'), special('dev/null', 'character-device')]);
  await unpackTar(k.layers, l);
  const fs = await ContainerFs.open(k.layers, 'c9', [l.diffId]);
  const server = new P9Server({ attach: async (aname) => (aname === 'c9' ? fs : Promise.reject(new FsError(E.ENOENT))), maxMsize: 256 * 1024 });
  const c = new Client(server);
  return { k, fs, server, c, big };
}

async function mount(c: Client) {
  const r = await c.ok(T.version, (w) => w.u32(1 << 20).str('9P2000.L'));
  expect([r.u32(), r.str()]).toEqual([256 * 1024, '9P2000.L']);
  await c.ok(T.attach, (w) => w.u32(0).u32(0xffffffff).str('root').str('c9').u32(0));
}

for (const backend of Object.keys(BACKENDS)) {
  describe(`9P2000.L server on ${backend}`, () => {
    it('negotiates, attaches by aname, walks, stats, reads; errors are Rlerror', async () => {
      const { c, big } = await setup(backend);
      const v = await c.ok(T.version, (w) => w.u32(8192).str('9P2000.u'));
      expect([v.u32(), v.str()]).toEqual([8192, 'unknown']);
      expect(await c.errno(T.attach, (w) => w.u32(0).u32(0xffffffff).str('').str('nope').u32(0))).toBe(E.ENOENT);
      await mount(c);
      const root = await c.getattr(0);
      expect(root.qid.type).toBe(0x80);
      expect(root.mode & 0o170000).toBe(0o040000);
      const w = await c.walk(0, 1, 'etc', 'hostname');
      expect(w.u16()).toBe(2);
      const st = await c.getattr(1);
      expect([st.mode, st.size, st.nlink, st.valid]).toEqual([0o100644, 5, 1, 0x7ff]);
      // Partial walk: qids up to the failure, newfid not made; first-element failure: ENOENT.
      expect((await c.walk(0, 2, 'etc', 'missing', 'x')).u16()).toBe(1);
      expect(await c.errno(T.getattr, (w) => w.u32(2).u64(0x7ff))).toBe(E.EBADF);
      expect(await c.errno(T.walk, (w) => w.u32(0).u32(2).u16(1).str('missing'))).toBe(E.ENOENT);
      await c.walk(0, 3, 'big.bin');
      await c.ok(T.lopen, (w) => w.u32(3).u32(0));
      const got = await c.read(3, CHUNK - 3, 10);
      expect(Buffer.compare(got, big.subarray(CHUNK - 3, CHUNK + 7))).toBe(0);
      // A read never exceeds what msize can carry.
      expect((await c.read(3, 0, 1 << 20)).byteLength).toBe(256 * 1024 - 11);
      await c.walk(0, 4, 'bin', 'sh');
      expect((await c.ok(T.readlink, (w) => w.u32(4))).str()).toBe('busybox');
      expect((await c.getattr(4)).qid.type).toBe(0x02);
      await c.walk(0, 5, 'dev', 'null');
      expect((await c.getattr(5)).mode & 0o170000).toBe(0o020000);
      // Unknown and legacy types get Rlerror, never silence; short frames EPROTO.
      expect(await c.errno(200)).toBe(E.EOPNOTSUPP);
      expect(await c.errno(T.auth, (w) => w.u32(9).str('u').str('a').u32(0))).toBe(E.EOPNOTSUPP);
      expect(await c.errno(T.walk, (w) => w.u32(0))).toBe(E.EPROTO);
      const sf = await c.ok(T.statfs, (w) => w.u32(0));
      expect([sf.u32(), sf.u32()]).toEqual([0x01021997, 4096]);
    });

    it('creates, writes, appends, truncates, links, renames, unlinks, and it is all in the store', async () => {
      const { c, fs, k } = await setup(backend);
      await mount(c);
      await c.walk(0, 1, 'etc');
      await c.walk(1, 2);
      const cr = await c.ok(T.lcreate, (w) => w.u32(2).str('app.log').u32(0o2 | 0o100).u32(0o640).u32(7));
      expect(cr.u8()).toBe(0);
      await c.ok(T.write, (w) => w.u32(2).u64(0).u32(6).bytes(new TextEncoder().encode('hello\n')));
      await c.walk(1, 3, 'app.log');
      await c.ok(T.lopen, (w) => w.u32(3).u32(0o2 | 0o2000)); // O_RDWR|O_APPEND
      await c.ok(T.write, (w) => w.u32(3).u64(0).u32(6).bytes(new TextEncoder().encode('world\n')));
      expect(text(await c.read(3, 0, 100))).toBe('hello\nworld\n');
      const st = await c.getattr(3);
      expect([st.mode, st.uid, st.gid, st.size]).toEqual([0o100640, 0, 7, 12]);
      // setattr: truncate, chmod, chown, utimes.
      await c.ok(T.setattr, (w) => w.u32(3).u32(0x1 | 0x2 | 0x8 | 0x20 | 0x100).u32(0o600).u32(42).u32(0).u64(5).u64(0).u64(0).u64(1234567890).u64(500));
      const st2 = await c.getattr(3);
      expect([st2.mode, st2.uid, st2.size, Math.round(st2.mtime)]).toEqual([0o100600, 42, 5, 1234567890]);
      // mkdir, symlink, mknod, hard link, renameat, unlinkat.
      await c.ok(T.mkdir, (w) => w.u32(1).str('sub').u32(0o755).u32(0));
      await c.ok(T.symlink, (w) => w.u32(1).str('sym').str('app.log').u32(0));
      await c.ok(T.mknod, (w) => w.u32(1).str('fifo').u32(0o010644).u32(0).u32(0).u32(0));
      await c.ok(T.link, (w) => w.u32(1).u32(3).str('hard.log'));
      expect((await c.getattr(3)).nlink).toBe(2);
      await c.ok(T.renameat, (w) => w.u32(1).str('hard.log').u32(1).str('moved.log'));
      expect(await c.errno(T.renameat, (w) => w.u32(1).str('app.log').u32(1).str('sub'))).toBe(E.EISDIR);
      await c.ok(T.renameat, (w) => w.u32(1).str('hostname').u32(1).str('sym')); // over an existing name
      expect(await c.errno(T.unlinkat, (w) => w.u32(0).str('etc').u32(0x200))).toBe(E.ENOTEMPTY);
      await c.ok(T.unlinkat, (w) => w.u32(1).str('fifo').u32(0));
      expect(await c.errno(T.mkdir, (w) => w.u32(1).str('sub').u32(0o755).u32(0))).toBe(E.EEXIST);
      expect(await c.errno(T.mkdir, (w) => w.u32(1).str('sub').u32(0o755).u32(0))).toBe(E.EEXIST);
      await c.ok(T.mkdir, (w) => w.u32(1).str('d2').u32(0o700).u32(0));
      await c.ok(T.unlinkat, (w) => w.u32(1).str('d2').u32(0x200));
      expect((await c.readdir(1)).sort()).toEqual(['.', '..', 'app.log', 'moved.log', 'sub', 'sym']);
      // Unlink of an open file: the fid still reads it.
      await c.ok(T.unlinkat, (w) => w.u32(1).str('app.log').u32(0));
      expect(text(await c.read(3, 0, 100))).toBe('hello');
      // xattrs: create by write+clunk, list and read by walk.
      await c.walk(1, 4, 'sub');
      await c.ok(T.xattrcreate, (w) => w.u32(4).str('user.k').u64(3).u32(0));
      await c.ok(T.write, (w) => w.u32(4).u64(0).u32(3).bytes(new TextEncoder().encode('val')));
      await c.ok(T.clunk, (w) => w.u32(4));
      await c.walk(1, 4, 'sub');
      const xs = await c.ok(T.xattrwalk, (w) => w.u32(4).u32(5).str(''));
      expect(xs.u64()).toBe(7);
      expect(text(await c.read(5, 0, 100))).toBe('user.k\0');
      const xv = await c.ok(T.xattrwalk, (w) => w.u32(4).u32(6).str('user.k'));
      expect(xv.u64()).toBe(3);
      expect(text(await c.read(6, 0, 100))).toBe('val');
      expect(await c.errno(T.xattrwalk, (w) => w.u32(4).u32(6).str('user.none'))).toBe(E.ENODATA);
      // lock/getlock/fsync.
      expect((await c.ok(T.lock, (w) => w.u32(4).u8(1).u32(0).u64(0).u64(0).u32(1).str('guest'))).u8()).toBe(0);
      expect((await c.ok(T.getlock, (w) => w.u32(4).u8(1).u64(0).u64(10).u32(1).str('guest'))).u8()).toBe(2);
      await c.ok(T.fsync, (w) => w.u32(4).u32(0));
      // What the guest did is in the store: a reload sees it.
      const again = await k.reopen();
      const fs2 = await ContainerFs.open(again.layers, 'c9', []);
      void fs;
      const etc = fs2.lookup(fs2.root, 'etc');
      expect([...etc.children!.keys()].sort()).toEqual(['moved.log', 'sub', 'sym']);
      expect(text(await fs2.read(fs2.lookup(etc, 'moved.log'), 0, 100))).toBe('hello');
      expect(fs2.lookup(etc, 'sym').kind).toBe('f'); // hostname renamed over the symlink
      expect(fs2.getxattr(fs2.lookup(etc, 'sub'), 'user.k')).toBe('val');
    });

    it('a shared root (attach name \'\') lists the trees and walks into them; qids differ per tree', async () => {
      const { fs, k } = await setup(backend);
      const other = await ContainerFs.open(k.layers, 'other', [...(await k.meta.keys('fsl/layer/'))].map((key) => Digest.fromHex(key.slice('fsl/layer/'.length))));
      const server = new P9Server({ attach: async (a) => ({ c9: fs, other } as Record<string, ContainerFs>)[a] ?? Promise.reject(new FsError(E.ENOENT)), list: () => ['c9', 'other'] });
      const c = new Client(server);
      await c.ok(T.version, (w) => w.u32(65536).str('9P2000.L'));
      await c.ok(T.attach, (w) => w.u32(0).u32(0xffffffff).str('root').str('').u32(0));
      await c.ok(T.lopen, (w) => w.u32(0).u32(0));
      expect(await c.readdir(0)).toEqual(['.', '..', 'c9', 'other']);
      expect((await c.walk(0, 1, 'c9', 'etc', 'hostname')).u16()).toBe(3);
      expect((await c.getattr(1)).size).toBe(5);
      await c.walk(0, 2, 'other', 'etc', 'hostname');
      expect((await c.getattr(1)).qid.path).not.toBe((await c.getattr(2)).qid.path);
      expect(await c.errno(T.walk, (w) => w.u32(0).u32(3).u16(1).str('nope'))).toBe(E.ENOENT);
      expect(await c.errno(T.mkdir, (w) => w.u32(0).str('x').u32(0o755).u32(0))).toBe(E.EPERM);
      await other.close();
    });

    it('keeps no tree it stopped serving: 50 trees walked into, clunked and dropped can all be collected', async () => {
      setFlagsFromString('--expose-gc');
      const gc = runInNewContext('gc') as () => void;
      const { k } = await setup(backend);
      const diffIds = [...(await k.meta.keys('fsl/layer/'))].map((key) => Digest.fromHex(key.slice('fsl/layer/'.length)));
      const live = new Map<string, ContainerFs>();
      const server = new P9Server({ attach: async (a) => live.get(a) ?? Promise.reject(new FsError(E.ENOENT)), list: () => [...live.keys()] });
      const c = new Client(server);
      await c.ok(T.version, (w) => w.u32(65536).str('9P2000.L'));
      await c.ok(T.attach, (w) => w.u32(0).u32(0xffffffff).str('root').str('').u32(0));
      // One tree's life, in a function of its own so this test's frame holds none of them.
      const serveOnce = async (name: string): Promise<WeakRef<ContainerFs>> => {
        const fs = await ContainerFs.open(k.layers, name, diffIds);
        live.set(name, fs);
        await c.walk(0, 1, name, 'etc', 'hostname');
        expect((await c.getattr(1)).size).toBe(5);
        await c.ok(T.clunk, (w) => w.u32(1));
        live.delete(name);
        await fs.close();
        return new WeakRef(fs);
      };
      const refs: WeakRef<ContainerFs>[] = [];
      for (let i = 0; i < 50; i++) refs.push(await serveOnce(`t${i}`));
      for (let i = 0; i < 3; i++) {
        gc();
        await new Promise((r) => setImmediate(r));
      }
      expect(refs.flatMap((r, i) => (r.deref() ? [i] : []))).toEqual([]);
    });

    it('reads file data across chunks; from a store that reads at once the reply comes before handle9p returns; a lost chunk is EIO', async () => {
      const { c, k, fs, big } = await setup(backend);
      await mount(c);
      await c.walk(0, 1, 'big.bin');
      await c.ok(T.lopen, (w) => w.u32(1).u32(0));
      k.layers.cache.clear(); // nothing in memory: the bytes come from the store
      let called = false;
      const answered = new Promise<Uint8Array>((resolve) => c.server.handle9p(new WireWriter().u32(1).u64(CHUNK - 50000).u32(100000).finish(T.read, 7), (reply) => {
        called = true;
        resolve(reply.slice());
      }));
      // The executor above ran handle9p synchronously: `called` says whether it replied before returning.
      if (backend === 'dir') expect(called).toBe(true); // the directory store reads at once
      const raw = await answered;
      const r = new WireReader(raw);
      expect(raw[4]).toBe(T.read + 1);
      expect(Buffer.from(r.bytes(r.u32())).equals(Buffer.from(big.subarray(CHUNK - 50000, CHUNK + 50000)))).toBe(true);
      // The last chunk is gone from the store (a damaged store): the read fails, the server stays up.
      const last = lookupPath(fs.root, 'big.bin')!.chunks[2]!;
      await k.layers.chunks.delete(Digest.fromHex(last));
      k.layers.cache.clear();
      expect(await c.errno(T.read, (w) => w.u32(1).u64(2 * CHUNK).u32(5))).toBe(E.EIO);
      expect(Array.from(await c.read(1, 0, 4))).toEqual(Array.from(big.slice(0, 4)));
    });

    it('answers out of order, pages a 10,000-entry directory, and flushes after the flushed reply', async () => {
      const { c, fs } = await setup(backend);
      await mount(c);
      for (let i = 0; i < 10000; i++) fs.create(fs.root, `f${i}`, 'f', { mode: 0o644, uid: 0, gid: 0 });
      await c.walk(0, 1);
      await c.ok(T.lopen, (w) => w.u32(1).u32(0));
      const names = await c.readdir(1, 4000);
      expect(names.length).toBe(10000 + 2 + 4);
      expect(new Set(names).size).toBe(names.length);
      // A write (copy-up from the store: it waits on both stores; a read from the dir store
      // is answered at once) and a getattr in flight together: the getattr's reply comes first.
      await c.walk(0, 2, 'big.bin');
      await c.ok(T.lopen, (w) => w.u32(2).u32(0o2)); // O_RDWR
      const order: string[] = [];
      const data = new Uint8Array(200000).fill(7);
      const slow = c.ok(T.write, (w) => w.u32(2).u64(0).u32(data.byteLength).bytes(data)).then(() => order.push('write'));
      const fast = c.getattr(0).then(() => order.push('getattr'));
      await Promise.all([slow, fast]);
      expect(order).toEqual(['getattr', 'write']);
      const tagOfWrite = 100;
      let writeDone = false;
      const w = new WireWriter().u32(2).u64(300000).u32(data.byteLength).bytes(data);
      const flushed = new Promise<void>((res) => c.server.handle9p(w.finish(T.write, tagOfWrite), () => {
        writeDone = true;
        res();
      }));
      const fl = await c.ok(T.flush, (x) => x.u16(tagOfWrite));
      expect(writeDone).toBe(true);
      void fl;
      await flushed;
      await fs.close();
    });
  });
}
