import { packRef, refHex } from './chunk-ref.ts';
import { Inode, attach, detach, lookupPath, type Kind } from './inode.ts';
import { CHUNK } from './layer-entry.ts';
import { K } from './layer-store.ts';
import type { BlobStore, MetaStore } from './store.ts';
import type { StoreSpace } from './store-space.ts';
import { PACK_MAX, isZero, type HasherFactory } from './unpack.ts';
import type { Digest } from '../registry-client/index.ts';

/**
 * A container's writable layer, kept in the meta store as a journal so it survives a
 * reload: each `flush()` writes one segment `fsl/rw/<id>/j/<seq>` holding the path
 * records ({p, i: inode} or {p, w: 1} for a whiteout; `o: 1` = opaque directory) and
 * inode records (metadata + chunk list) changed since the last one, `null` for removed.
 * One put per flush is atomic on both stores: a crash loses at most the unflushed batch,
 * never half of one. Every COMPACT_AFTER segments a snapshot segment (`s: 1`) restates
 * everything and the older segments are deleted; loading starts at the last snapshot.
 * File chunks are stored, and flushed to disk, before the segment naming them.
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
  /** Chunk digests from the first, up to the last chunk written (`null`: a hole). */
  c?: (string | null)[];
  /** The same, for a sparse file: [index, digest] of each chunk written, nothing for holes. */
  cs?: [number, string][];
  l?: string;
  r?: [number, number];
  x?: Record<string, string>;
}

interface Segment {
  /** Next free inode number after this segment. */
  n: number;
  /** A snapshot: everything before it is superseded. */
  s?: 1;
  p: Record<string, PathRec | null>;
  i: Record<string, InodeRec | null>;
}

const COMPACT_AFTER = 64;
const seqKey = (n: number) => String(n).padStart(12, '0');

/** New inodes are numbered from here (image trees use 1..count). */
const FIRST_RW_INO = 2 ** 32;

export class WritableLayer {
  /** Path records as persisted (plus pending ones): the basis of `changes()` and export. */
  readonly records = new Map<string, PathRec>();
  private readonly pendingPaths = new Map<string, PathRec | null>();
  private readonly dirtyInodes = new Set<Inode>();
  private readonly deadInodes = new Set<number>();
  /** Inode records as persisted, for snapshots. */
  private readonly inodeRecs = new Map<number, InodeRec>();
  private next = FIRST_RW_INO;
  private seq = 0;
  private sinceSnapshot = 0;
  private flushing: Promise<void> = Promise.resolve();
  /** Room held in the store's space for the chunks written and not yet stored (CHUNK each). */
  private heldBytes = 0;
  /** Chunks stored since the last segment written: no record names them yet, gc must keep them. */
  private readonly unnamed = new Set<string>();

  /**
   * `claim` pins a chunk against a gc's sweep before the layer dedups against it
   * (LayerStore.claimChunk); absent, nothing else sweeps this store.
   */
  constructor(
    private readonly meta: MetaStore,
    private readonly chunks: BlobStore,
    private readonly hasher: HasherFactory,
    readonly id: string,
    private readonly claim: (hex: string, pin: () => void) => Promise<void> = async (_hex, pin) => pin(),
  ) {}

  private get space(): StoreSpace | undefined {
    return this.chunks.space;
  }

  /**
   * Whether `bytes` more written chunks would fit the store now (its cap, the disk's
   * reserve): a write that would not is refused (ENOSPC) before it changes anything.
   */
  fits(bytes: number): boolean {
    return (this.space?.shortBy(bytes) ?? 0) <= 0;
  }

  /** Whether chunks were replaced since the last gc (a gc may make room). */
  get garbage(): boolean {
    return (this.space?.garbage ?? 0) > 0;
  }

  /** Holds room for one new written chunk, until a flush stores it (or it is dropped). */
  holdChunk(): void {
    if (!this.space) return;
    this.space.take(CHUNK, true);
    this.heldBytes += CHUNK;
  }

  /** Gives back the room of `count` written chunks (stored, deduplicated or dropped). */
  unholdChunks(count: number): void {
    if (!this.space || count <= 0) return;
    const b = Math.min(this.heldBytes, count * CHUNK);
    this.heldBytes -= b;
    this.space.give(b);
  }

  /** Gives back all room still held (the tree is closed or removed: its unsaved chunks go). */
  unholdAll(): void {
    this.space?.give(this.heldBytes);
    this.heldBytes = 0;
  }

  /**
   * What gc must keep for this layer whatever it reads of the journal meanwhile: the chunks
   * its records name now, and those stored that no segment names yet (a failed flush
   * retries them; a dedup against an old chunk may add one during the gc, hence `has`
   * asks the live set).
   */
  pins(): { has(hex: string): boolean } {
    const named = new Set<string>();
    for (const r of this.inodeRecs.values()) {
      for (const c of r.c ?? []) if (c) named.add(refHex(c));
      for (const [, c] of r.cs ?? []) named.add(refHex(c));
    }
    const unnamed = this.unnamed;
    return { has: (hex) => named.has(hex) || unnamed.has(hex) };
  }

  private get prefix(): string {
    return `${K.rw}${this.id}/j/`;
  }

  newIno(): number {
    return this.next++;
  }

  /** Loads the journal and applies it on a fresh clone of the image tree. */
  async load(root: Inode): Promise<void> {
    const keys = await this.meta.keys(this.prefix);
    const segs: Segment[] = [];
    for (const k of keys) {
      const seg = await this.meta.get<Segment>(k);
      if (!seg) continue;
      if (seg.s) segs.length = 0;
      segs.push(seg);
      this.seq = Number(k.slice(this.prefix.length)) + 1;
    }
    const paths = new Map<string, PathRec>();
    for (const seg of segs) {
      this.next = Math.max(this.next, seg.n);
      for (const [p, r] of Object.entries(seg.p)) r ? paths.set(p, r) : paths.delete(p);
      for (const [i, r] of Object.entries(seg.i)) r ? this.inodeRecs.set(Number(i), r) : this.inodeRecs.delete(Number(i));
    }
    this.sinceSnapshot = segs.length;
    const inodes = new Map<number, Inode>();
    for (const [ino, r] of this.inodeRecs) inodes.set(ino, fromRec(ino, r));
    const recs = [...paths.values()];
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
    if (this.dirtyInodes.size === 0 && this.pendingPaths.size === 0 && this.deadInodes.size === 0) return;
    const inodes = [...this.dirtyInodes];
    const paths = [...this.pendingPaths];
    const dead = [...this.deadInodes];
    this.dirtyInodes.clear();
    this.pendingPaths.clear();
    this.deadInodes.clear();
    try {
      const named: Digest[] = [];
      const pack: Pack = { bytes: new Uint8Array(CHUNK), fill: 0, members: [] };
      for (const n of inodes) await this.storeChunks(n, named, pack);
      await this.sealPack(pack, named);
      // On disk before the segment naming them (a crash between leaves unnamed chunks only).
      await this.chunks.flush(named);
      const seg: Segment = { n: this.next, p: Object.fromEntries(paths), i: {} };
      for (const n of inodes) seg.i[n.ino] = toRec(n);
      for (const ino of dead) seg.i[ino] = null;
      const snapshot = this.sinceSnapshot >= COMPACT_AFTER;
      if (snapshot) {
        seg.s = 1;
        const all = new Map(this.inodeRecs);
        for (const [i, r] of Object.entries(seg.i)) r ? all.set(Number(i), r) : all.delete(Number(i));
        seg.p = Object.fromEntries(this.records);
        seg.i = Object.fromEntries(all);
      }
      const seq = this.seq++;
      await this.meta.put(this.prefix + seqKey(seq), seg);
      for (const d of named) this.unnamed.delete(d.hex);
      for (const [i, r] of Object.entries(seg.i)) r ? this.inodeRecs.set(Number(i), r) : this.inodeRecs.delete(Number(i));
      this.sinceSnapshot++;
      if (snapshot) {
        this.sinceSnapshot = 1;
        for (const k of await this.meta.keys(this.prefix)) if (k < this.prefix + seqKey(seq)) await this.meta.delete(k);
      }
    } catch (e) {
      // Keep what failed for the next flush (e.g. after space was freed).
      for (const n of inodes) this.dirtyInodes.add(n);
      for (const [p, r] of paths) if (!this.pendingPaths.has(p)) this.pendingPaths.set(p, r);
      for (const ino of dead) this.deadInodes.add(ino);
      throw e;
    }
  }

  private async storeChunks(n: Inode, named: Digest[], pack: Pack): Promise<void> {
    if (!n.dirty || n.dirty.size === 0) return;
    const taking = n.dirty;
    n.dirty = undefined;
    n.flushing = taking;
    let packed = false;
    try {
      const only = taking.get(0);
      if (taking.size === 1 && only && n.size > 0 && n.size <= PACK_MAX && !isZero(only.subarray(0, n.size))) {
        // A small file: into this flush's shared pack; it keeps its buffer (n.flushing)
        // and its room until the pack is stored and its reference set (sealPack).
        if (pack.fill + n.size > CHUNK) await this.sealPack(pack, named);
        pack.members.push({ n, taking, off: pack.fill, len: n.size });
        pack.bytes.set(only.subarray(0, n.size), pack.fill);
        pack.fill += n.size;
        packed = true;
        return;
      }
      for (const [i, buf] of taking) {
        const len = Math.min(CHUNK, Math.max(0, n.size - i * CHUNK));
        if (len === 0) continue;
        let hex: string | null = null;
        if (!isZero(buf.subarray(0, len))) {
          // A copy of its own, hashed once: the store is told it need not hash it again.
          const bytes = buf.slice(0, len);
          const h = await this.hasher();
          h.update(bytes);
          const d = h.digest();
          // Pinned before asking whether it is stored: a gc cannot delete it between the
          // answer and the segment that names it. Room for it was held when the write was accepted.
          await this.claim(d.hex, () => this.unnamed.add(d.hex));
          if (!(await this.chunks.has(d))) await this.chunks.put(d, bytes, { flushLater: true, hashed: true, ...(this.space ? { held: true as const } : {}) });
          named.push(d);
          hex = d.hex;
        }
        if (!(n.dirty as Map<number, Uint8Array> | undefined)?.has(i) && i * CHUNK < n.size) {
          // Set by index: chunks before it that were never written stay holes (read as zeros).
          const old = n.chunks[i];
          if (old && old !== hex && this.space) this.space.garbage += CHUNK;
          n.chunks[i] = hex;
        } else if (hex && this.space) {
          // Written again (or cut) meanwhile: this copy is replaced before anything names it.
          this.space.garbage += CHUNK;
        }
      }
      // Stored, deduplicated or zeros: the room held for each goes back (the stored ones
      // are counted as the store's own now).
      this.unholdChunks(taking.size);
    } catch (e) {
      // Written again meanwhile: the newer buffer stays, with its own hold.
      let twice = 0;
      const newer = n.dirty as Map<number, Uint8Array> | undefined;
      for (const i of taking.keys()) if (newer?.has(i)) twice++;
      this.unholdChunks(twice);
      n.dirty = new Map([...taking, ...(n.dirty ?? [])]);
      throw e;
    } finally {
      if (!packed) n.flushing = undefined;
    }
  }

  /**
   * Stores the small files gathered in `pack` as one blob and gives each its reference
   * (`<hex>.<offset>.<length>`), unless it was written again meanwhile. On failure each
   * keeps its bytes for the next flush, as a chunk of its own would.
   */
  private async sealPack(pack: Pack, named: Digest[]): Promise<void> {
    const members = pack.members;
    if (members.length === 0) return;
    const bytes = pack.bytes.subarray(0, pack.fill);
    pack.bytes = new Uint8Array(CHUNK);
    pack.fill = 0;
    pack.members = [];
    try {
      const h = await this.hasher();
      h.update(bytes);
      const d = h.digest();
      await this.claim(d.hex, () => this.unnamed.add(d.hex));
      if (!(await this.chunks.has(d))) await this.chunks.put(d, bytes, { flushLater: true, hashed: true, ...(this.space ? { held: true as const } : {}) });
      named.push(d);
      for (const m of members) {
        const { n } = m;
        // Not written again meanwhile, nor cut off (a truncate drops it from `taking`).
        if (!(n.dirty as Map<number, Uint8Array> | undefined)?.has(0) && m.taking.has(0)) {
          const old = n.chunks[0];
          if (old && this.space) this.space.garbage += CHUNK;
          n.chunks[0] = packRef(d.hex, m.off, m.len);
        } else if (this.space) this.space.garbage += m.len;
        if (n.flushing === m.taking) n.flushing = undefined;
      }
      this.unholdChunks(members.length);
    } catch (e) {
      for (const m of members) {
        const { n } = m;
        if ((n.dirty as Map<number, Uint8Array> | undefined)?.has(0)) this.unholdChunks(1);
        n.dirty = new Map([...m.taking, ...(n.dirty ?? [])]);
        if (n.flushing === m.taking) n.flushing = undefined;
      }
      throw e;
    }
  }

  /** Deletes every record of this container. */
  async remove(): Promise<void> {
    await this.flushing;
    this.unholdAll();
    for (const k of await this.meta.keys(`${K.rw}${this.id}/`)) await this.meta.delete(k);
    this.records.clear();
  }
}

/** Small files of one flush, gathered into one blob (chunk-ref.ts). */
interface Pack {
  bytes: Uint8Array;
  fill: number;
  members: { n: Inode; taking: Map<number, Uint8Array>; off: number; len: number }[];
}

function toRec(n: Inode): InodeRec {
  const r: InodeRec = { k: n.kind, m: n.mode, u: n.uid, g: n.gid, at: n.atime, mt: n.mtime, ct: n.ctime, s: n.size };
  if (n.kind === 'f') Object.assign(r, chunkRec(n));
  if (n.target !== undefined) r.l = n.target;
  if (n.rdev) r.r = n.rdev;
  if (n.xattrs) r.x = n.xattrs;
  return r;
}

/**
 * A file's chunks as recorded: cost follows the chunks written, not the file's size (a
 * 16 TB `truncate -s` is one record of a few bytes). Dense files keep the plain list up
 * to their last chunk (reads past it are zeros); sparse ones list only what was written.
 */
function chunkRec(n: Inode): Pick<InodeRec, 'c' | 'cs'> {
  const within = Math.ceil(n.size / CHUNK);
  // Object.keys walks only the entries that exist, so a holey array costs its writes.
  const written: [number, string][] = [];
  for (const k of Object.keys(n.chunks)) {
    const i = Number(k);
    const hex = n.chunks[i];
    if (hex && i < within) written.push([i, hex]);
  }
  const last = written.length ? written[written.length - 1]![0] : -1;
  if (written.length * 4 >= last + 1) return { c: Array.from({ length: last + 1 }, (_, i) => n.chunks[i] ?? null) };
  return { cs: written };
}

function fromRec(ino: number, r: InodeRec): Inode {
  const n = new Inode(ino, r.k, r.m, r.u, r.g, r.mt);
  n.atime = r.at;
  n.ctime = r.ct;
  n.size = r.s;
  n.chunks = r.c ?? [];
  // A sparse file's chunks stay a sparse array: holes cost nothing, whatever the size.
  for (const [i, hex] of r.cs ?? []) n.chunks[i] = hex;
  n.target = r.l;
  n.rdev = r.r;
  n.xattrs = r.x;
  n.rw = true;
  return n;
}

function copyMeta(to: Inode, from: Inode): void {
  Object.assign(to, { mode: from.mode, uid: from.uid, gid: from.gid, atime: from.atime, mtime: from.mtime, ctime: from.ctime, xattrs: from.xattrs, rw: true });
}
