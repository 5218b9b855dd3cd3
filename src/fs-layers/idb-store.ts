import { openDB, type IDBPDatabase } from 'idb';
import { Digest, sha256Hasher } from '../registry-client/index.ts';
import { TabdockError } from '../shared/errors.ts';
import { isNoSpace, storeFull } from './store-full.ts';
import { StoreSpace } from './store-space.ts';
import type { BlobStore, MetaStore, PutOptions, StoreOptions } from './store.ts';

/**
 * The browser store. One database holds three object stores: `blobs` (hex -> record),
 * `pieces` ([write id, n] -> at most 1 MiB of bytes) and `meta` (key -> JSON value).
 *
 * Crash consistency: a blob's pieces are written under a fresh write id that nothing
 * names; the `blobs` record naming it is put in one transaction only after the digest
 * checked out. A tab closed mid-write leaves unnamed pieces, swept at the next open.
 */
const PIECE = 1 << 20;
const VERSION = 1;

interface BlobRecord {
  size: number;
  wid: string;
  pieces: number;
}

type Db = IDBPDatabase<unknown>;

async function openStoreDb(name: string): Promise<Db> {
  const db: Db = await openDB(name, VERSION, {
    upgrade(db) {
      for (const s of ['blobs', 'pieces', 'meta']) if (!db.objectStoreNames.contains(s)) db.createObjectStore(s);
    },
    // Another tab deletes the database (the playground's reset) or upgrades it: let go,
    // rather than block it; this tab's next use fails and a reload reopens.
    blocking() {
      db.close();
    },
  });
  return db;
}

interface KeyRangeStatic {
  bound(lower: unknown, upper: unknown): unknown;
}
// The global exists in browsers and under fake-indexeddb; typed here without the DOM lib.
const keyRange = (): KeyRangeStatic => (globalThis as unknown as { IDBKeyRange: KeyRangeStatic }).IDBKeyRange;

let widSeq = 0;
const newWid = () => `${Date.now().toString(36)}.${Math.random().toString(36).slice(2)}.${widSeq++}`;

export class IdbBlobStore implements BlobStore {
  /**
   * The room this store shares (with the engine's other store, under one cap and the
   * origin's quota): writes take their bytes before they are written, so a container's
   * write is refused with ENOSPC when it cannot be saved, as with the directory store.
   */
  readonly space: StoreSpace;

  private constructor(private readonly db: Db, opts: StoreOptions) {
    this.space = opts.space ?? new StoreSpace({ ...(opts.maxBytes !== undefined ? { limit: opts.maxBytes } : {}), ...(opts.reclaimable ? { reclaimable: opts.reclaimable } : {}) });
  }

  /** Opens (creating) database `name`; sweeps pieces left by interrupted writes. */
  static async open(name: string, opts: StoreOptions = {}): Promise<IdbBlobStore> {
    const s = new IdbBlobStore(await openStoreDb(name), opts);
    await s.sweep();
    return s;
  }

  dispose(): void {
    this.db.close();
  }

  private async sweep(): Promise<void> {
    const tx = this.db.transaction(['blobs', 'pieces'], 'readwrite');
    const live = new Set<string>();
    let used = 0;
    for (let c = await tx.objectStore('blobs').openCursor(); c; c = await c.continue()) {
      const r = c.value as BlobRecord;
      live.add(r.wid);
      used += r.size;
    }
    const dead: unknown[] = [];
    for (let c = await tx.objectStore('pieces').openKeyCursor(); c; c = await c.continue()) {
      if (!live.has((c.key as [string, number])[0])) dead.push(c.key);
    }
    for (const k of dead) await tx.objectStore('pieces').delete(k as string);
    await tx.done;
    this.space.used += used;
  }

  private record(d: Digest): Promise<BlobRecord | undefined> {
    return this.db.get('blobs', d.hex) as Promise<BlobRecord | undefined>;
  }

  async has(d: Digest): Promise<boolean> {
    return (await this.record(d)) !== undefined;
  }

  async size(d: Digest): Promise<number | undefined> {
    return (await this.record(d))?.size;
  }

  async put(d: Digest, data: ReadableStream<Uint8Array> | Uint8Array, o: PutOptions = {}): Promise<void> {
    // `flushLater` changes nothing here: every put below has committed its transaction
    // when it returns (see `flush`).
    const size = data instanceof Uint8Array ? data.byteLength : o.size;
    const space = this.space;
    const wid = newWid();
    const h = await sha256Hasher();
    let written = 0;
    let n = 0;
    if (data instanceof Uint8Array && data.byteLength <= PIECE) {
      // Small blobs (file chunks): pieces and record in one transaction.
      if (!o.hashed) {
        h.update(data);
        this.check(d, h.digest());
      }
      // `held`: the caller holds room for these bytes already (a container's written chunk).
      if (!o.held && !space.take(data.byteLength)) throw await space.full(`blob ${d.short}`, data.byteLength);
      try {
        const tx = this.db.transaction(['blobs', 'pieces'], 'readwrite');
        let added = false;
        if (!(await tx.objectStore('blobs').get(d.hex))) {
          await tx.objectStore('pieces').put(data.slice(), [wid, 0] as unknown as string);
          await tx.objectStore('blobs').put({ size: data.byteLength, wid, pieces: 1 } satisfies BlobRecord, d.hex);
          added = true;
        }
        await tx.done;
        if (added) space.used += data.byteLength;
      } catch (e) {
        if (isNoSpace(e)) throw await space.full(`blob ${d.short}`, data.byteLength);
        throw e;
      } finally {
        if (!o.held) space.give(data.byteLength);
      }
      return;
    }
    let taken = 0;
    try {
      const stream = data instanceof Uint8Array ? new Blob([data as Uint8Array<ArrayBuffer>]).stream() : data;
      const reader = stream.getReader();
      let buf = new Uint8Array(PIECE);
      let fill = 0;
      const flush = async () => {
        // A cap, or the origin's quota, is a full disk that says so before writing.
        if (!space.take(fill)) throw await space.full(`blob ${d.short}`, size !== undefined ? size - written : fill);
        taken += fill;
        // A copy that owns its buffer: IndexedDB clones a view's whole ArrayBuffer.
        await this.db.put('pieces', buf.slice(0, fill), [wid, n] as unknown as string);
        n++;
        written += fill;
        fill = 0;
      };
      try {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          if (!o.hashed) h.update(value);
          for (let off = 0; off < value.byteLength;) {
            const take = Math.min(PIECE - fill, value.byteLength - off);
            buf.set(value.subarray(off, off + take), fill);
            fill += take;
            off += take;
            if (fill === PIECE) {
              await flush();
              buf = new Uint8Array(PIECE);
            }
          }
        }
      } catch (e) {
        await reader.cancel(e).catch(() => {});
        throw e;
      }
      if (fill > 0 || n === 0) await flush();
      if (!o.hashed) this.check(d, h.digest());
      const tx = this.db.transaction(['blobs', 'pieces'], 'readwrite');
      let added = false;
      if (await tx.objectStore('blobs').get(d.hex)) {
        for (let i = 0; i < n; i++) await tx.objectStore('pieces').delete([wid, i] as unknown as string);
      } else {
        await tx.objectStore('blobs').put({ size: written, wid, pieces: n } satisfies BlobRecord, d.hex);
        added = true;
      }
      await tx.done;
      if (added) space.used += written;
    } catch (e) {
      await this.dropPieces(wid, n + 1);
      if (isNoSpace(e)) throw await space.full(`blob ${d.short}`, size !== undefined ? size - written : PIECE);
      throw e;
    } finally {
      space.give(taken);
    }
  }

  /**
   * Nothing to wait for: each put committed its own transaction before it returned, and a
   * committed transaction is what a later one (the record naming these blobs) builds on;
   * it survives a closed tab or a browser crash. Against an OS crash or power loss its
   * durability is the browser's choice (Chrome's default is 'relaxed': written, not synced),
   * the same promise the directory store's records get. So this only checks the blobs are
   * there.
   */
  async flush(digests: Iterable<Digest>): Promise<void> {
    for (const d of digests) {
      if (!(await this.has(d))) throw new TabdockError('CHUNK_MISSING', `blob ${d.short} is not in the store (deleted, or its write failed); nothing may name it`, { digest: d.toString() });
    }
  }

  private check(d: Digest, got: Digest): void {
    if (!got.equals(d)) {
      throw new TabdockError('DIGEST_MISMATCH', `blob ${d.short}: content does not match its digest (got ${got}); not stored`, { expected: d.toString(), actual: got.toString() });
    }
  }

  private async dropPieces(wid: string, n: number): Promise<void> {
    try {
      const tx = this.db.transaction('pieces', 'readwrite');
      for (let i = 0; i < n; i++) await tx.store.delete([wid, i] as unknown as string);
      await tx.done;
    } catch {
      // The next open sweeps them.
    }
  }

  private async piece(r: BlobRecord, i: number): Promise<Uint8Array> {
    const p = (await this.db.get('pieces', [r.wid, i] as unknown as string)) as Uint8Array | undefined;
    if (!p) throw new TabdockError('BLOB_GONE', 'a blob was removed while it was being read', {});
    return p;
  }

  async get(d: Digest): Promise<ReadableStream<Uint8Array> | undefined> {
    const r = await this.record(d);
    if (!r) return undefined;
    let i = 0;
    return new ReadableStream<Uint8Array>({
      pull: async (ctl) => {
        if (i >= r.pieces) return ctl.close();
        ctl.enqueue(await this.piece(r, i++));
      },
    });
  }

  async read(d: Digest, offset: number, length: number): Promise<Uint8Array | undefined> {
    const r = await this.record(d);
    if (!r) return undefined;
    const end = Math.min(r.size, offset + length);
    if (end <= offset) return new Uint8Array(0);
    const first = Math.floor(offset / PIECE);
    const last = Math.floor((end - 1) / PIECE);
    if (first === last) return (await this.piece(r, first)).slice(offset - first * PIECE, end - first * PIECE);
    const out = new Uint8Array(end - offset);
    for (let i = first; i <= last; i++) {
      const p = await this.piece(r, i);
      const from = Math.max(offset, i * PIECE);
      const to = Math.min(end, i * PIECE + p.byteLength);
      out.set(p.subarray(from - i * PIECE, to - i * PIECE), from - offset);
    }
    return out;
  }

  async delete(d: Digest): Promise<void> {
    const tx = this.db.transaction(['blobs', 'pieces'], 'readwrite');
    const r = (await tx.objectStore('blobs').get(d.hex)) as BlobRecord | undefined;
    if (r) {
      await tx.objectStore('blobs').delete(d.hex);
      for (let i = 0; i < r.pieces; i++) await tx.objectStore('pieces').delete([r.wid, i] as unknown as string);
    }
    await tx.done;
    if (r) this.space.used -= r.size;
  }

  async list(): Promise<Digest[]> {
    const keys = (await this.db.getAllKeys('blobs')) as string[];
    return keys.map((k) => Digest.fromHex(k));
  }

  async usage(): Promise<number> {
    let n = 0;
    const tx = this.db.transaction('blobs');
    for (let c = await tx.store.openCursor(); c; c = await c.continue()) n += (c.value as BlobRecord).size;
    return n;
  }
}

/** JSON records in the `meta` object store; each put is one transaction (atomic). */
export class IdbMetaStore implements MetaStore {
  private constructor(private readonly db: Db) {}

  static async open(name: string): Promise<IdbMetaStore> {
    return new IdbMetaStore(await openStoreDb(name));
  }

  dispose(): void {
    this.db.close();
  }

  async get<T>(key: string): Promise<T | undefined> {
    return (await this.db.get('meta', key)) as T | undefined;
  }

  async put(key: string, value: unknown): Promise<void> {
    // Through JSON, so both stores hand back the same shapes (Digest -> string, no undefined).
    try {
      await this.db.put('meta', JSON.parse(JSON.stringify(value)), key);
    } catch (e) {
      if (isNoSpace(e)) throw storeFull({ what: `record ${key}`, needed: JSON.stringify(value).length, used: 0 });
      throw e;
    }
  }

  async delete(key: string): Promise<void> {
    await this.db.delete('meta', key);
  }

  async keys(prefix: string): Promise<string[]> {
    const keys = (await this.db.getAllKeys('meta', keyRange().bound(prefix, `${prefix}\uffff`) as string)) as string[];
    return keys.sort();
  }
}
