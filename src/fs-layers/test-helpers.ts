// Test helpers shared by this folder's unit tests (not part of the public face).
import 'fake-indexeddb/auto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packTar, type TarEntry } from 'modern-tar';
import { sha256, type Digest } from '../registry-client/index.ts';
import { DirBlobStore, DirMetaStore } from './dir-store.ts';
import { IdbBlobStore, IdbMetaStore } from './idb-store.ts';
import { LayerStore } from './layer-store.ts';
import type { BlobStore, MetaStore, StoreOptions } from './store.ts';

export interface StoreKit {
  chunks: BlobStore;
  meta: MetaStore;
  layers: LayerStore;
  /** The same backing storage opened afresh (a reload). */
  reopen: () => Promise<StoreKit>;
  /** The chunk store opened again with options (e.g. a cap). */
  chunksWith: (o: StoreOptions) => Promise<BlobStore>;
  cleanup: () => void;
}

let n = 0;

/** A layer store on each backend: a temp dir (Node CLI) and fake-indexeddb (browsers). */
export const BACKENDS: Record<string, () => Promise<StoreKit>> = {
  dir: async () => {
    const root = mkdtempSync(join(tmpdir(), 'tabdock-layers-'));
    const open = async (): Promise<StoreKit> => {
      const chunks = await DirBlobStore.open(join(root, 'chunks'));
      const meta = await DirMetaStore.open(join(root, 'meta'));
      return { chunks, meta, layers: new LayerStore({ chunks, meta }), reopen: open, chunksWith: (o) => DirBlobStore.open(join(root, 'chunks'), o), cleanup: () => rmSync(root, { recursive: true, force: true }) };
    };
    return open();
  },
  idb: async () => {
    const name = `layers-${process.pid}-${n++}`;
    const open = async (): Promise<StoreKit> => {
      const chunks = await IdbBlobStore.open(`${name}-chunks`);
      const meta = await IdbMetaStore.open(name);
      return { chunks, meta, layers: new LayerStore({ chunks, meta }), reopen: open, chunksWith: (o) => IdbBlobStore.open(`${name}-chunks`, o), cleanup: () => {} };
    };
    return open();
  },
};

export function streamOf(b: Uint8Array, cut = 65536): ReadableStream<Uint8Array> {
  let i = 0;
  return new ReadableStream({
    pull(c) {
      if (i >= b.length) return c.close();
      c.enqueue(b.slice(i, i + cut));
      i += cut;
    },
  });
}

/** A plain tar layer from entries, and its diff ID. */
export async function tarLayer(entries: TarEntry[]): Promise<{ tar: Uint8Array; diffId: Digest }> {
  const tar = await packTar(entries);
  return { tar, diffId: await sha256(tar) };
}

export const file = (name: string, body: string | Uint8Array, more: Partial<TarEntry['header']> = {}): TarEntry => ({
  header: { name, size: typeof body === 'string' ? new TextEncoder().encode(body).length : body.length, type: 'file', mode: 0o644, ...more },
  body,
});
export const dir = (name: string, more: Partial<TarEntry['header']> = {}): TarEntry => ({ header: { name, size: 0, type: 'directory', mode: 0o755, ...more } });
export const special = (name: string, type: TarEntry['header']['type'], linkname?: string): TarEntry => ({ header: { name, size: 0, type, linkname, mode: 0o644 } });

export async function unpackTar(layers: LayerStore, t: { tar: Uint8Array; diffId: Digest }) {
  return layers.unpack({ diffId: t.diffId, source: streamOf(t.tar), compression: 'none', what: 'test layer' });
}

/** Repeatable incompressible bytes (a linear congruential generator's high bytes). */
export function noise(len: number, seed: number): Uint8Array {
  const b = new Uint8Array(len);
  let x = seed;
  for (let i = 0; i < len; i++) b[i] = (x = (Math.imul(x, 1664525) + 1013904223) >>> 0) >>> 24;
  return b;
}
