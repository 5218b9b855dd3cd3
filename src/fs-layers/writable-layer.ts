import type { Digest } from '../registry-client/index.ts';
import { Inode, attach, detach, lookupPath, type Kind } from './inode.ts';
import { CHUNK } from './layer-entry.ts';
import { K } from './layer-store.ts';
import type { BlobStore, MetaStore } from './store.ts';
import { isZero, type HasherFactory } from './unpack.ts';

/**
 * A container's writable layer as records in the meta store (so it survives a reload):
 *   fsl/rw/<id>/m          {next inode number, image diff IDs}
 *   fsl/rw/<id>/p/<hash>   a path: {p, i: inode} or {p, w: 1} (whiteout); `o: 1` = opaque dir
 *   fsl/rw/<id>/i/<ino>    an inode's metadata and chunk list (chunks in the chunk store)
 * Records are keyed by a hash of the path so keys stay short on any store. Changes
 * collect in memory and are written by `flush()` (chunks first, then inodes, then paths).
 */
export interface PathRec {
  p: string;
  i?: number;
  w?: 1;
  o?: 1;
}

interface InodeRec {
  k: Kind;
  m: number;
  u: number;
  g: number;
  at: number;
  mt: number;
  ct: number;
  s: number;
  c?: (string | null)[];
  l?: string;
  r?: [number, number];
  x?: Record<string, string>;
}

interface HeadRec {
  v: 1;
  next: number;
  image: string[];
}

/** New inodes are numbered from here (image trees use 1..count). */
const FIRST_RW_INO = 2 ** 32;

export function pathHash(p: string): string {
  // Two FNV-1a lanes: 64 bits, enough to never collide within one container.
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ 0x5bd1e995;
  for (let i = 0; i < p.length; i++) {
    const c = p.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995) ^ (b >>> 15);
  }
  return (a >>> 0).toString(16).padStart(8, '0') + (b >>> 0).toString(16).padStart(8, '0');
}

export class WritableLayer {
  /** Path records as persisted (plus pending ones): the basis of `changes()` and export. */
  readonly records = new Map<string, PathRec>();
  private readonly pendingPaths = new Map<string, PathRec | null>();
  private readonly dirtyInodes = new Set<Inode>();
  private readonly deadInodes = new Set<number>();
  private next = FIRST_RW_INO;
  private flushing: Promise<void> = Promise.resolve();

  constructor(private readonly meta: MetaStore, private readonly chunks: BlobStore, private readonly hasher: HasherFactory, readonly id: string) {}

  private key(kind: 'm' | 'p' | 'i', k = ''): string {
    return `${K.rw}${this.id}/${kind}${k === '' ? '' : `/${k}`}`;
  }

  newIno(): number {
    return this.next++;
  }

  /** Loads the records and applies them on a fresh clone of the image tree. */
  async load(root: Inode, image: readonly Digest[]): Promise<void> {
    const head = await this.meta.get<HeadRec>(this.key('m'));
    this.next = head?.next ?? FIRST_RW_INO;
    if (!head) await this.meta.put(this.key('m'), { v: 1, next: this.next, image: image.map(String) } satisfies HeadRec);
    const inodes = new Map<number, Inode>();
    for (const k of await this.meta.keys(`${this.key('i')}/`)) {
      const r = await this.meta.get<InodeRec>(k);
      const ino = Number(k.slice(k.lastIndexOf('/') + 1));
      if (r) inodes.set(ino, fromRec(ino, r));
    }
    const recs: PathRec[] = [];
    for (const k of await this.meta.keys(`${this.key('p')}/`)) {
      const r = await this.meta.get<PathRec>(k);
      if (r) recs.push(r);
    }
    const depth = (p: string) => (p === '' ? 0 : p.split('/').length);
    recs.sort((x, y) => depth(x.p) - depth(y.p) || (x.p < y.p ? -1 : 1));
    for (const r of recs) {
      this.records.set(r.p, r);
      if (r.p === '') {
        const n = r.i !== undefined ? inodes.get(r.i) : undefined;
        if (n) copyMeta(root, n);
        continue;
      }
      const slash = r.p.lastIndexOf('/');
      const parent = lookupPath(root, slash < 0 ? '' : r.p.slice(0, slash));
      const name = r.p.slice(slash + 1);
      if (parent?.kind !== 'd') continue;
      if (r.w) {
        detach(parent, name);
        continue;
      }
      const n = r.i !== undefined ? inodes.get(r.i) : undefined;
      if (!n) continue;
      const had = detach(parent, name);
      if (n.kind === 'd' && had?.kind === 'd' && !r.o) for (const c of [...had.children!.keys()]) attach(n, c, detach(had, c)!);
      attach(parent, name, n);
    }
  }

  /** Marks the inode's record for writing at the next flush. */
  touch(n: Inode): void {
    n.rw = true;
    this.dirtyInodes.add(n);
    this.deadInodes.delete(n.ino);
  }

  setPath(p: string, r: PathRec | null): void {
    this.pendingPaths.set(p, r);
    if (r) this.records.set(p, r);
    else this.records.delete(p);
  }

  dropInode(n: Inode): void {
    this.dirtyInodes.delete(n);
    if (n.rw) this.deadInodes.add(n.ino);
  }

  get pendingBytes(): number {
    let b = 0;
    for (const n of this.dirtyInodes) b += (n.dirty?.size ?? 0) * CHUNK;
    return b;
  }

  /** Writes everything changed so far; calls are serialised. */
  flush(): Promise<void> {
    const run = this.flushing.then(() => this.flushNow());
    this.flushing = run.catch(() => {});
    return run;
  }

  private async flushNow(): Promise<void> {
    const inodes = [...this.dirtyInodes];
    const paths = [...this.pendingPaths];
    const dead = [...this.deadInodes];
    this.dirtyInodes.clear();
    this.pendingPaths.clear();
    this.deadInodes.clear();
    try {
      for (const n of inodes) await this.storeChunks(n);
      for (const n of inodes) await this.meta.put(this.key('i', String(n.ino)), toRec(n));
      for (const [p, r] of paths) {
        if (r) await this.meta.put(this.key('p', pathHash(p)), r);
        else await this.meta.delete(this.key('p', pathHash(p)));
      }
      for (const ino of dead) await this.meta.delete(this.key('i', String(ino)));
      await this.meta.put(this.key('m'), { ...(await this.meta.get<HeadRec>(this.key('m')))!, next: this.next });
    } catch (e) {
      // Keep what failed for the next flush (e.g. after space was freed).
      for (const n of inodes) this.dirtyInodes.add(n);
      for (const [p, r] of paths) if (!this.pendingPaths.has(p)) this.pendingPaths.set(p, r);
      for (const ino of dead) this.deadInodes.add(ino);
      throw e;
    }
  }

  private async storeChunks(n: Inode): Promise<void> {
    if (!n.dirty || n.dirty.size === 0) return;
    const taking = n.dirty;
    n.dirty = undefined;
    n.flushing = taking;
    try {
      for (const [i, buf] of taking) {
        const len = Math.min(CHUNK, Math.max(0, n.size - i * CHUNK));
        if (len === 0) continue;
        const bytes = buf.subarray(0, len);
        let hex: string | null = null;
        if (!isZero(bytes)) {
          const h = await this.hasher();
          h.update(bytes);
          const d = h.digest();
          if (!(await this.chunks.has(d))) await this.chunks.put(d, bytes.slice());
          hex = d.hex;
        }
        if (!(n.dirty as Map<number, Uint8Array> | undefined)?.has(i) && i * CHUNK < n.size) {
          while (n.chunks.length < i) n.chunks.push(null);
          n.chunks[i] = hex;
        }
      }
    } catch (e) {
      n.dirty = new Map([...taking, ...(n.dirty ?? [])]);
      throw e;
    } finally {
      n.flushing = undefined;
    }
  }

  /** Deletes every record of this container. */
  async remove(): Promise<void> {
    await this.flushing;
    for (const k of await this.meta.keys(`${K.rw}${this.id}/`)) await this.meta.delete(k);
    this.records.clear();
  }
}

function toRec(n: Inode): InodeRec {
  const r: InodeRec = { k: n.kind, m: n.mode, u: n.uid, g: n.gid, at: n.atime, mt: n.mtime, ct: n.ctime, s: n.size };
  if (n.kind === 'f') r.c = Array.from({ length: Math.ceil(n.size / CHUNK) }, (_, i) => n.chunks[i] ?? null);
  if (n.target !== undefined) r.l = n.target;
  if (n.rdev) r.r = n.rdev;
  if (n.xattrs) r.x = n.xattrs;
  return r;
}

function fromRec(ino: number, r: InodeRec): Inode {
  const n = new Inode(ino, r.k, r.m, r.u, r.g, r.mt);
  n.atime = r.at;
  n.ctime = r.ct;
  n.size = r.s;
  n.chunks = r.c ?? [];
  n.target = r.l;
  n.rdev = r.r;
  n.xattrs = r.x;
  n.rw = true;
  return n;
}

function copyMeta(to: Inode, from: Inode): void {
  Object.assign(to, { mode: from.mode, uid: from.uid, gid: from.gid, atime: from.atime, mtime: from.mtime, ctime: from.ctime, xattrs: from.xattrs, rw: true });
}
