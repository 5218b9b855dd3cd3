import { createTarDecoder, type ParsedTarEntry } from 'modern-tar';
import { Digest, type Compression, type Hasher } from '../registry-client/index.ts';
import { TabdockError } from '../shared/errors.ts';
import { decompressor, type Gunzip } from './decompress.ts';
import { packRef, refHex } from './chunk-ref.ts';
import { CHUNK, entryOf, type LayerEntry } from './layer-entry.ts';
import type { BlobStore } from './store.ts';

export type HasherFactory = () => Promise<Hasher>;

/** What a finished unpack records under `fsl/layer/<diff ID hex>`: its presence means complete. */
export interface LayerRecord {
  v: 1;
  diffId: string;
  /** Uncompressed tar bytes. */
  size: number;
  /** Chunk bytes this layer added to the store (not counting chunks already there). */
  stored: number;
  entries: LayerEntry[];
  /** Entries refused (paths through a symlink of the same layer), with the reason. */
  skipped: string[];
}

export interface UnpackInput {
  diffId: Digest;
  source: ReadableStream<Uint8Array>;
  compression: Compression;
  what: string;
  onProgress?: (uncompressedBytes: number) => void;
  /** The platform's gzip inflater, when it has a faster one than DecompressionStream. */
  gunzip?: Gunzip;
}

/** At most this many chunk writes in flight: bounds memory to a few chunks. */
const IN_FLIGHT = 8;

/** What an unpack found: the tar's sha256 and the record's body (no diff ID check yet). */
export interface Unpacked {
  got: Digest;
  size: number;
  stored: number;
  entries: LayerEntry[];
  skipped: string[];
}

/**
 * Streams one layer and checks it against its diff ID: see `unpackTar`. Returns the record
 * once the diff ID checked out; the caller writes it (making the layer visible).
 */
export async function unpackLayer(chunks: BlobStore, hasher: HasherFactory, inp: UnpackInput): Promise<LayerRecord> {
  const u = await unpackTar(chunks, hasher, inp);
  if (!u.got.equals(inp.diffId)) throw diffIdMismatch(inp.what, u.got, inp.diffId);
  return recordOf(inp.diffId, u);
}

export function recordOf(diffId: Digest, u: Unpacked): LayerRecord {
  return { v: 1, diffId: diffId.toString(), size: u.size, stored: u.stored, entries: u.entries, skipped: u.skipped };
}

export function diffIdMismatch(what: string, got: Digest, want: Digest): TabdockError {
  return new TabdockError('DIFF_ID_MISMATCH', `${what}: its uncompressed content (${got}) does not match the diff ID ${want}; refusing it`, { expected: want.toString(), actual: got.toString() });
}

/**
 * Streams one layer: compressed bytes -> decompressor -> tar decoder -> fixed-size chunks
 * into the chunk store, hashing the tar on the way (the one hash of the layer). On any
 * failure the chunks already written are merely unreferenced: `gc` sweeps them.
 */
export async function unpackTar(chunks: BlobStore, hasher: HasherFactory, inp: Omit<UnpackInput, 'diffId'>): Promise<Unpacked> {
  const h = await hasher();
  let size = 0;
  const counted = inp.source.pipeThrough(decompressor(inp.compression, inp.what, inp.gunzip)).pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(c, ctl) {
        h.update(c);
        size += c.byteLength;
        inp.onProgress?.(size);
        ctl.enqueue(c);
      },
    }),
  );
  const dec = createTarDecoder();
  // Drain the input to its very end (tar padding included) so the diff ID covers it all.
  const piping = counted.pipeTo(dec.writable);
  piping.catch(() => {});
  const entries: LayerEntry[] = [];
  const skipped: string[] = [];
  const symlinks = new Set<string>();
  const writer = new ChunkWriter(chunks, hasher);
  const reader = dec.readable.getReader();
  try {
    for (;;) {
      const r = await reader.read();
      if (r.done) break;
      const e = entryOf(r.value.header);
      if (!e || throughSymlink(e.p, symlinks)) {
        if (e) skipped.push(`${e.p}: passes through a symlink of the same layer`);
        await r.value.body.cancel();
        continue;
      }
      if (e.t === 'l') symlinks.add(e.p);
      if (e.t === 'f') {
        e.s = r.value.header.size;
        e.c = await writer.file(r.value, e.s);
      } else await r.value.body.cancel();
      entries.push(e);
    }
    await piping;
    await writer.done();
  } catch (e) {
    await reader.cancel(e).catch(() => {});
    await writer.done().catch(() => {});
    if (e instanceof TabdockError) throw e;
    throw new TabdockError('LAYER_CORRUPT', `${inp.what}: the layer is not a readable tar (${e instanceof Error ? e.message : String(e)})`, { what: inp.what });
  }
  return { got: h.digest(), size, stored: writer.stored, entries, skipped };
}

function throughSymlink(p: string, symlinks: Set<string>): boolean {
  if (symlinks.size === 0) return false;
  for (let i = p.indexOf('/'); i >= 0; i = p.indexOf('/', i + 1)) if (symlinks.has(p.slice(0, i))) return true;
  return false;
}

/** Files up to this size share pack blobs (chunk-ref.ts) instead of a blob each. */
export const PACK_MAX = 32 * 1024;

/**
 * Cuts file bodies into CHUNK-sized, content-addressed blobs; zero chunks become null.
 * Small files (<= PACK_MAX) are packed, in tar order, into shared blobs of up to CHUNK
 * bytes: their references are filled in when the pack is stored (by `done()` at the
 * latest). The chunks are put with `flushLater`: whoever writes the record naming them
 * flushes them first (`LayerStore`, through `chunksOf`).
 */
export class ChunkWriter {
  stored = 0;
  private readonly pending = new Set<Promise<void>>();
  private readonly seen = new Set<string>();
  private failure: unknown;
  private pack = new Uint8Array(CHUNK);
  private packFill = 0;
  private members: { out: (string | null)[]; off: number; len: number }[] = [];

  constructor(private readonly store: BlobStore, private readonly hasher: HasherFactory) {}

  async file(entry: ParsedTarEntry, size: number): Promise<(string | null)[]> {
    if (size > 0 && size <= PACK_MAX) return this.small(entry, size);
    const out: (string | null)[] = [];
    let left = size;
    let buf = new Uint8Array(Math.min(CHUNK, left));
    let fill = 0;
    const reader = entry.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      for (let off = 0; off < value.byteLength;) {
        const take = Math.min(buf.byteLength - fill, value.byteLength - off);
        buf.set(value.subarray(off, off + take), fill);
        fill += take;
        off += take;
        if (fill === buf.byteLength && buf.byteLength > 0) {
          out.push(await this.chunk(buf));
          left -= fill;
          buf = new Uint8Array(Math.min(CHUNK, left));
          fill = 0;
        }
      }
    }
    if (left !== 0) throw new TabdockError('LAYER_CORRUPT', `tar entry ${entry.header.name} is shorter than its header says`, {});
    return out;
  }

  /** A small file into the current pack; its reference is set when the pack is stored. */
  private async small(entry: ParsedTarEntry, size: number): Promise<(string | null)[]> {
    const bytes = new Uint8Array(size);
    let fill = 0;
    const reader = entry.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      const take = Math.min(value.byteLength, size - fill);
      bytes.set(value.subarray(0, take), fill);
      fill += take;
    }
    if (fill !== size) throw new TabdockError('LAYER_CORRUPT', `tar entry ${entry.header.name} is shorter than its header says`, {});
    if (isZero(bytes)) return [null];
    if (this.packFill + size > CHUNK) await this.seal();
    const out: (string | null)[] = [null];
    this.members.push({ out, off: this.packFill, len: size });
    this.pack.set(bytes, this.packFill);
    this.packFill += size;
    return out;
  }

  /** Stores the current pack and gives its members their references. */
  private async seal(): Promise<void> {
    if (this.packFill === 0) return;
    const blob = this.pack.subarray(0, this.packFill);
    const members = this.members;
    this.pack = new Uint8Array(CHUNK);
    this.packFill = 0;
    this.members = [];
    const hex = await this.chunk(blob);
    for (const m of members) m.out[0] = hex === null ? null : packRef(hex, m.off, m.len);
  }

  /** Stores one chunk (unless all zeros or already there); returns its hex or null. */
  async chunk(bytes: Uint8Array): Promise<string | null> {
    if (this.failure) throw this.failure;
    if (isZero(bytes)) return null;
    const h = await this.hasher();
    h.update(bytes);
    const d = h.digest();
    if (this.seen.has(d.hex)) return d.hex;
    this.seen.add(d.hex);
    while (this.pending.size >= IN_FLIGHT) await Promise.race(this.pending);
    if (this.failure) throw this.failure;
    const p: Promise<void> = (async () => {
      if (await this.store.has(d)) return;
      // `bytes` is this chunk's own buffer (never written again) and `d` its hash: the store
      // need not hash it again. Durable at the layer's flush, before its record.
      await this.store.put(d, bytes, { flushLater: true, hashed: true });
      this.stored += bytes.byteLength;
    })().catch((e: unknown) => {
      this.failure ??= e;
    }).finally(() => this.pending.delete(p));
    this.pending.add(p);
    return d.hex;
  }

  async done(): Promise<void> {
    await this.seal();
    await Promise.all(this.pending);
    if (this.failure) throw this.failure;
  }
}

/** Every chunk a record names, once each: what must be flushed before the record is written. */
export function chunksOf(r: { entries: readonly LayerEntry[] }): Digest[] {
  const hex = new Set<string>();
  for (const e of r.entries) for (const c of e.c ?? []) if (c) hex.add(refHex(c));
  return [...hex].map((h) => Digest.fromHex(h));
}

export function isZero(b: Uint8Array): boolean {
  // Word-wise where aligned: this runs over every byte of every layer.
  if (b.byteOffset % 4 === 0) {
    const w = new Uint32Array(b.buffer, b.byteOffset, b.byteLength >> 2);
    for (let i = 0; i < w.length; i++) if (w[i] !== 0) return false;
    for (let i = w.length << 2; i < b.byteLength; i++) if (b[i] !== 0) return false;
    return true;
  }
  for (let i = 0; i < b.byteLength; i++) if (b[i] !== 0) return false;
  return true;
}

