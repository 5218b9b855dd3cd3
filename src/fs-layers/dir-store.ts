import { closeSync, createWriteStream, openSync, readSync } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat, writeFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { TabdockError } from '../shared/errors.ts';
import { Digest } from '../registry-client/index.ts';
import { nodeSha256 } from '../registry-client/node.ts';
import type { BlobStore, PutOptions, StoreOptions } from './store.ts';
import { isNoSpace } from './store-full.ts';
import { StoreSpace } from './store-space.ts';

// The directory meta store lives beside it; imported from here as before.
export { DirMetaStore } from './dir-meta-store.ts';

/**
 * The Node store: content-addressed blobs in `<root>/blobs/sha256/<hex>`, written to
 * `<root>/tmp/` first and renamed into place only after the digest checked out and the
 * bytes were fsynced (a rename is atomic on one filesystem, so a killed process leaves only
 * a temp file, which the next open sweeps away). A name in `blobs/` always holds its
 * content on disk: nothing is renamed there before its fsync.
 *
 * `flushLater` puts (layer chunks) skip the per-blob fsync: the temp file is written and
 * the blob is served from it (`pending`) until `flush()` of its digest fsyncs it (every
 * such file at once, concurrently), renames it into place and fsyncs the directory. A crash
 * before that leaves temp files only; the record naming the blobs is written after.
 */
export class DirBlobStore implements BlobStore {
  private readonly blobs: string;
  private readonly tmp: string;

  /**
   * The room this store shares with the engine's other blob stores: their bytes (counted at
   * open when a cap is set) and the bytes of writes in flight, held so concurrent writes
   * cannot overrun the cap or the disk's reserve.
   */
  readonly space: StoreSpace;
  /** `flushLater` blobs written to a temp file, not yet synced and named (hex -> file). */
  private readonly pending = new Map<string, Pending>();
  /** A flush failed after some renames: the next flush syncs the directory again. */
  private dirUnsynced = false;

  private constructor(readonly root: string, opts: StoreOptions) {
    this.space = opts.space ?? new StoreSpace({ ...(opts.maxBytes !== undefined ? { limit: opts.maxBytes } : {}), ...(opts.reclaimable ? { reclaimable: opts.reclaimable } : {}) });
    this.blobs = join(root, 'blobs', 'sha256');
    this.tmp = join(root, 'tmp');
  }

  static async open(root: string, opts: StoreOptions = {}): Promise<DirBlobStore> {
    const s = new DirBlobStore(root, opts);
    await mkdir(s.blobs, { recursive: true });
    // Leftovers of interrupted writes are never complete blobs: sweep them.
    await rm(s.tmp, { recursive: true, force: true });
    await mkdir(s.tmp, { recursive: true });
    if (s.space.counts) s.space.used += await s.usage();
    return s;
  }

  private path(d: Digest): string {
    return join(this.blobs, d.hex);
  }

  private tmpFile(d: Digest): string {
    return join(this.tmp, `${d.hex}.${Math.random().toString(36).slice(2)}.partial`);
  }

  async has(d: Digest): Promise<boolean> {
    return (await this.size(d)) !== undefined;
  }

  async size(d: Digest): Promise<number | undefined> {
    try {
      return (await stat(this.path(d))).size;
    } catch {
      return this.pending.get(d.hex)?.size;
    }
  }

  async put(d: Digest, data: ReadableStream<Uint8Array> | Uint8Array, o: PutOptions = {}): Promise<void> {
    if (data instanceof Uint8Array) return this.putBytes(d, data, o);
    const size = o.size;
    let written = 0;
    const stream = data;
    const tmp = this.tmpFile(d);
    // `hashed`: a verified stream (errors unless it hashes to `d`): no second hash here.
    const h = o.hashed ? undefined : await nodeSha256();
    const space = this.space;
    let full: Promise<TabdockError> | undefined;
    const hashing = new Transform({
      transform(chunk: Uint8Array, _enc, cb) {
        h?.update(chunk);
        // A cap, or the disk's reserve, is a full disk that says so before writing.
        if (!space.take(chunk.byteLength)) {
          full = space.full(`blob ${d.short}`, size !== undefined ? size - written : chunk.byteLength);
          void full.then((e) => cb(e));
          return;
        }
        written += chunk.byteLength;
        cb(null, chunk);
      },
    });
    try {
      // pipeline() destroys every stage on failure, which cancels the web stream too, so
      // a tee'd sibling never buffers the rest of a layer nobody reads.
      await pipeline(Readable.fromWeb(stream as never), hashing, createWriteStream(tmp));
      const got = h?.digest();
      if (got && !got.equals(d)) throw new TabdockError('DIGEST_MISMATCH', `blob ${d.short}: content does not match its digest (got ${got}); not stored`, { expected: d.toString(), actual: got.toString() });
      await this.place(d, tmp, written, o.flushLater);
    } catch (e) {
      await rm(tmp, { force: true });
      if (isNoSpace(e)) throw await space.full(`blob ${d.short}`, size !== undefined ? size - written : 0);
      throw e;
    } finally {
      space.give(written);
    }
  }

  /** Bytes in hand (file chunks): no stream machinery, one write, then `place`. */
  private async putBytes(d: Digest, data: Uint8Array, o: PutOptions): Promise<void> {
    if (!o.hashed) {
      const h = await nodeSha256();
      h.update(data);
      const got = h.digest();
      if (!got.equals(d)) throw new TabdockError('DIGEST_MISMATCH', `blob ${d.short}: content does not match its digest (got ${got}); not stored`, { expected: d.toString(), actual: got.toString() });
    }
    // `held`: the caller holds room for these bytes already (a container's written chunk).
    if (!o.held && !this.space.take(data.byteLength)) throw await this.space.full(`blob ${d.short}`, data.byteLength);
    const tmp = this.tmpFile(d);
    try {
      await writeFile(tmp, data);
      await this.place(d, tmp, data.byteLength, o.flushLater);
    } catch (e) {
      await rm(tmp, { force: true });
      if (isNoSpace(e)) throw await this.space.full(`blob ${d.short}`, data.byteLength);
      throw e;
    } finally {
      if (!o.held) this.space.give(data.byteLength);
    }
  }

  /**
   * A verified temp file becomes the blob: fsynced and renamed now, or (`later`) kept
   * pending for `flush()`; a blob already there or pending keeps its copy.
   */
  private async place(d: Digest, tmp: string, bytes: number, later: true | undefined): Promise<void> {
    if (later) {
      const named = await stat(this.path(d)).then(() => true, () => false);
      // Checked after the await, with nothing in between: two puts of one chunk keep one.
      if (named || this.pending.has(d.hex)) return void (await rm(tmp, { force: true }));
      this.pending.set(d.hex, { tmp, size: bytes });
      this.space.used += bytes;
      return;
    }
    await syncFile(tmp);
    const existed = await this.has(d);
    await rename(tmp, this.path(d));
    if (!existed) this.space.used += bytes;
  }

  async flush(digests: Iterable<Digest>): Promise<void> {
    const batch = new Map<string, Pending>();
    const waits: Promise<void>[] = [];
    const named: Digest[] = [];
    for (const d of digests) {
      const p = this.pending.get(d.hex);
      if (!p) named.push(d);
      else if (p.synced) waits.push(p.synced);
      else batch.set(d.hex, p);
    }
    if (batch.size > 0) {
      const synced = this.syncBatch([...batch]);
      for (const p of batch.values()) p.synced = synced;
      waits.push(synced);
    }
    await Promise.all(waits);
    // The rest must be in place already: named by an earlier flush (awaited above when it
    // was still running) or by a plain put.
    for (const d of named) {
      if (this.pending.has(d.hex)) {
        await this.flush([d]);
        continue;
      }
      if (!(await stat(this.path(d)).then(() => true, () => false))) throw chunkMissing(d);
    }
    if (this.dirUnsynced) {
      this.dirUnsynced = false;
      await syncFile(this.blobs);
    }
  }

  /** fsync of every file at once, renames, then one fsync of the directory holding the names. */
  private async syncBatch(batch: [string, Pending][]): Promise<void> {
    let failed = false;
    try {
      await Promise.all(batch.map(async ([hex, p]) => {
        await syncFile(p.tmp);
        await rename(p.tmp, join(this.blobs, hex));
      }));
      await syncFile(this.blobs);
    } catch (e) {
      failed = true;
      this.dirUnsynced = true;
      await Promise.all(batch.map(([, p]) => rm(p.tmp, { force: true })));
      if (isNoSpace(e)) throw await this.space.full(`${batch.length} chunks`, 0);
      throw e;
    } finally {
      for (const [hex, p] of batch) {
        if (this.pending.get(hex) !== p) continue;
        this.pending.delete(hex);
        // Not renamed (a failed sync): the blob is gone, and so is its place against the cap.
        if (failed && !(await stat(join(this.blobs, hex)).then(() => true, () => false))) this.space.used -= p.size;
      }
    }
  }

  /** Opens the blob where it is: its name, or its pending temp file (renamed meanwhile: the name again). */
  private openNow(d: Digest): number | undefined {
    const tries = [this.path(d), this.pending.get(d.hex)?.tmp, this.path(d)];
    for (const f of tries) {
      if (f === undefined) continue;
      try {
        return openSync(f, 'r');
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      }
    }
    return undefined;
  }

  private async openBlob(d: Digest): Promise<FileHandle | undefined> {
    const tries = [this.path(d), this.pending.get(d.hex)?.tmp, this.path(d)];
    for (const f of tries) {
      if (f === undefined) continue;
      try {
        return await open(f, 'r');
      } catch {
        // absent here: try the next place
      }
    }
    return undefined;
  }

  async read(d: Digest, offset: number, length: number): Promise<Uint8Array | undefined> {
    const fh = await this.openBlob(d);
    if (!fh) return undefined;
    try {
      const buf = new Uint8Array(length);
      let got = 0;
      while (got < length) {
        const { bytesRead } = await fh.read(buf, got, length - got, offset + got);
        if (bytesRead === 0) break;
        got += bytesRead;
      }
      return got === length ? buf : buf.slice(0, got);
    } finally {
      await fh.close();
    }
  }

  readNow(d: Digest, offset: number, dst: Uint8Array): number | undefined {
    const fd = this.openNow(d);
    if (fd === undefined) return undefined;
    try {
      let got = 0;
      while (got < dst.byteLength) {
        const n = readSync(fd, dst, got, dst.byteLength - got, offset + got);
        if (n === 0) break;
        got += n;
      }
      return got;
    } finally {
      closeSync(fd);
    }
  }

  async get(d: Digest): Promise<ReadableStream<Uint8Array> | undefined> {
    const fh = await this.openBlob(d);
    if (!fh) return undefined;
    return Readable.toWeb(fh.createReadStream()) as ReadableStream<Uint8Array>;
  }

  async delete(d: Digest): Promise<void> {
    const p = this.pending.get(d.hex);
    if (p) {
      this.pending.delete(d.hex);
      this.space.used -= p.size;
      await rm(p.tmp, { force: true });
    }
    const n = await stat(this.path(d)).then((s) => s.size, () => undefined);
    await rm(this.path(d), { force: true });
    if (n !== undefined) this.space.used -= n;
  }

  async list(): Promise<Digest[]> {
    const names = new Set([...(await readdir(this.blobs)), ...this.pending.keys()]);
    return [...names].map((n) => Digest.tryParse(`sha256:${n}`)).filter((x): x is Digest => x !== undefined);
  }

  async usage(): Promise<number> {
    let n = 0;
    for (const d of await this.list()) n += (await this.size(d)) ?? 0;
    return n;
  }
}

interface Pending {
  tmp: string;
  size: number;
  /** Set once a flush took it: resolves when it is durable under its name. */
  synced?: Promise<void>;
}

/** fsync of a file or a directory (a directory: its entries, i.e. the renames into it). */
async function syncFile(path: string): Promise<void> {
  const fh = await open(path, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

function chunkMissing(d: Digest): TabdockError {
  return new TabdockError('CHUNK_MISSING', `blob ${d.short} is not in the store (deleted, or its write failed); nothing may name it`, { digest: d.toString() });
}
