import { decompressor, exportTree, type BlobStore, type ContainerFs, type LayerStore } from '../fs-layers/index.ts';
import { sha256, type Compression, type Platform } from '../registry-client/index.ts';
import { TabdockError } from '../shared/errors.ts';
import { applyChanges } from './image-changes.ts';
import { tagOf } from './image-commit.ts';
import type { NewImageRequest } from './image-create.ts';
import type { ImageRecord } from './image-record.ts';

/** `docker export`: the container's whole tree as one tar, piece by piece to `write` (awaited). */
export async function exportContainer(fs: ContainerFs, write: (b: Uint8Array) => Promise<unknown> | void): Promise<void> {
  await fs.sync();
  const r = exportTree(fs).getReader();
  for (let c = await r.read(); !c.done; c = await r.read()) await write(c.value);
}

export interface ImportOptions {
  /** `REPO[:TAG]`. */
  reference?: string;
  /** `-c`: Dockerfile instructions for the config (image-changes.ts). */
  changes?: string[];
  /** `-m`: the history entry's comment (default `Imported from -`, as Docker writes it). */
  message?: string;
  /** `--platform` (default linux/386). */
  platform?: Platform;
}

export interface ImportDeps {
  blobs: BlobStore;
  layers: LayerStore;
  create(req: NewImageRequest): Promise<ImageRecord>;
}

/** The input is held in memory while it is hashed (the blob store takes a digest up front): at most this much. */
export const MAX_IMPORT_BYTES = 1 << 30;

/**
 * `docker import` (moby daemon/images ImportImage): a tar (plain, gzip or zstd: Docker
 * takes compressed tarballs too) becomes the one layer of an image over scratch, its
 * config only what `-c` says (Cmd null otherwise), with one history entry whose comment
 * is `-m` or `Imported from -`. The layer is kept as its plain tar (its digest is its
 * diff ID), as moby keeps an imported layer; a push sends it as it is.
 */
export async function importImage(d: ImportDeps, next: () => Promise<Uint8Array | null | undefined>, opts: ImportOptions): Promise<{ id: string }> {
  const tag = opts.reference ? tagOf(opts.reference) : undefined;
  const config = applyChanges({}, opts.changes ?? []);
  let raw = await gather(next, 'the archive');
  const compression = sniff(raw);
  if (compression !== 'none') raw = await gather(streamOf(bytesStream(raw).pipeThrough(decompressor(compression, 'the imported archive'))), 'the uncompressed archive');
  const diffId = await sha256(raw);
  const had = await d.blobs.has(diffId);
  if (!had) await d.blobs.put(diffId, raw);
  // Nothing awaited in the hold before the unpack starts (it waits for a gc under way, which waits for holds).
  await d.layers.hold(async () => {
    await d.layers.unpackHeld({ diffId, source: bytesStream(raw), compression: 'none', what: 'the imported archive' });
    await d.layers.retain(`import:${diffId.hex}`, [diffId]);
  }).catch(async (e: unknown) => {
    if (!had) await d.blobs.delete(diffId).catch(() => {});
    throw e;
  });
  try {
    const img = await d.create({
      layers: [{ digest: diffId, diffId, size: raw.byteLength, mediaType: 'application/vnd.oci.image.layer.v1.tar' }],
      config,
      history: [{ comment: opts.message ?? 'Imported from -' }],
      ...(opts.platform ? { platform: opts.platform } : {}),
      ...(tag ? { tag } : {}),
    });
    return { id: img.id };
  } finally {
    await d.layers.release(`import:${diffId.hex}`);
  }
}

function sniff(b: Uint8Array): Compression {
  if (b[0] === 0x1f && b[1] === 0x8b) return 'gzip';
  if (b[0] === 0x28 && b[1] === 0xb5 && b[2] === 0x2f && b[3] === 0xfd) return 'zstd';
  return 'none';
}

function streamOf(s: ReadableStream<Uint8Array>): () => Promise<Uint8Array | undefined> {
  const r = s.getReader();
  return async () => (await r.read()).value;
}

async function gather(next: () => Promise<Uint8Array | null | undefined>, what: string): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let total = 0;
  for (let c = await next(); c; c = await next()) {
    total += c.byteLength;
    if (total > MAX_IMPORT_BYTES) throw new TabdockError('UNSUPPORTED', `${what} is larger than the ${MAX_IMPORT_BYTES >> 20} MiB tabdock imports`, { limit: MAX_IMPORT_BYTES });
    parts.push(c);
  }
  if (total === 0) throw new TabdockError('ARCHIVE_INVALID', `${what} is empty`, {});
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}

function bytesStream(b: Uint8Array): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(c) {
      for (let i = 0; i < b.byteLength; i += 1 << 20) c.enqueue(b.subarray(i, i + (1 << 20)));
      c.close();
    },
  });
}
