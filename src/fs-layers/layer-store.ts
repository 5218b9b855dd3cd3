import { refHex } from './chunk-ref.ts';
import type { Gunzip } from './decompress.ts';
import { Digest, sha256Hasher } from '../registry-client/index.ts';
import { TabdockError } from '../shared/errors.ts';
import { ChunkCache } from './chunk-cache.ts';
import { buildTree, type ImageTree } from './image-tree.ts';
import type { BlobStore, MetaStore } from './store.ts';
import { chunksOf, diffIdMismatch, recordOf, unpackLayer, unpackTar, type HasherFactory, type LayerRecord, type UnpackInput } from './unpack.ts';

export interface LayerStoreDeps {
  /** A blob store of its own for file chunks (gc sweeps every blob nobody references). */
  chunks: BlobStore;
  meta: MetaStore;
  hasher?: HasherFactory;
  /** Budget for hot chunks in memory (default 64 MiB). */
  cacheBytes?: number;
  /** The platform's gzip inflater, when it has a faster one than DecompressionStream. */
  gunzip?: Gunzip;
}

/** A layer whose diff ID is named only after its last byte (see `unpackPending`). */
export interface PendingUnpackInput extends Omit<UnpackInput, 'diffId'> {
  /**
   * Called once the whole tar went through, with its sha256: answers the diff ID the layer
   * must have (a pull: the config's, after its blob verified), or throws to refuse it.
   */
  expected: (got: Digest) => Promise<Digest>;
}

/** Chunks an open tree still needs (`has` is asked at each deletion, so it may grow meanwhile). */
export interface ChunkPins {
  has(hex: string): boolean;
}

export interface GcResult {
  layers: number;
  chunks: number;
  bytes: number;
}

// Meta keys. A layer record's presence is what "complete" means.
export const K = {
  layer: (diffHex: string) => `fsl/layer/${diffHex}`,
  ref: (diffHex: string, owner: string) => `fsl/ref/${diffHex}/${owner}`,
  owner: (owner: string) => `fsl/owner/${owner}`,
  rw: 'fsl/rw/',
};

/**
 * Layers unpacked once, keyed by diff ID (a layer two images share is stored once), with
 * owner references (`retain(image, diffIds)`), garbage collection of what nobody holds,
 * and merged image trees built once per image and cached.
 */
export class LayerStore {
  readonly cache: ChunkCache;
  readonly hasher: HasherFactory;
  private readonly records = new Map<string, LayerRecord>();
  private readonly unpacking = new Map<string, Promise<LayerRecord>>();
  private readonly trees = new Map<string, Promise<ImageTree>>();
  private gcRunning: Promise<GcResult> | undefined;
  /** Work that gc waits for: pulls between their first chunk and their references. */
  private readonly holds = new Set<Promise<unknown>>();
  private readonly beforeGcHooks = new Set<() => Promise<ChunkPins | void>>();
  /** Settles when a gc's deletions end; set for exactly as long as they run. */
  private sweeping: Promise<void> | undefined;
  /** Times a writer found deletions under way and waited for them (for tests). */
  sweepWaits = 0;
  /** Chunks claimed while a gc runs (a tree opened after its hooks ran is not in its pins). */
  private readonly claimedDuringGc = new Set<string>();

  constructor(readonly deps: LayerStoreDeps) {
    this.cache = new ChunkCache(deps.chunks, deps.cacheBytes);
    this.hasher = deps.hasher ?? sha256Hasher;
  }

  get chunks(): BlobStore {
    return this.deps.chunks;
  }

  get meta(): MetaStore {
    return this.deps.meta;
  }

  /** The record of a complete layer, or undefined (absent, or an unpack never finished). */
  async record(diffId: Digest): Promise<LayerRecord | undefined> {
    const had = this.records.get(diffId.hex);
    if (had) return had;
    const r = await this.deps.meta.get<LayerRecord>(K.layer(diffId.hex));
    if (r?.v === 1 && r.diffId === diffId.toString()) this.records.set(diffId.hex, r);
    return r?.v === 1 ? r : undefined;
  }

  async has(diffId: Digest): Promise<boolean> {
    return (await this.record(diffId)) !== undefined;
  }

  /**
   * Unpacks a layer unless it is already complete (then the source is cancelled). The
   * record is written last, in one put, after the diff ID checked out.
   */
  async unpack(inp: UnpackInput): Promise<LayerRecord> {
    return this.unpackOnce(inp, true);
  }

  /**
   * `unpack` for a caller inside `hold` (a commit, a load, an import: unpack, then retain):
   * it does not wait for a gc that started meanwhile, which waits for that hold and so would
   * never end; the hold already keeps that gc from sweeping before the record is written.
   */
  async unpackHeld(inp: UnpackInput): Promise<LayerRecord> {
    return this.unpackOnce(inp, false);
  }

  private async unpackOnce(inp: UnpackInput, waitForGc: boolean): Promise<LayerRecord> {
    const done = await this.record(inp.diffId);
    if (done) {
      await inp.source.cancel().catch(() => {});
      return done;
    }
    const running = this.unpacking.get(inp.diffId.hex);
    if (running) {
      await inp.source.cancel().catch(() => {});
      return running;
    }
    const job = (async () => {
      if (waitForGc) await this.gcRunning;
      const r = await unpackLayer(this.deps.chunks, this.hasher, { ...(this.deps.gunzip ? { gunzip: this.deps.gunzip } : {}), ...inp });
      // The chunks are on disk before the record that names them: the record stays the last
      // thing written and the one mark of a complete layer.
      await this.deps.chunks.flush(chunksOf(r));
      await this.deps.meta.put(K.layer(inp.diffId.hex), r);
      this.records.set(inp.diffId.hex, r);
      return r;
    })().finally(() => this.unpacking.delete(inp.diffId.hex));
    this.unpacking.set(inp.diffId.hex, job);
    return job;
  }

  /**
   * Unpacks a layer before its diff ID is known (a pull: the config downloads beside the
   * layers): chunks are written while the tar is hashed, then `expected` names the diff ID,
   * and only if it equals the hash is the record written (one put: the layer is complete).
   * A failure anywhere leaves unnamed chunks only. Run it inside `hold` so gc cannot sweep
   * the chunks before the record exists, nor the layer before its owner retains it.
   */
  async unpackPending(inp: PendingUnpackInput): Promise<LayerRecord> {
    const u = await unpackTar(this.deps.chunks, this.hasher, { ...(this.deps.gunzip ? { gunzip: this.deps.gunzip } : {}), ...inp });
    // The chunks go to disk while `expected` waits (for the blob's verification, the config):
    // both done before the record, which stays the last thing written.
    const flushed = this.deps.chunks.flush(chunksOf(u));
    flushed.catch(() => {}); // awaited below, unless `expected` refused first
    const want = await inp.expected(u.got);
    if (!u.got.equals(want)) throw diffIdMismatch(inp.what, u.got, want);
    await flushed;
    const r = recordOf(want, u);
    await this.deps.meta.put(K.layer(want.hex), r);
    this.records.set(want.hex, r);
    return r;
  }

  /**
   * Runs `fn` with gc held off (gc waits for it; it waits for a gc under way): what a pull
   * runs in, from its first chunk to `retain`, so nothing it wrote is swept meanwhile.
   */
  async hold<T>(fn: () => Promise<T>): Promise<T> {
    while (this.gcRunning) await this.gcRunning.catch(() => {});
    const p = fn();
    this.holds.add(p);
    try {
      return await p;
    } finally {
      this.holds.delete(p);
    }
  }

  /**
   * Runs `fn` before every gc (open containers flush, so chunks they wrote are named by
   * a journal segment before the sweep); the chunk hexes it answers are kept too (stored,
   * not yet named: a flush that failed on a full store keeps them for its retry). A hook
   * that fails does not stop the gc. Returns the unregister function.
   */
  beforeGc(fn: () => Promise<ChunkPins | void>): () => void {
    this.beforeGcHooks.add(fn);
    return () => this.beforeGcHooks.delete(fn);
  }

  /** Records that `owner` (an image or container ID) uses these layers. */
  async retain(owner: string, diffIds: readonly Digest[]): Promise<void> {
    const prev = (await this.deps.meta.get<string[]>(K.owner(owner))) ?? [];
    const all = [...new Set([...prev, ...diffIds.map((d) => d.hex)])];
    // Already held (a create after a pull): nothing to write.
    if (all.length === prev.length) return;
    for (const hex of all) await this.deps.meta.put(K.ref(hex, owner), 1);
    await this.deps.meta.put(K.owner(owner), all);
  }

  /** Drops every reference `owner` held; `gc()` then frees what nobody uses. */
  async release(owner: string): Promise<void> {
    const held = (await this.deps.meta.get<string[]>(K.owner(owner))) ?? [];
    for (const hex of held) await this.deps.meta.delete(K.ref(hex, owner));
    await this.deps.meta.delete(K.owner(owner));
  }

  async refs(diffId: Digest): Promise<string[]> {
    const prefix = K.ref(diffId.hex, '');
    return (await this.deps.meta.keys(prefix)).map((k) => k.slice(prefix.length));
  }

  /** Complete layers nobody references. */
  private async unreferenced(): Promise<string[]> {
    const layers = (await this.deps.meta.keys('fsl/layer/')).map((k) => k.slice('fsl/layer/'.length));
    const held = new Set((await this.deps.meta.keys('fsl/ref/')).map((k) => k.split('/')[2]!));
    return layers.filter((hex) => !held.has(hex) && !this.unpacking.has(hex));
  }

  /** Bytes gc would free now (chunks of unreferenced layers; shared chunks counted once). */
  async reclaimable(): Promise<number> {
    let n = 0;
    for (const hex of await this.unreferenced()) n += (await this.record(Digest.fromHex(hex)))?.stored ?? 0;
    return n;
  }

  /**
   * Removes layers nobody references, then every chunk no remaining layer or writable
   * layer names (leftovers of interrupted unpacks included). Unpacks wait for it.
   */
  gc(): Promise<GcResult> {
    this.gcRunning ??= (async () => {
      await Promise.allSettled([...this.unpacking.values(), ...this.holds]);
      this.claimedDuringGc.clear();
      const space = this.deps.chunks.space;
      if (space) space.garbage = 0;
      // Only chunks there before the hooks ran can go: what an open tree stores meanwhile
      // is named by its next segment, or pinned (its live set is read at each deletion).
      const before = await this.deps.chunks.list();
      const pins: ChunkPins[] = [];
      for (const fn of this.beforeGcHooks) {
        const p = await fn().catch(() => undefined);
        if (p) pins.push(p);
      }
      const live = new Set<string>();
      const gone = await this.unreferenced();
      for (const hex of gone) {
        await this.deps.meta.delete(K.layer(hex));
        this.records.delete(hex);
      }
      this.trees.clear();
      for (const k of await this.deps.meta.keys('fsl/layer/')) {
        const r = await this.deps.meta.get<LayerRecord>(k);
        for (const e of r?.entries ?? []) for (const c of e.c ?? []) if (c) live.add(refHex(c));
      }
      // Writable-layer journals: the chunks of each inode's latest record, as a load
      // replays them (segments in order from the last snapshot). A chunk an older record
      // named was replaced by a segment already on disk (a file's growing last chunk is
      // stored anew at each flush): nothing can load it again, so it goes.
      for (const c of await journalChunks(this.deps.meta)) live.add(refHex(c));
      let chunks = 0;
      let bytes = 0;
      let swept!: () => void;
      this.sweeping = new Promise<void>((r) => (swept = r));
      try {
        for (const d of before) {
          if (live.has(d.hex)) continue;
          const size = (await this.deps.chunks.size(d)) ?? 0;
          // Asked of the live pins right before the deletion: a writer's claim made before
          // this point keeps the chunk, and one after waits for the sweep (claimChunk).
          if (pins.some((p) => p.has(d.hex)) || this.claimedDuringGc.has(d.hex)) continue;
          bytes += size;
          await this.deps.chunks.delete(d);
          chunks++;
        }
      } finally {
        this.sweeping = undefined;
        this.claimedDuringGc.clear();
        swept();
      }
      return { layers: gone.length, chunks, bytes };
    })().finally(() => (this.gcRunning = undefined));
    return this.gcRunning;
  }

  /**
   * A gc that sees everything done before this call (`gc()` joins one under way, which
   * may have listed what is live before a removal that just happened): what `rm` and
   * prune run to free the chunks only the removed tree named.
   */
  async collect(): Promise<GcResult> {
    while (this.gcRunning) await this.gcRunning.catch(() => {});
    return this.gc();
  }

  /**
   * Before a writable layer counts on a stored chunk being there (it dedups against it):
   * waits out a gc's deletions under way, then runs `claim` (which must pin the chunk in
   * the layer, synchronously) with no deletion running, and notes the chunk for a gc that
   * is in its earlier steps. So either the gc sees the claim before it decides on that
   * chunk, or the chunk was deleted first and `has` says so.
   */
  async claimChunk(hex: string, claim: () => void): Promise<void> {
    while (this.sweeping) {
      this.sweepWaits++;
      await this.sweeping;
    }
    claim();
    if (this.gcRunning) this.claimedDuringGc.add(hex);
  }

  /** Whether a gc would wait now (a pull or an unpack under way). */
  get busy(): boolean {
    return this.holds.size > 0 || this.unpacking.size > 0;
  }

  /** The merged tree of an image's layers (bottom first), built once and cached. */
  imageTree(diffIds: readonly Digest[]): Promise<ImageTree> {
    const key = diffIds.map((d) => d.hex).join(',');
    let t = this.trees.get(key);
    if (!t) {
      t = (async () => {
        const recs: LayerRecord[] = [];
        for (const d of diffIds) {
          const r = await this.record(d);
          if (!r) throw new TabdockError('LAYER_MISSING', `layer ${d.short} is not unpacked in the store; pull the image again`, { diffId: d.toString() });
          recs.push(r);
        }
        return buildTree(recs);
      })();
      t.catch(() => this.trees.delete(key));
      this.trees.set(key, t);
    }
    return t;
  }
}

/**
 * After a removal (`rm`, `volume rm`, prune): a gc that frees the chunks only the removed
 * tree named. Waited for, so the space is free when the command returns, unless a pull
 * is under way (a gc waits for it): then it runs on in the background. Its failure is
 * not the removal's.
 */
export async function freeChunks(layers: LayerStore): Promise<void> {
  const gc = layers.collect().catch(() => undefined);
  if (!layers.busy) await gc;
}

type JournalInode = { c?: (string | null)[]; cs?: [number, string][] } | null;

/** Every chunk the writable layers' journals name as they would load (latest record per inode). */
async function journalChunks(meta: MetaStore): Promise<Set<string>> {
  const live = new Set<string>();
  let layer = '';
  let inodes = new Map<string, JournalInode>();
  const done = () => {
    for (const r of inodes.values()) {
      for (const c of r?.c ?? []) if (c) live.add(refHex(c));
      for (const [, c] of r?.cs ?? []) live.add(refHex(c));
    }
  };
  // Keys are sorted: one layer's segments together, in sequence order (`fsl/rw/<id>/j/<seq>`).
  for (const k of await meta.keys(K.rw)) {
    const at = k.lastIndexOf('/j/');
    if (at < 0) continue;
    const id = k.slice(0, at);
    if (id !== layer) {
      done();
      layer = id;
      inodes = new Map();
    }
    const seg = await meta.get<{ s?: 1; i?: Record<string, JournalInode> }>(k);
    if (!seg) continue;
    if (seg.s) inodes = new Map();
    for (const [ino, r] of Object.entries(seg.i ?? {})) inodes.set(ino, r);
  }
  done();
  return live;
}
