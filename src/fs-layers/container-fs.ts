import type { Digest } from '../registry-client/index.ts';
import { readFile, readFileNow, readFileNowInto } from './chunk-cache.ts';
import { E, errnoOf, fail } from './fs-error.ts';
import { cloneTree } from './image-tree.ts';
import { Inode, attach, detach, lookupPath, type Kind } from './inode.ts';
import { CHUNK } from './layer-entry.ts';
import type { LayerStore } from './layer-store.ts';
import { Quota } from './quota.ts';
import { WritableLayer, type PathRec } from './writable-layer.ts';

export interface NewNode {
  mode: number;
  uid: number;
  gid: number;
  target?: string;
  rdev?: [number, number];
}

export interface SetAttr {
  mode?: number;
  uid?: number;
  gid?: number;
  size?: number;
  atime?: number;
  mtime?: number;
}

/** Buffered chunk bytes before a write waits for a flush (bounds memory per container). */
const DIRTY_LIMIT = 16 << 20;
const NAME_MAX = 255;

/**
 * One container's tree: its image's layers plus a writable layer kept in the store.
 * Operations take and return inodes and fail with FsError (an errno). Copy-up is by
 * metadata and by chunk: writing to a lower file touches only the chunks written.
 */
export class ContainerFs {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly locks = new WeakMap<Inode, Promise<unknown>>();
  /** The last background flush's failure, reported by the next `sync()`. */
  private flushError: unknown;
  private readonly unhook: () => void;
  /** `--storage-opt size`: the writable layer's bytes may not pass it (see `quota.ts`). */
  private quota: Quota | undefined;

  private constructor(readonly layers: LayerStore, readonly rw: WritableLayer, readonly root: Inode, private readonly lower: Inode, readonly now: () => number) {
    // Before a gc: save what was written; what could not be saved stays pinned (no record
    // names its stored chunks yet, and a later flush retries them).
    this.unhook = layers.beforeGc(async () => {
      await this.sync().catch(() => {});
      return this.rw.pins();
    });
  }

  /**
   * Caps the writable layer's bytes (Docker's `--storage-opt size=`): a write that would
   * pass it fails with ENOSPC, as an overlay upper directory under an xfs project quota.
   * Counted as overlay counts its upper directory: a file the container changed counts
   * whole (its allocated chunks up to its size), once per inode. `undefined` lifts it.
   */
  setQuota(bytes: number | undefined): void {
    this.quota = bytes === undefined ? undefined : new Quota(bytes, this.root);
  }

  /** The writable layer's bytes as the quota counts them (undefined without a quota). */
  get quotaUsed(): number | undefined {
    return this.quota?.total;
  }

  /** Opens (creating) container `id` over an image's layers; takes a reference on them. */
  static async open(layers: LayerStore, id: string, diffIds: readonly Digest[], now: () => number = () => Date.now() / 1000): Promise<ContainerFs> {
    const image = await layers.imageTree(diffIds);
    const root = cloneTree(image.root);
    const rw = new WritableLayer(layers.meta, layers.chunks, layers.hasher, id, (hex, pin) => layers.claimChunk(hex, pin));
    await rw.load(root);
    await layers.retain(`container:${id}`, diffIds);
    return new ContainerFs(layers, rw, root, image.root, now);
  }

  lowerHas(path: string): boolean {
    return lookupPath(this.lower, path) !== undefined;
  }

  lookup(dir: Inode, name: string): Inode {
    if (dir.kind !== 'd') fail(E.ENOTDIR);
    if (name === '..') return dir.links[0]?.dir ?? dir;
    if (name === '.') return dir;
    return dir.children!.get(name) ?? fail(E.ENOENT);
  }

  readdir(dir: Inode): [string, Inode][] {
    if (dir.kind !== 'd') fail(E.ENOTDIR);
    return [...dir.children!];
  }

  private pathOf(dir: Inode, name: string): string {
    const d = dir.path;
    return d === '' ? name : `${d}/${name}`;
  }

  /** Makes the inode the writable layer's own (a metadata copy-up; data stays shared). */
  private own(n: Inode): void {
    if (!n.rw) {
      if (n.links.length === 0 && n !== this.root) return; // unlinked: nothing to record
      for (const l of n.links) this.rw.setPath(this.pathOf(l.dir, l.name), this.pathRec(n, this.pathOf(l.dir, l.name)));
      if (n === this.root) this.rw.setPath('', { p: '', i: n.ino });
    }
    this.rw.touch(n);
    this.quota?.account(n);
    this.schedule();
  }

  private pathRec(n: Inode, p: string): PathRec {
    return n.opaque ? { p, i: n.ino, o: 1 } : { p, i: n.ino };
  }

  private touchDir(dir: Inode): void {
    this.own(dir);
    dir.mtime = dir.ctime = this.now();
  }

  private checkName(dir: Inode, name: string): void {
    if (dir.kind !== 'd') fail(E.ENOTDIR);
    if (name === '' || name === '.' || name === '..' || name.includes('/')) fail(E.EINVAL);
    if (new TextEncoder().encode(name).byteLength > NAME_MAX) fail(E.ENAMETOOLONG);
  }

  create(dir: Inode, name: string, kind: Kind, o: NewNode): Inode {
    this.checkName(dir, name);
    if (dir.children!.has(name)) fail(E.EEXIST);
    const n = new Inode(this.rw.newIno(), kind, o.mode & 0o7777, o.uid, o.gid, this.now());
    if (kind === 'l') {
      n.target = o.target ?? '';
      n.size = new TextEncoder().encode(n.target).byteLength;
    }
    if (kind === 'c' || kind === 'b') n.rdev = o.rdev ?? [0, 0];
    n.opaque = kind === 'd';
    this.touchDir(dir);
    attach(dir, name, n);
    this.rw.setPath(this.pathOf(dir, name), this.pathRec(n, this.pathOf(dir, name)));
    this.rw.touch(n);
    this.schedule();
    return n;
  }

  link(dir: Inode, name: string, target: Inode): void {
    this.checkName(dir, name);
    if (target.kind === 'd') fail(E.EPERM);
    if (target.links.length === 0) fail(E.ENOENT);
    if (dir.children!.has(name)) fail(E.EEXIST);
    this.own(target);
    this.touchDir(dir);
    attach(dir, name, target);
    target.ctime = this.now();
    this.rw.setPath(this.pathOf(dir, name), this.pathRec(target, this.pathOf(dir, name)));
  }

  /** unlink(2), or rmdir(2) when `rmdir` (AT_REMOVEDIR). */
  unlink(dir: Inode, name: string, rmdir: boolean): void {
    const n = this.lookup(dir, name);
    if (name === '.' || name === '..') fail(E.EINVAL);
    if (rmdir && n.kind !== 'd') fail(E.ENOTDIR);
    if (!rmdir && n.kind === 'd') fail(E.EISDIR);
    if (n.kind === 'd' && n.children!.size > 0) fail(E.ENOTEMPTY);
    this.touchDir(dir);
    this.removeName(dir, name);
  }

  /** Takes a name away, recording a whiteout when a lower layer has the path. */
  private removeName(dir: Inode, name: string): void {
    const p = this.pathOf(dir, name);
    const n = detach(dir, name)!;
    this.forget(n, p);
    this.rw.setPath(p, this.lowerHas(p) ? { p, w: 1 } : null);
    if (n.kind !== 'd') n.ctime = this.now();
    if (n.links.length === 0) {
      this.rw.dropInode(n);
      this.quota?.forget(n);
    } else if (n.rw) this.rw.touch(n);
  }

  /** Drops the records under a path that is going away (its subtree's names). */
  private forget(n: Inode, p: string): void {
    if (n.kind !== 'd') return;
    for (const [name, c] of n.children!) {
      const cp = `${p}/${name}`;
      this.forget(c, cp);
      this.rw.setPath(cp, null);
    }
    for (const k of [...this.rw.records.keys()]) if (k.startsWith(`${p}/`)) this.rw.setPath(k, null);
  }

  /** Records every name in a moved subtree under its new path (metadata only). */
  private adopt(n: Inode, p: string): void {
    n.rw = true;
    this.rw.touch(n);
    this.rw.setPath(p, this.pathRec(n, p));
    if (n.kind === 'd') for (const [name, c] of n.children!) this.adopt(c, `${p}/${name}`);
  }

  rename(odir: Inode, oname: string, ndir: Inode, nname: string): void {
    const n = this.lookup(odir, oname);
    this.checkName(ndir, nname);
    const existing = ndir.children!.get(nname);
    if (existing === n) return;
    if (n.kind === 'd') {
      for (let d: Inode | undefined = ndir; d; d = d.links[0]?.dir) if (d === n) fail(E.EINVAL);
      if (existing && existing.kind !== 'd') fail(E.ENOTDIR);
      if (existing && existing.children!.size > 0) fail(E.ENOTEMPTY);
    } else if (existing?.kind === 'd') fail(E.EISDIR);
    this.touchDir(odir);
    this.touchDir(ndir);
    if (existing) this.removeName(ndir, nname);
    const op = this.pathOf(odir, oname);
    detach(odir, oname);
    this.forget(n, op);
    this.rw.setPath(op, this.lowerHas(op) ? { p: op, w: 1 } : null);
    attach(ndir, nname, n);
    if (n.kind === 'd') n.opaque = true;
    n.ctime = this.now();
    this.adopt(n, this.pathOf(ndir, nname));
    for (const l of n.links) this.rw.setPath(this.pathOf(l.dir, l.name), this.pathRec(n, this.pathOf(l.dir, l.name)));
    this.schedule();
  }

  async setattr(n: Inode, a: SetAttr): Promise<void> {
    await this.locked(n, async () => {
      this.own(n);
      if (a.size !== undefined) await this.truncate(n, a.size);
      if (a.mode !== undefined) n.mode = a.mode & 0o7777;
      if (a.uid !== undefined) n.uid = a.uid;
      if (a.gid !== undefined) n.gid = a.gid;
      if (a.atime !== undefined) n.atime = a.atime;
      if (a.mtime !== undefined) n.mtime = a.mtime;
      n.ctime = this.now();
      this.quota?.account(n);
    });
  }

  private async truncate(n: Inode, size: number): Promise<void> {
    if (n.kind === 'd') fail(E.EISDIR);
    if (n.kind !== 'f') fail(E.EINVAL);
    if (size < n.size) {
      const keep = Math.ceil(size / CHUNK);
      n.chunks.length = Math.min(n.chunks.length, keep);
      let dropped = 0;
      for (const m of [n.dirty, n.flushing]) {
        for (const i of [...(m?.keys() ?? [])]) {
          if (i < keep) continue;
          m!.delete(i);
          dropped++;
        }
      }
      this.rw.unholdChunks(dropped);
      if (size % CHUNK !== 0) {
        // Zero the cut tail, so growing the file again reads zeros there.
        const i = keep - 1;
        const buf = await this.chunkForWrite(n, i);
        buf.fill(0, size - i * CHUNK);
      }
    }
    n.size = size;
    n.mtime = this.now();
  }

  /**
   * Bytes at (offset, length) straight into `dst(size)` when they are all at hand (in
   * memory, or from a store that reads at once); false (nothing written) when some must
   * be waited for: use `read`.
   */
  readNowInto(n: Inode, offset: number, length: number, dst: (size: number) => Uint8Array): boolean {
    if (n.kind === 'd') fail(E.EISDIR);
    return readFileNowInto(this.layers.cache, n, offset, length, dst);
  }

  /** Bytes at (offset, length); synchronous when they are all at hand (see `readNowInto`). */
  read(n: Inode, offset: number, length: number): Uint8Array | Promise<Uint8Array> {
    if (n.kind === 'd') fail(E.EISDIR);
    return readFileNow(this.layers.cache, n, offset, length) ?? readFile(this.layers.cache, n, offset, length);
  }

  /**
   * Writes at an offset (copy-up by chunk), or at the end when `append` (O_APPEND: the
   * end as of this write, decided under the inode's lock so appenders never overlap).
   */
  async write(n: Inode, at: number, data: Uint8Array, append = false): Promise<number> {
    if (n.kind !== 'f') fail(n.kind === 'd' ? E.EISDIR : E.EINVAL);
    // A background flush failed: what was accepted is not saved yet. Saving it again must
    // work before more is accepted, or this write fails (ENOSPC: the store is full).
    if (this.flushError !== undefined) {
      await this.rw.flush().catch((e: unknown) => fail(errnoOf(e)));
      this.flushError = undefined;
    }
    if (this.rw.pendingBytes > DIRTY_LIMIT) await this.sync().catch((e: unknown) => fail(errnoOf(e)));
    await this.locked(n, async () => {
      const offset = append ? n.size : at;
      const end = offset + data.byteLength;
      // Room first, for every chunk this write starts: refused whole (ENOSPC) before any
      // byte changes, so nothing accepted is lost at the flush for want of space.
      let fresh = 0;
      for (let i = Math.floor(offset / CHUNK); i * CHUNK < end; i++) if (!n.dirty?.has(i)) fresh++;
      if (!this.rw.fits(fresh * CHUNK)) {
        // Chunks rewritten since the last gc (a file growing stores its last chunk anew at
        // each flush) are free once nothing names them: collect them, then decide.
        if (this.rw.garbage && !this.layers.busy) await this.layers.collect().catch(() => undefined);
        if (!this.rw.fits(fresh * CHUNK)) fail(E.ENOSPC, 'the store is full');
      }
      if (this.quota && !this.quota.fits(n, offset, end)) fail(E.ENOSPC, 'the container reached its --storage-opt size');
      this.own(n);
      for (let done = 0; done < data.byteLength;) {
        const pos = offset + done;
        const i = Math.floor(pos / CHUNK);
        const take = Math.min(data.byteLength - done, (i + 1) * CHUNK - pos);
        const buf = await this.chunkForWrite(n, i);
        buf.set(data.subarray(done, done + take), pos - i * CHUNK);
        done += take;
      }
      n.size = Math.max(n.size, end);
      n.mtime = n.ctime = this.now();
      this.quota?.account(n);
    });
    return data.byteLength;
  }

  private async chunkForWrite(n: Inode, i: number): Promise<Uint8Array> {
    n.dirty ??= new Map();
    let buf = n.dirty.get(i);
    if (buf) return buf;
    buf = new Uint8Array(CHUNK);
    const from = n.flushing?.get(i);
    const hex = n.chunks[i];
    if (from) buf.set(from);
    else if (hex && i * CHUNK < n.size) buf.set(await this.layers.cache.get(hex));
    n.dirty.set(i, buf);
    // Every buffer waiting for a flush holds its room in the store (given back once stored).
    this.rw.holdChunk();
    return buf;
  }

  private async locked<T>(n: Inode, fn: () => Promise<T>): Promise<T> {
    const prev = this.locks.get(n) ?? Promise.resolve();
    const run = prev.then(fn, fn);
    this.locks.set(n, run.catch(() => {}));
    return run;
  }

  readlink(n: Inode): string {
    if (n.kind !== 'l') fail(E.EINVAL);
    return n.target!;
  }

  getxattr(n: Inode, name: string): string {
    return n.xattrs?.[name] ?? fail(E.ENODATA);
  }

  listxattr(n: Inode): string[] {
    return Object.keys(n.xattrs ?? {});
  }

  setxattr(n: Inode, name: string, value: string | undefined, flags = 0): void {
    const has = n.xattrs?.[name] !== undefined;
    if (flags & 1 && has) fail(E.EEXIST); // XATTR_CREATE
    if (flags & 2 && !has) fail(E.ENODATA); // XATTR_REPLACE
    this.own(n);
    n.xattrs = { ...(n.xattrs ?? {}) };
    if (value === undefined) delete n.xattrs[name];
    else n.xattrs[name] = value;
    n.ctime = this.now();
  }

  private schedule(): void {
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      this.rw.flush().catch((e: unknown) => (this.flushError = e));
    }, 50);
  }

  /** Persists everything written so far (fsync, container stop). */
  async sync(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.rw.flush();
    const e = this.flushError;
    this.flushError = undefined;
    if (e) throw e;
  }

  /** Flushes and stops background work; the object is not used after this. */
  async close(): Promise<void> {
    try {
      await this.sync();
    } finally {
      this.unhook();
      this.rw.unholdAll();
    }
  }

  /** Deletes the container's writable layer and drops its layer references. */
  async remove(): Promise<void> {
    this.unhook();
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.rw.remove();
    await this.layers.release(`container:${this.rw.id}`);
  }
}
