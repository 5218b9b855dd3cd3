import { closeSync, createWriteStream, openSync, readSync } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat, writeFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { TabdockError } from '../shared/errors.ts';
import { Digest } from '../registry-client/index.ts';
import { nodeSha256 } from '../registry-client/node.ts';
import type { BlobStore, MetaStore, PutOptions, StoreOptions } from './store.ts';
import { isNoSpace, storeFull } from './store-full.ts';

/**
 * The Node store: content-addressed blobs in `<root>/blobs/sha256/<hex>`, written to
 * `<root>/tmp/` first and renamed into place only after the digest checked out (a rename
 * is atomic on one filesystem, so a killed process leaves only a temp file, which the
 * next open sweeps away).
 */
export class DirBlobStore implements BlobStore {
  private readonly blobs: string;
  private readonly tmp: string;

  /** Bytes of committed blobs, counted at open when a cap is set. */
  private used = 0;
  /** Bytes of writes in flight, held against the cap so concurrent puts cannot overrun it. */
  private reserved = 0;

  private constructor(readonly root: string, private readonly opts: StoreOptions) {
    this.blobs = join(root, 'blobs', 'sha256');
    this.tmp = join(root, 'tmp');
  }

  static async open(root: string, opts: StoreOptions = {}): Promise<DirBlobStore> {
    const s = new DirBlobStore(root, opts);
    await mkdir(s.blobs, { recursive: true });
    // Leftovers of interrupted writes are never complete blobs: sweep them.
    await rm(s.tmp, { recursive: true, force: true });
    await mkdir(s.tmp, { recursive: true });
    if (opts.maxBytes !== undefined) s.used = await s.usage();
    return s;
  }

  private path(d: Digest): string {
    return join(this.blobs, d.hex);
  }

  async has(d: Digest): Promise<boolean> {
    return (await this.size(d)) !== undefined;
  }

  async size(d: Digest): Promise<number | undefined> {
    try {
      return (await stat(this.path(d))).size;
    } catch {
      return undefined;
    }
  }

  async put(d: Digest, data: ReadableStream<Uint8Array> | Uint8Array, o: PutOptions = {}): Promise<void> {
    if (data instanceof Uint8Array) return this.putBytes(d, data);
    const size = o.size;
    let written = 0;
    const stream = data instanceof Uint8Array ? new Blob([data]).stream() : data;
    const tmp = join(this.tmp, `${d.hex}.${Math.random().toString(36).slice(2)}.partial`);
    const h = await nodeSha256();
    const limit = this.opts.maxBytes;
    const used = this.used;
    const reclaimable = this.opts.reclaimable;
    const hashing = new Transform({
      transform(chunk: Uint8Array, _enc, cb) {
        h.update(chunk);
        written += chunk.byteLength;
        if (limit !== undefined && used + written > limit) {
          // A cap is a full disk that says so before writing.
          void (reclaimable?.() ?? Promise.resolve(undefined)).catch(() => undefined).then((r) =>
            cb(storeFull({ what: `blob ${d.short}`, needed: used + (size ?? written) - limit, used, limit, reclaimable: r })));
          return;
        }
        cb(null, chunk);
      },
    });
    try {
      // pipeline() destroys every stage on failure, which cancels the web stream too, so
      // a tee'd sibling never buffers the rest of a layer nobody reads.
      await pipeline(Readable.fromWeb(stream as never), hashing, createWriteStream(tmp));
      const got = h.digest();
      if (!got.equals(d)) throw new TabdockError('DIGEST_MISMATCH', `blob ${d.short}: content does not match its digest (got ${got}); not stored`, { expected: d.toString(), actual: got.toString() });
      const fh = await open(tmp, 'r');
      await fh.sync();
      await fh.close();
      const existed = await this.has(d);
      await rename(tmp, this.path(d));
      if (!existed) this.used += written;
    } catch (e) {
      await rm(tmp, { force: true });
      if (isNoSpace(e)) {
        throw storeFull({ what: `blob ${d.short}`, needed: size !== undefined ? size - written : 0, used: this.used, reclaimable: await this.opts.reclaimable?.().catch(() => undefined) });
      }
      throw e;
    }
  }

  /** Bytes in hand (file chunks): no stream machinery, one write, fsync, rename. */
  private async putBytes(d: Digest, data: Uint8Array): Promise<void> {
    const h = await nodeSha256();
    h.update(data);
    const got = h.digest();
    if (!got.equals(d)) throw new TabdockError('DIGEST_MISMATCH', `blob ${d.short}: content does not match its digest (got ${got}); not stored`, { expected: d.toString(), actual: got.toString() });
    const limit = this.opts.maxBytes;
    if (limit !== undefined && this.used + this.reserved + data.byteLength > limit) {
      throw storeFull({ what: `blob ${d.short}`, needed: this.used + this.reserved + data.byteLength - limit, used: this.used, limit, reclaimable: await this.opts.reclaimable?.() });
    }
    const tmp = join(this.tmp, `${d.hex}.${Math.random().toString(36).slice(2)}.partial`);
    this.reserved += data.byteLength;
    try {
      const fh = await open(tmp, 'w');
      try {
        await fh.writeFile(data);
        await fh.sync();
      } finally {
        await fh.close();
      }
      const existed = await this.has(d);
      await rename(tmp, this.path(d));
      if (!existed) this.used += data.byteLength;
    } catch (e) {
      await rm(tmp, { force: true });
      if (isNoSpace(e)) {
        throw storeFull({ what: `blob ${d.short}`, needed: data.byteLength, used: this.used, reclaimable: await this.opts.reclaimable?.().catch(() => undefined) });
      }
      throw e;
    } finally {
      this.reserved -= data.byteLength;
    }
  }

  async read(d: Digest, offset: number, length: number): Promise<Uint8Array | undefined> {
    let fh;
    try {
      fh = await open(this.path(d), 'r');
    } catch {
      return undefined;
    }
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
    let fd: number;
    try {
      fd = openSync(this.path(d), 'r');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
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
    if (!(await this.has(d))) return undefined;
    const { createReadStream } = await import('node:fs');
    return Readable.toWeb(createReadStream(this.path(d))) as ReadableStream<Uint8Array>;
  }

  async delete(d: Digest): Promise<void> {
    const n = await this.size(d);
    await rm(this.path(d), { force: true });
    if (n !== undefined) this.used -= n;
  }

  async list(): Promise<Digest[]> {
    const names = await readdir(this.blobs);
    return names.map((n) => Digest.tryParse(`sha256:${n}`)).filter((x): x is Digest => x !== undefined);
  }

  async usage(): Promise<number> {
    let n = 0;
    for (const d of await this.list()) n += (await this.size(d)) ?? 0;
    return n;
  }
}

/** JSON records as files, `key` mapped to a path; written to a temp file and renamed. */
export class DirMetaStore implements MetaStore {
  private constructor(private readonly root: string) {}

  static async open(root: string): Promise<DirMetaStore> {
    await mkdir(root, { recursive: true });
    return new DirMetaStore(root);
  }

  private file(key: string): string {
    return join(this.root, `${encodeURIComponent(key)}.json`);
  }

  async get<T>(key: string): Promise<T | undefined> {
    try {
      return JSON.parse(await readFile(this.file(key), 'utf8')) as T;
    } catch (e) {
      if ((e as { code?: string }).code === 'ENOENT') return undefined;
      throw e;
    }
  }

  async put(key: string, value: unknown): Promise<void> {
    const f = this.file(key);
    const tmp = `${f}.${Math.random().toString(36).slice(2)}.tmp`;
    try {
      await writeFile(tmp, JSON.stringify(value));
      await rename(tmp, f);
    } catch (e) {
      await rm(tmp, { force: true });
      if (isNoSpace(e)) throw storeFull({ what: `record ${key}`, needed: JSON.stringify(value).length, used: 0 });
      throw e;
    }
  }

  async delete(key: string): Promise<void> {
    await rm(this.file(key), { force: true });
  }

  async keys(prefix: string): Promise<string[]> {
    const names = await readdir(this.root);
    return names
      .filter((n) => n.endsWith('.json'))
      .map((n) => decodeURIComponent(n.slice(0, -'.json'.length)))
      .filter((k) => k.startsWith(prefix))
      .sort();
  }
}
