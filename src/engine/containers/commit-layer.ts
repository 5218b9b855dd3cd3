import { exportLayer, type BlobStore, type ContainerFs, type LayerStore } from '../../fs-layers/index.ts';
import type { Digest, Hasher } from '../../registry-client/index.ts';
import { TabdockError } from '../../shared/errors.ts';

/** The media type of a committed layer (OCI image spec, layer.md: gzip-compressed tar). */
export const COMMITTED_LAYER_MEDIA_TYPE = 'application/vnd.oci.image.layer.v1.tar+gzip';

/** A layer made from a tree's changes, as an image manifest and config name it. */
export interface LayerDescriptor {
  /** The compressed blob's digest (in the blob store). */
  digest: Digest;
  /** The uncompressed tar's digest (`rootfs.diff_ids`; the layer store's key). */
  diffId: Digest;
  /** The compressed blob's size. */
  size: number;
  mediaType: string;
}

export interface CommitDeps {
  layers: LayerStore;
  blobs: BlobStore;
  /** A fresh gzip compressor; it must give the same bytes for the same input (zlib does). */
  gzip: () => TransformStream<Uint8Array, Uint8Array>;
  /** Paths left out when the tree added them (the runtime's mountpoints: moby's init layer is no part of a commit). */
  skipAdded?: (path: string) => boolean;
}

/**
 * Commits a tree's writable layer as an image layer: exported as an OCI layer tar (whiteouts
 * for what it deleted), gzipped, stored in the blob store under its digest, and made a
 * complete layer in the layer store under its diff ID, as a pulled layer is. `owner` takes a
 * reference on it so no gc frees it before an image does.
 *
 * Two passes over the export, because the blob store takes a digest up front and checks it:
 * the first only hashes (tar and gzip), the second stores; then the stored blob is unpacked
 * as a pulled one is. A tree that changed between the passes fails the store's digest check
 * and nothing is kept.
 */
export async function commitLayer(fs: ContainerFs, owner: string, d: CommitDeps): Promise<LayerDescriptor> {
  await fs.sync();
  const opts = d.skipAdded ? { skipAdded: d.skipAdded } : {};
  const tarHash = await d.layers.hasher();
  const gzHash = await d.layers.hasher();
  let size = 0;
  const hashed = exportLayer(fs, opts).pipeThrough(tap(tarHash)).pipeThrough(d.gzip()).pipeThrough(tap(gzHash, (n) => (size += n)));
  const reader = hashed.getReader();
  while (!(await reader.read()).done);
  const diffId = tarHash.digest();
  const digest = gzHash.digest();
  if (!(await d.blobs.has(digest))) {
    await d.blobs.put(digest, exportLayer(fs, opts).pipeThrough(d.gzip()), { size }).catch((e: unknown) => {
      if (TabdockError.is(e, 'DIGEST_MISMATCH')) throw new TabdockError('COMMIT_CHANGED', 'the container\'s files changed while they were being committed; try again', { digest: digest.toString() });
      throw e;
    });
  }
  const source = await d.blobs.get(digest);
  if (!source) throw new TabdockError('LAYER_MISSING', `committed layer ${digest.short} went missing from the store`, { digest: digest.toString() });
  // Held: a gc between the unpack and the reference would sweep the new layer.
  await d.layers.hold(async () => {
    await d.layers.unpackHeld({ diffId, source, compression: 'gzip', what: `committed layer ${digest.short}` });
    await d.layers.retain(owner, [diffId]);
  });
  return { digest, diffId, size, mediaType: COMMITTED_LAYER_MEDIA_TYPE };
}

function tap(h: Hasher, onBytes?: (n: number) => void): TransformStream<Uint8Array, Uint8Array> {
  return new TransformStream({
    transform(chunk, ctl) {
      h.update(chunk);
      onBytes?.(chunk.byteLength);
      ctl.enqueue(chunk);
    },
  });
}

/** The platform's gzip (CompressionStream: Node 18+ and every browser). */
export function webGzip(): TransformStream<Uint8Array, Uint8Array> {
  return new CompressionStream('gzip') as unknown as TransformStream<Uint8Array, Uint8Array>;
}
