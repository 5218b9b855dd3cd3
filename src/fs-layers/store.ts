import type { Digest } from '../registry-client/index.ts';
import type { StoreSpace } from './store-space.ts';

/**
 * The storage interface every part writes through. Two implementations pass the same
 * contract tests: a directory on disk (Node CLI) and IndexedDB (browsers).
 */
export interface BlobStore {
  has(digest: Digest): Promise<boolean>;
  /** Size in bytes, or undefined when absent. */
  size(digest: Digest): Promise<number | undefined>;
  /**
   * Stores a stream under its digest. The store hashes what it writes and makes the blob
   * visible only after the stream ended without error and the digest matched; a failed
   * or interrupted write leaves nothing behind under that digest.
   */
  put(digest: Digest, data: ReadableStream<Uint8Array> | Uint8Array, opts?: PutOptions): Promise<void>;
  /**
   * Makes these blobs durable under their names (those put with `flushLater`, and any
   * already there), all at once; resolves when they are. Whoever writes a record that names
   * blobs (a layer record naming its chunks, a journal segment) flushes them first, so
   * after a crash a record never names a blob that is not on disk. A digest that is absent
   * (never put, deleted, or its flush failed) fails with CHUNK_MISSING: nothing may name it.
   */
  flush(digests: Iterable<Digest>): Promise<void>;
  /** The blob's bytes, or undefined when absent. */
  get(digest: Digest): Promise<ReadableStream<Uint8Array> | undefined>;
  /**
   * Up to `length` bytes from `offset` (fewer at the end), or undefined when absent: the
   * union view reads file chunks this way without streaming whole blobs.
   */
  read(digest: Digest, offset: number, length: number): Promise<Uint8Array | undefined>;
  /**
   * `read` straight into `dst` without waiting, where the store can (a directory on a
   * local disk: a chunk comes from the OS page cache in microseconds): the bytes read
   * (fewer at the end of the blob), or undefined when the blob is absent; an I/O error
   * is thrown as it came. The 9P server answers a guest's read at once this way, so
   * the guest never idles waiting for a chunk. IndexedDB has no synchronous reads and
   * leaves it out.
   */
  readNow?(digest: Digest, offset: number, dst: Uint8Array): number | undefined;
  delete(digest: Digest): Promise<void>;
  list(): Promise<Digest[]>;
  /** Bytes used by all blobs. */
  usage(): Promise<number>;
  /**
   * The room this store shares with the engine's other stores, where it keeps one: a
   * container's writes take their bytes from it before they are accepted (ENOSPC at once).
   */
  readonly space?: StoreSpace;
}

/** Small JSON records (image records, tags, layer facts), written atomically. */
export interface MetaStore {
  get<T>(key: string): Promise<T | undefined>;
  put(key: string, value: unknown): Promise<void>;
  delete(key: string): Promise<void>;
  /** Keys starting with the prefix, sorted. */
  keys(prefix: string): Promise<string[]>;
}

/** Options both store implementations take. */
export interface StoreOptions {
  /**
   * A cap on blob bytes (beyond the platform's own quota): a write that would pass it
   * fails with STORE_FULL before writing, as a full disk would.
   */
  maxBytes?: number;
  /** Bytes `image prune` could free now; named in STORE_FULL errors. Wired by the owner. */
  reclaimable?: () => Promise<number>;
  /**
   * One room shared by several stores (the engine's blobs and chunks under one cap, with
   * the disk's reserve); `maxBytes` and `reclaimable` are then the space's, not these.
   */
  space?: StoreSpace;
}

export interface PutOptions {
  /** The expected size, when known: lets a full store say how much was needed. */
  size?: number;
  /**
   * The store may return before the blob is durable and leave that to a later `flush()`
   * of its digest (the directory store then writes without fsync and names the blob at
   * the flush; until then it is visible to this process only). Many small writes (layer
   * chunks) then pay one flush instead of one fsync each.
   */
  flushLater?: true;
  /**
   * The caller vouches that `digest` is the sha256 of exactly these bytes, so the store does
   * not hash them again: bytes in hand it hashed itself (a Uint8Array it no longer changes),
   * or a stream that ends in an error, never a close, unless its bytes hash to `digest` (the
   * registry client's verified blob stream: it holds back the last bytes until the digest
   * checked out). A stream that errors leaves nothing, as always.
   */
  hashed?: true;
  /**
   * The caller already holds room for these bytes in the store's `space` (a container's
   * written chunk, taken when the write was accepted): the put does not check again, and
   * the caller gives the bytes back once it resolves.
   */
  held?: true;
}
