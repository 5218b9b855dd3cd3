/**
 * Worker side: the container tree as browser_wasi_shim's in-memory inodes, a journal that
 * streams every change the module makes to the engine (by node id), and the stdio fds.
 */
import { Directory, Fd, File, Inode, wasi } from '@bjorn3/browser_wasi_shim';
import type { FsOp, StdinSource, TreeAlias, TreeEntry, WorkerMessage } from './protocol.ts';
import { StdinReader } from './stdin-channel.ts';

export type Post = (msg: WorkerMessage, transfer?: ArrayBuffer[]) => void;

/** Dirty data of a file is sent at most this long after it was written (if the module keeps calling WASI). */
const FLUSH_MS = 50;

const nowNs = () => BigInt(Date.now()) * 1_000_000n;

/**
 * Changes of the module's tree, streamed to the engine: names at once; file bytes when the
 * file is closed or synced, before a name of it goes away, every 50 ms while writing goes
 * on, and at exit. What reached the engine survives a kill (`docker stop`).
 */
export class Journal {
  private readonly ids = new Map<Inode, number>();
  private readonly dirty = new Map<File, { lo: number; hi: number }>();
  /** Modification times (ns); atime and ctime report the same. */
  readonly times = new WeakMap<Inode, bigint>();
  private lastFlush = performance.now();

  constructor(private readonly post: Post, private nextId: number) {}

  idOf(n: Inode | undefined): number | undefined {
    return n ? this.ids.get(n) : undefined;
  }

  adopt(n: Inode, id: number, mtimeNs: bigint): void {
    this.ids.set(n, id);
    this.times.set(n, mtimeNs);
  }

  send(op: FsOp): void {
    this.post({ type: 'fs', op }, op.op === 'write' ? [op.data.buffer as ArrayBuffer] : []);
  }

  created(n: Inode, parent: Inode | undefined, name: string): void {
    const p = this.idOf(parent);
    if (p === undefined || this.ids.has(n)) return;
    const id = this.nextId++;
    this.adopt(n, id, nowNs());
    this.send({ op: 'create', id, parent: p, name, kind: n instanceof Directory ? 'd' : 'f' });
  }

  /** Bytes [lo, hi) of `f` changed (hi may be past the end after a truncation). */
  wrote(f: File, lo: number, hi: number): void {
    const d = this.dirty.get(f);
    this.dirty.set(f, d ? { lo: Math.min(d.lo, lo), hi: Math.max(d.hi, hi) } : { lo, hi });
    this.times.set(f, nowNs());
    if (performance.now() - this.lastFlush > FLUSH_MS) this.flushAll();
  }

  /** The size of `f` changed (truncate, allocate, O_TRUNC). */
  resized(f: File): void {
    this.wrote(f, f.data.byteLength, f.data.byteLength);
  }

  flush(n: Inode | undefined): void {
    if (!(n instanceof File)) return;
    const d = this.dirty.get(n);
    const id = this.ids.get(n);
    if (!d || id === undefined) return;
    this.dirty.delete(n);
    const size = n.data.byteLength;
    const at = Math.min(d.lo, size);
    this.send({ op: 'write', id, at, data: n.data.slice(at, Math.min(d.hi, size)), size });
  }

  flushAll(): void {
    for (const f of [...this.dirty.keys()]) this.flush(f);
    this.lastFlush = performance.now();
  }
}

function fileOf(data: Uint8Array | undefined): File {
  const f = new File(new ArrayBuffer(0));
  // Take the transferred bytes as they are (File's constructor would copy them).
  if (data) f.data = data;
  return f;
}

/** Fills `root` (the preopened `/`) from the engine's snapshot; entries come parents first. */
export function buildTree(root: Directory, entries: readonly TreeEntry[], aliases: readonly TreeAlias[], j: Journal): void {
  const nodes = new Map<number, Inode>([[0, root]]);
  const ns = (e: TreeEntry) => BigInt(Math.round(e.mtime * 1000)) * 1_000_000n;
  for (const e of entries) {
    if (e.id === 0) {
      j.adopt(root, 0, ns(e));
      continue;
    }
    const parent = nodes.get(e.parent);
    if (!(parent instanceof Directory)) continue;
    const n = e.kind === 'd' ? new Directory(new Map()) : fileOf(e.data);
    // Directory keeps its parent privately (for the inode number of `..`).
    if (n instanceof Directory) (n as unknown as { parent: Directory }).parent = parent;
    parent.contents.set(e.name, n);
    nodes.set(e.id, n);
    j.adopt(n, e.id, ns(e));
  }
  for (const a of aliases) {
    const parent = nodes.get(a.parent);
    const target = nodes.get(a.target);
    if (parent instanceof Directory && target) parent.contents.set(a.name, target);
  }
}

/** stdout/stderr: each write goes to the engine as it happens. */
export class OutFd extends Fd {
  private readonly ino = Inode.issue_ino();

  constructor(private readonly fd: 1 | 2, private readonly post: Post, private readonly tty: boolean) {
    super();
  }

  override fd_write(data: Uint8Array): { ret: number; nwritten: number } {
    // The shim hands a fresh copy of the module's bytes: transferred, so measured first.
    const nwritten = data.byteLength;
    if (nwritten > 0) this.post({ type: 'out', fd: this.fd, data }, [data.buffer as ArrayBuffer]);
    return { ret: wasi.ERRNO_SUCCESS, nwritten };
  }

  override fd_fdstat_get(): { ret: number; fdstat: wasi.Fdstat } {
    // wasi-libc's isatty: a character device without seek/tell rights. A pipe is "unknown".
    const s = new wasi.Fdstat(this.tty ? wasi.FILETYPE_CHARACTER_DEVICE : wasi.FILETYPE_UNKNOWN, 0);
    s.fs_rights_base = BigInt(wasi.RIGHTS_FD_WRITE);
    return { ret: wasi.ERRNO_SUCCESS, fdstat: s };
  }

  override fd_filestat_get(): { ret: number; filestat: wasi.Filestat } {
    return { ret: wasi.ERRNO_SUCCESS, filestat: new wasi.Filestat(this.ino, this.tty ? wasi.FILETYPE_CHARACTER_DEVICE : wasi.FILETYPE_UNKNOWN, 0n) };
  }
}

/** stdin: live through the shared ring (reads block), or what was given up front. */
export class StdinFd extends Fd {
  private readonly ino = Inode.issue_ino();
  private readonly reader: StdinReader | undefined;
  private rest: Uint8Array;

  constructor(source: StdinSource, private readonly post: Post, private readonly tty: boolean) {
    super();
    this.reader = source.kind === 'shared' ? new StdinReader(source.buffer) : undefined;
    this.rest = source.kind === 'buffered' ? source.data : new Uint8Array(0);
  }

  override fd_read(size: number): { ret: number; data: Uint8Array } {
    if (!this.reader) {
      const data = this.rest.slice(0, size);
      this.rest = this.rest.subarray(data.length);
      return { ret: wasi.ERRNO_SUCCESS, data };
    }
    const data = this.reader.read(size);
    if (data.length > 0) this.post({ type: 'stdin-drained' });
    return { ret: wasi.ERRNO_SUCCESS, data };
  }

  /** Bytes readable now, 0 at end of file, undefined when a read would block. */
  readable(): number | undefined {
    if (!this.reader) return this.rest.length;
    const n = this.reader.available();
    return n > 0 || this.reader.closed ? n : undefined;
  }

  /** Waits up to `ms` for stdin to become readable. */
  wait(ms: number): void {
    if (this.reader) this.reader.waitReadable(ms);
  }

  override fd_fdstat_get(): { ret: number; fdstat: wasi.Fdstat } {
    const s = new wasi.Fdstat(this.tty ? wasi.FILETYPE_CHARACTER_DEVICE : wasi.FILETYPE_UNKNOWN, 0);
    s.fs_rights_base = BigInt(wasi.RIGHTS_FD_READ);
    return { ret: wasi.ERRNO_SUCCESS, fdstat: s };
  }

  override fd_filestat_get(): { ret: number; filestat: wasi.Filestat } {
    return { ret: wasi.ERRNO_SUCCESS, filestat: new wasi.Filestat(this.ino, this.tty ? wasi.FILETYPE_CHARACTER_DEVICE : wasi.FILETYPE_UNKNOWN, 0n) };
  }
}
