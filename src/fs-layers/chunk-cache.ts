import { Digest } from '../registry-client/index.ts';
import { TabdockError } from '../shared/errors.ts';
import { packed, refHex } from './chunk-ref.ts';
import { CHUNK } from './layer-entry.ts';
import type { Inode } from './inode.ts';
import type { BlobStore } from './store.ts';

/**
 * Hot chunks kept in memory within a byte budget (least recently used out first);
 * concurrent reads of one chunk share one store read.
 */
export class ChunkCache {
  private readonly lru = new Map<string, Uint8Array>();
  private readonly loading = new Map<string, Promise<Uint8Array>>();
  private bytes = 0;
  hits = 0;
  misses = 0;

  constructor(private readonly store: BlobStore, readonly budget = 64 << 20) {}

  /** A chunk's bytes by its reference (chunk-ref.ts): a whole blob, or a slice of a pack. */
  async get(ref: string): Promise<Uint8Array> {
    const p = packed(ref);
    if (!p) return this.blob(ref);
    return (await this.blob(p.hex)).subarray(p.off, p.off + p.len);
  }

  private blob(hex: string): Promise<Uint8Array> {
    const hit = this.peekBlob(hex);
    if (hit) return Promise.resolve(hit);
    let p = this.loading.get(hex);
    if (!p) {
      this.misses++;
      p = this.store.read(Digest.fromHex(hex), 0, CHUNK).then((b) => {
        if (!b) throw missing(hex);
        this.keep(hex, b);
        return b;
      }).finally(() => this.loading.delete(hex));
      this.loading.set(hex, p);
    }
    return p;
  }

  /** Starts loading a chunk that is neither in memory nor on its way (read-ahead). */
  prefetch(ref: string): void {
    const hex = refHex(ref);
    // A store that reads at once is read when asked: loading ahead only reads twice.
    if (this.readsNow || this.lru.has(hex) || this.loading.has(hex)) return;
    void this.blob(hex).catch(() => {});
  }

  /** Whether chunks not in memory can be read at once (`BlobStore.readNow`). */
  get readsNow(): boolean {
    return this.store.readNow !== undefined;
  }

  /**
   * Bytes of a chunk from `offset` straight into `dst`, from the store without waiting
   * and without keeping them (the OS page cache is the cache then): the count read, or
   * CHUNK_MISSING. Only where `readsNow`.
   */
  readNowInto(ref: string, offset: number, dst: Uint8Array): number {
    const p = packed(ref);
    const hex = p?.hex ?? ref;
    // A pack slice: its own bytes only, never the next file's.
    const into = p ? dst.subarray(0, Math.max(0, Math.min(dst.byteLength, p.len - offset))) : dst;
    const n = this.store.readNow?.(Digest.fromHex(hex), (p?.off ?? 0) + offset, into);
    if (n === undefined) throw missing(hex);
    this.misses++;
    return n;
  }

  /** The chunk if it is in memory now (counts as a use), else undefined. */
  peek(ref: string): Uint8Array | undefined {
    const p = packed(ref);
    if (!p) return this.peekBlob(ref);
    return this.peekBlob(p.hex)?.subarray(p.off, p.off + p.len);
  }

  private peekBlob(hex: string): Uint8Array | undefined {
    const hit = this.lru.get(hex);
    if (hit) {
      this.hits++;
      this.lru.delete(hex);
      this.lru.set(hex, hit);
    }
    return hit;
  }

  private keep(hex: string, b: Uint8Array): void {
    if (b.byteLength > this.budget) return;
    this.lru.set(hex, b);
    this.bytes += b.byteLength;
    for (const [k, v] of this.lru) {
      if (this.bytes <= this.budget) break;
      this.lru.delete(k);
      this.bytes -= v.byteLength;
    }
  }

  get size(): number {
    return this.bytes;
  }

  /** Lets go of every chunk held (loads under way finish and are kept). */
  clear(): void {
    this.lru.clear();
    this.bytes = 0;
  }
}

/** Bytes [offset, offset+length) of a file, clamped to its size; holes read as zeros. */
export async function readFile(cache: ChunkCache, n: Inode, offset: number, length: number): Promise<Uint8Array> {
  const end = Math.min(n.size, offset + length);
  if (end <= offset) return new Uint8Array(0);
  const out = new Uint8Array(end - offset);
  const first = Math.floor(offset / CHUNK);
  const last = Math.floor((end - 1) / CHUNK);
  const jobs: Promise<void>[] = [];
  for (let i = first; i <= last; i++) {
    const cs = i * CHUNK;
    const from = Math.max(offset, cs);
    const to = Math.min(end, cs + CHUNK);
    const put = (data: Uint8Array) => {
      const slice = data.subarray(from - cs, Math.min(to - cs, data.byteLength));
      out.set(slice, from - offset);
    };
    const dirty = n.dirty?.get(i) ?? n.flushing?.get(i);
    if (dirty) put(dirty);
    else {
      const hex = n.chunks[i];
      if (hex) jobs.push(cache.get(hex).then(put));
    }
  }
  readAhead(cache, n, last);
  await Promise.all(jobs);
  return out;
}

/** Chunks loaded ahead of a read: a sequential reader finds the next ones in memory. */
export const READ_AHEAD_CHUNKS = 4;

function readAhead(cache: ChunkCache, n: Inode, last: number): void {
  const end = Math.min(n.chunks.length - 1, last + READ_AHEAD_CHUNKS);
  for (let i = last + 1; i <= end; i++) {
    const hex = n.chunks[i];
    if (hex && !n.dirty?.has(i)) cache.prefetch(hex);
  }
}

/**
 * The same bytes as `readFile`, synchronously, when every chunk they need is in memory
 * (written, cached or a hole) or the store reads without waiting (`BlobStore.readNow`);
 * undefined when one must be waited for.
 */
export function readFileNow(cache: ChunkCache, n: Inode, offset: number, length: number): Uint8Array | undefined {
  let out: Uint8Array | undefined;
  return readFileNowInto(cache, n, offset, length, (size) => (out = new Uint8Array(size))) ? out : undefined;
}

/**
 * `readFileNow` into a buffer the caller hands over once it is known the bytes are all at
 * hand (`dst(size)`, zero-filled for holes): a 9P read reply is filled in place, with no
 * intermediate copy, from memory or straight from a store that reads at once. False (and
 * `dst` never called) when a chunk must be waited for; CHUNK_MISSING when the store has
 * lost one.
 */
export function readFileNowInto(cache: ChunkCache, n: Inode, offset: number, length: number, dst: (size: number) => Uint8Array): boolean {
  const end = Math.min(n.size, offset + length);
  if (end <= offset) {
    dst(0);
    return true;
  }
  const first = Math.floor(offset / CHUNK);
  const last = Math.floor((end - 1) / CHUNK);
  // Per chunk: its bytes in memory, null for a hole, or its digest to read from the store.
  const parts: (Uint8Array | string | null)[] = [];
  for (let i = first; i <= last; i++) {
    const d = n.dirty?.get(i) ?? n.flushing?.get(i);
    if (d) parts.push(d);
    else {
      const hex = n.chunks[i];
      if (!hex) parts.push(null);
      else {
        const c = cache.peek(hex) ?? (cache.readsNow ? hex : undefined);
        if (!c) return false;
        parts.push(c);
      }
    }
  }
  readAhead(cache, n, last);
  const out = dst(end - offset);
  for (let i = first; i <= last; i++) {
    const data = parts[i - first];
    const cs = i * CHUNK;
    const from = Math.max(offset, cs);
    const to = Math.min(end, cs + CHUNK);
    if (!data) {
      out.fill(0, from - offset, to - offset);
      continue;
    }
    let got: number;
    if (typeof data === 'string') {
      got = cache.readNowInto(data, from - cs, out.subarray(from - offset, to - offset));
    } else {
      const piece = data.subarray(from - cs, Math.min(to - cs, data.byteLength));
      out.set(piece, from - offset);
      got = piece.byteLength;
    }
    // A chunk shorter than its span (the file's last) leaves zeros after it.
    if (got < to - from) out.fill(0, from - offset + got, to - offset);
  }
  return true;
}

function missing(hex: string): TabdockError {
  return new TabdockError('CHUNK_MISSING', `file data chunk ${hex.slice(0, 12)} is missing from the store; remove and pull the image again`, { chunk: hex });
}
