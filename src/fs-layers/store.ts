import type { Digest } from '../registry-client/index.ts';

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
  put(digest: Digest, data: ReadableStream<Uint8Array> | Uint8Array): Promise<void>;
  /** The blob's bytes, or undefined when absent. */
  get(digest: Digest): Promise<ReadableStream<Uint8Array> | undefined>;
  delete(digest: Digest): Promise<void>;
  list(): Promise<Digest[]>;
  /** Bytes used by all blobs. */
  usage(): Promise<number>;
}

/** Small JSON records (image records, tags, layer facts), written atomically. */
export interface MetaStore {
  get<T>(key: string): Promise<T | undefined>;
  put(key: string, value: unknown): Promise<void>;
  delete(key: string): Promise<void>;
  /** Keys starting with the prefix. */
  keys(prefix: string): Promise<string[]>;
}
