import type { ContainerFs, SetAttr } from './container-fs.ts';
import { E, FsError, errnoOf, fail } from './fs-error.ts';
import { Inode, type Kind } from './inode.ts';
import type { Fid, Handler, P9Context } from './p9-fid.ts';
import { namespaceHandlers } from './p9-namespace.ts';
import { QID_SIZE, T, WireReader, WireWriter } from './p9-wire.ts';

/**
 * A 9P2000.L server over container trees, shaped for v86's `filesystem.handle9p(reqbuf,
 * reply)`: every request frame comes in whole; its reply goes out through `reply` when
 * ready (async, any order; v86 matches replies to requests by tag). Failures become
 * Rlerror with a Linux errno; nothing throws out of `handle9p`.
 * Protocol: the 9P2000.L messages of Linux's net/9p (Documentation/filesystems/9p.rst,
 * include/net/9p/9p.h) and diod's protocol.md.
 */
export interface P9Deps {
  /** The tree `aname` names (a container ID); fail with FsError(ENOENT) for none. */
  attach(aname: string): Promise<ContainerFs>;
  /**
   * The attach names of all trees. When given, attach name '' mounts a shared root whose
   * directories are the trees: Linux allows one mount per virtio 9P channel and v86 has
   * one, so the guest mounts this once and bind-mounts each container's directory.
   */
  list?: () => string[] | Promise<string[]>;
  /** The store's room for statfs (`df`): total and free bytes; absent or undefined: nominal sizes. */
  capacity?: () => { total: number; free: number } | undefined;
  /** The largest msize granted (the client proposes; we take the smaller). */
  maxMsize?: number;
  now?: () => number;
}

const HEADER = 7;
const O_ACCMODE = 3;
const O_TRUNC = 0o1000;
const O_APPEND = 0o2000;
const DT: Record<Kind, number> = { f: 8, d: 4, l: 10, c: 2, b: 6, p: 1, s: 12 };
const enc = new TextEncoder();
const dec = new TextDecoder();


export class P9Server {
  msize = 8192;
  private readonly fids = new Map<number, Fid>();
  private readonly ctx: P9Context = {
    fid: (n) => this.fid(n),
    fids: this.fids,
    fs: (f) => f.fs ?? fail(E.EPERM),
    base: (f) => (f.fs ? this.base(f.fs) : 0),
  };
  private readonly inflight = new Map<number, Promise<void>>();
  /** Requests served, by message type (for benches and tests). */
  readonly counts = new Map<number, number>();
  private readonly now: () => number;

  constructor(private readonly deps: P9Deps) {
    this.now = deps.now ?? (() => Date.now() / 1000);
  }

  /** Where synchronous replies are built (see `handle9p`); grows to the largest one. */
  private scratch: Uint8Array = new Uint8Array(8192);

  /**
   * v86's hook: `new V86({ filesystem: { handle9p: server.handle9p } })`. The buffer
   * passed to `reply` is only valid during that call (v86 copies it into guest memory
   * there and then): a later reply may reuse it.
   */
  readonly handle9p = (req: Uint8Array, reply: (buf: Uint8Array) => void): void => {
    if (req.byteLength < HEADER) return; // no tag to answer to
    const type = req[4]!;
    const tag = req[5]! | (req[6]! << 8);
    this.counts.set(type, (this.counts.get(type) ?? 0) + 1);
    const h = this.handlers[type];
    if (!h) return reply(lerror(tag, E.EOPNOTSUPP));
    // Replies answered at once are built in one buffer kept for the purpose (a 512 KiB
    // read reply allocated and zeroed per request cost more than copying the data in);
    // a reply that waits moves to a buffer of its own first.
    const w = new WireWriter(this.scratch);
    let pending: Promise<void> | void;
    try {
      pending = h(new WireReader(req), w);
    } catch (e) {
      return reply(lerror(tag, errnoFor(e)));
    }
    // Answer at once when the work was synchronous (walk, getattr, readdir, cached reads):
    // the reply then reaches the guest within the same emulation slice, not the next one.
    if (!pending) {
      this.scratch = w.buffer;
      return reply(w.finish(type + 1, tag));
    }
    w.detach();
    const job = pending.then(() => reply(w.finish(type + 1, tag)), (e: unknown) => reply(lerror(tag, errnoFor(e))));
    this.inflight.set(tag, job);
    void job.finally(() => {
      if (this.inflight.get(tag) === job) this.inflight.delete(tag);
    });
  };

  /** The shared root's inode (attach name ''), when `list` is given. */
  private readonly shared = new Inode(1, 'd', 0o755, 0, 0, 0);
  /** Weak: a tree the engine stopped serving (and no fid holds) is not kept alive here. */
  private readonly bases = new WeakMap<ContainerFs, number>();
  private nextBase = 0;

  /**
   * Qid paths of tree n start at n * 2^33 (image inodes < 2^32, new ones from 2^32); n
   * counts to 2^19 and wraps (qid paths stay exact doubles), far beyond the trees alive at once.
   */
  private base(fs: ContainerFs): number {
    let b = this.bases.get(fs);
    if (b === undefined) {
      this.nextBase = (this.nextBase % 2 ** 19) + 1;
      this.bases.set(fs, (b = this.nextBase * 2 ** 33));
    }
    return b;
  }

  private walkIn(src: Fid, newfid: number, names: string[], w: WireWriter, qids: Inode[]): void {
    const fs = src.fs!;
    let node = src.node;
    let parent = src.parent;
    let name = src.name;
    const walked = qids.length;
    for (const part of names) {
      let next: Inode;
      try {
        next = fs.lookup(node, part);
      } catch (e) {
        if (qids.length === 0) throw e;
        break;
      }
      if (part === '.' || part === '..') {
        parent = next.links[0]?.dir;
        name = next.links[0]?.name;
      } else {
        parent = node;
        name = part;
      }
      node = next;
      qids.push(node);
    }
    if (qids.length === names.length + walked) this.fids.set(newfid, { fs, node, parent, name, uid: src.uid });
    w.u16(qids.length);
    for (const q of qids) w.qid(q, this.base(fs));
  }

  /** Directory entries from the fid's snapshot, from cookie `offset`, within `count` bytes. */
  private dirents(f: Fid, offset: number, count: number, w: WireWriter): void {
    const dir = f.dir!;
    const out = new WireWriter();
    let used = 0;
    for (let i = offset; i < dir.length; i++) {
      const [name, n] = dir[i]!;
      const len = QID_SIZE + 8 + 1 + 2 + enc.encode(name).byteLength;
      if (used + len > count) break;
      out.qid(n, this.ctx.base(f)).u64(i + 1).u8(DT[n.kind]).str(name);
      used += len;
    }
    w.u32(used).bytes(out.finish(0, 0).subarray(HEADER));
  }

  private fid(n: number): Fid {
    return this.fids.get(n) ?? fail(E.EBADF);
  }

  private readonly handlers: Record<number, Handler> = {
    [T.version]: (r, w) => {
      const msize = r.u32();
      const version = r.str();
      this.msize = Math.max(4096, Math.min(msize, this.deps.maxMsize ?? 512 * 1024));
      this.fids.clear();
      w.u32(this.msize).str(version.startsWith('9P2000.L') ? '9P2000.L' : 'unknown');
    },
    [T.attach]: async (r, w) => {
      const fid = r.u32();
      r.u32(); // afid: no auth
      r.str(); // uname
      const aname = r.str();
      const nUname = r.u32();
      const uid = nUname === 0xffffffff ? 0 : nUname;
      if (aname === '' && this.deps.list) {
        // The shared root: one mount for every tree (Linux allows one mount per virtio
        // 9P channel, and v86 has one), each tree a directory named by its attach name.
        this.fids.set(fid, { fs: undefined, node: this.shared, uid });
        return void w.qid(this.shared);
      }
      const fs = await this.deps.attach(aname);
      this.fids.set(fid, { fs, node: fs.root, uid });
      w.qid(fs.root, this.base(fs));
    },
    [T.walk]: (r, w) => {
      const src = this.fid(r.u32());
      const newfid = r.u32();
      const names = Array.from({ length: r.u16() }, () => r.str());
      if (!src.fs && names.length > 0 && names[0] !== '.' && names[0] !== '..') {
        // Into a tree from the shared root: open it (async), then walk on inside it.
        return this.deps.attach(names[0]!).then((fs) => {
          const inside: Fid = { fs, node: fs.root, parent: this.shared, name: names[0], uid: src.uid };
          this.walkIn(inside, newfid, names.slice(1), w, [fs.root]);
        }, () => fail(E.ENOENT));
      }
      if (!src.fs) {
        this.fids.set(newfid, { ...src });
        w.u16(names.length);
        for (let i = 0; i < names.length; i++) w.qid(this.shared);
        return;
      }
      this.walkIn(src, newfid, names, w, []);
    },
    [T.getattr]: (r, w) => {
      const f = this.fid(r.u32());
      const n = f.node;
      const [maj, min] = n.rdev ?? [0, 0];
      // new_encode_dev(): what v9fs decodes st_rdev with.
      const rdev = (min & 0xff) | (maj << 8) | ((min & ~0xff) << 12);
      w.u64(0x7ff).qid(n, this.ctx.base(f)).u32(n.fullMode).u32(n.uid).u32(n.gid).u64(n.nlink).u64(rdev >>> 0).u64(n.size).u64(4096).u64(n.blocks);
      for (const t of [n.atime, n.mtime, n.ctime, 0]) w.u64(Math.floor(t)).u64(Math.round((t % 1) * 1e9) % 1e9);
      w.u64(0).u64(0);
    },
    [T.setattr]: async (r, w) => {
      const f = this.fid(r.u32());
      const valid = r.u32();
      const mode = r.u32();
      const uid = r.u32();
      const gid = r.u32();
      const size = r.u64();
      const at = r.u64() + r.u64() / 1e9;
      const mt = r.u64() + r.u64() / 1e9;
      const a: SetAttr = {};
      if (valid & 0x1) a.mode = mode;
      if (valid & 0x2) a.uid = uid;
      if (valid & 0x4) a.gid = gid;
      if (valid & 0x8) a.size = size;
      if (valid & 0x10) a.atime = valid & 0x80 ? at : this.now();
      if (valid & 0x20) a.mtime = valid & 0x100 ? mt : this.now();
      await this.ctx.fs(f).setattr(f.node, a);
      void w;
    },
    [T.lopen]: (r, w) => {
      const f = this.fid(r.u32());
      const flags = r.u32();
      if (f.node.kind === 'd' && (flags & O_ACCMODE) !== 0) fail(E.EISDIR);
      f.open = flags;
      f.dir = undefined;
      w.qid(f.node, this.ctx.base(f)).u32(0);
      if (flags & O_TRUNC && f.node.kind === 'f' && (flags & O_ACCMODE) !== 0 && f.node.size > 0) return this.ctx.fs(f).setattr(f.node, { size: 0 });
    },
    [T.statfs]: (r, w) => {
      this.fid(r.u32());
      // V9FS_MAGIC; the store's room in 4 KiB blocks (the disk or the page's quota, or the
      // cap), else nominal sizes. Files are not counted: half of 2^24 free, as before.
      const cap = this.deps.capacity?.();
      const blocks = cap ? Math.floor(cap.total / 4096) : 1 << 24;
      const free = cap ? Math.floor(cap.free / 4096) : 1 << 23;
      w.u32(0x01021997).u32(4096).u64(blocks).u64(free).u64(free).u64(1 << 24).u64(1 << 23).u64(0).u32(255);
    },
    [T.fsync]: (r) => this.fid(r.u32()).fs?.sync(),
    [T.lock]: (r, w) => {
      this.fid(r.u32());
      // One client (the guest kernel), which arbitrates its own processes' locks.
      w.u8(0);
    },
    [T.getlock]: (r, w) => {
      this.fid(r.u32());
      r.u8();
      const start = r.u64();
      const length = r.u64();
      const proc = r.u32();
      w.u8(2).u64(start).u64(length).u32(proc).str(r.str()); // F_UNLCK: nothing conflicts
    },
    [T.read]: (r, w) => {
      const f = this.fid(r.u32());
      const offset = r.u64();
      const count = Math.min(r.u32(), this.msize - 11);
      // In memory: copied once, straight into the reply.
      if (!f.xr && this.ctx.fs(f).readNowInto(f.node, offset, count, (size) => w.reserve(4 + size).u32(size).take(size))) return;
      const data = f.xr ? f.xr.subarray(offset, offset + count) : this.ctx.fs(f).read(f.node, offset, count);
      if (data instanceof Uint8Array) return void w.reserve(4 + data.byteLength).u32(data.byteLength).bytes(data);
      return data.then((d) => void w.reserve(4 + d.byteLength).u32(d.byteLength).bytes(d));
    },
    [T.write]: async (r, w) => {
      const f = this.fid(r.u32());
      const offset = r.u64();
      const data = r.bytes(r.u32());
      if (f.xw) {
        if (offset + data.byteLength > f.xw.data.byteLength) fail(E.ERANGE);
        f.xw.data.set(data, offset);
      } else {
        await this.ctx.fs(f).write(f.node, offset, data, ((f.open ?? 0) & O_APPEND) !== 0);
      }
      w.u32(data.byteLength);
    },
    [T.readdir]: (r, w) => {
      const f = this.fid(r.u32());
      const offset = r.u64();
      const count = Math.min(r.u32(), this.msize - 11);
      if (!f.fs) {
        if (offset !== 0 && f.dir) return this.dirents(f, offset, count, w);
        // The shared root lists the trees; their qids here are placeholders (the client
        // walks in for real ones).
        return Promise.resolve(this.deps.list!()).then((names) => {
          f.dir = [['.', this.shared], ['..', this.shared], ...names.map((n, i): [string, Inode] => [n, new Inode(2 + i, 'd', 0o755, 0, 0, 0)])];
          this.dirents(f, offset, count, w);
        });
      }
      if (offset === 0 || !f.dir) f.dir = [['.', f.node], ['..', f.node.links[0]?.dir ?? f.node], ...f.fs.readdir(f.node)];
      this.dirents(f, offset, count, w);
    },
    [T.clunk]: (r) => {
      const n = r.u32();
      const f = this.fid(n);
      this.fids.delete(n);
      if (f.xw) this.ctx.fs(f).setxattr(f.node, f.xw.name, f.xw.data.byteLength ? dec.decode(f.xw.data) : undefined, f.xw.flags);
    },
    [T.flush]: (r) => {
      // Rflush only after the flushed request's reply went out (v86 keys replies by tag).
      const old = this.inflight.get(r.u16());
      if (old) return old;
    },
    ...namespaceHandlers(this.ctx),
  };
}

function errnoFor(e: unknown): number {
  return e instanceof RangeError ? E.EPROTO : errnoOf(e);
}

function lerror(tag: number, errno: number): Uint8Array {
  return new WireWriter().u32(errno).finish(T.lerror, tag);
}

export { FsError };
