import { layerKind, type Digest } from '../registry-client/index.ts';
import { TabdockError } from '../shared/errors.ts';
import type { LayerStore } from './layer-store.ts';
import type { BlobStore } from './store.ts';

export interface ImageLayer {
  /** The compressed blob's digest (as pulled into the blob store). */
  digest: Digest;
  mediaType: string;
  /** The image config's `rootfs.diff_ids` entry for this layer. */
  diffId: Digest;
}

/**
 * Makes sure every layer of an image is unpacked (skipping complete ones), reading the
 * compressed blobs the pull stored, and takes `owner`'s reference on them. What the
 * engine calls after a pull and before creating a container; `rmi` is
 * `release(owner)` then `gc()`.
 */
export async function ensureImageLayers(
  layers: LayerStore,
  blobs: BlobStore,
  owner: string,
  image: readonly ImageLayer[],
  onLayer?: (diffId: Digest, uncompressedBytes: number) => void,
): Promise<void> {
  for (const l of image) {
    if (await layers.has(l.diffId)) continue;
    const kind = layerKind(l.mediaType);
    if (!kind) throw new TabdockError('UNSUPPORTED_LAYER', `layer ${l.digest.short} has media type ${l.mediaType}, which is not a filesystem layer`, { mediaType: l.mediaType });
    const source = await blobs.get(l.digest);
    if (!source) throw new TabdockError('LAYER_MISSING', `layer ${l.digest.short} is not in the store; pull the image again`, { digest: l.digest.toString() });
    await layers.unpack({ diffId: l.diffId, source, compression: kind.compression, what: `layer ${l.digest.short}`, onProgress: (n) => onLayer?.(l.diffId, n) });
  }
  await layers.retain(owner, image.map((l) => l.diffId));
}
