import { contentSize, type BlobStore, type LayerStore, type MetaStore } from '../fs-layers/index.ts';
import { Digest, MediaType, sha256, type ContainerConfig, type HistoryEntry, type ImageConfig, type Platform } from '../registry-client/index.ts';
import { TabdockError } from '../shared/errors.ts';
import { layerSize, type ImageRecord, type LayerRecord } from './image-record.ts';
import type { ImageStore } from './image-store.ts';

/** A new layer of an image being made: a committed tree (commit-layer.ts), a build step, an import. */
export interface NewLayer {
  digest: Digest;
  diffId: Digest;
  size: number;
  mediaType: string;
}

/**
 * One new step of the image's history. `emptyLayer` steps (ENV, CMD, a commit's `-c`
 * only) add no layer; every other step takes the next of `layers`, in order.
 */
export interface NewHistoryStep {
  createdBy?: string;
  comment?: string;
  author?: string;
  emptyLayer?: boolean;
}

export interface NewImageRequest {
  /** The image it builds on; undefined: scratch (`FROM scratch`, `import`). */
  parent?: ImageRecord;
  /** New layers, bottom first, each complete in the layer store and its blob in the blob store. */
  layers: readonly NewLayer[];
  /** The container config of the new image (Cmd, Env...), already merged with the parent's. */
  config: ContainerConfig;
  /** One entry per step; the non-empty ones name the layers in order. */
  history: readonly NewHistoryStep[];
  /** The image's author (`commit -a`, MAINTAINER). */
  author?: string;
  /** Scratch only: the platform (default: linux/386). */
  platform?: Platform;
  /** A full tag reference to point at the image (`docker.io/library/app:latest`). */
  tag?: string;
  /** A build step's result: kept as build cache, out of `docker images` while untagged. */
  buildCache?: boolean;
}

export interface ImageCreateDeps {
  blobs: BlobStore;
  meta: MetaStore;
  layers: LayerStore;
  images: ImageStore;
  now?: () => Date;
}

/** Docker's layer media types, as an OCI manifest names the same blobs (image-spec layer.md). */
const OCI_LAYER: Record<string, string> = {
  'application/vnd.docker.image.rootfs.diff.tar': 'application/vnd.oci.image.layer.v1.tar',
  'application/vnd.docker.image.rootfs.diff.tar.gzip': 'application/vnd.oci.image.layer.v1.tar+gzip',
  'application/vnd.docker.image.rootfs.diff.tar.zstd': 'application/vnd.oci.image.layer.v1.tar+zstd',
  'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip': 'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip',
  'application/vnd.docker.image.rootfs.foreign.diff.tar': 'application/vnd.oci.image.layer.nondistributable.v1.tar',
};

export function ociLayerType(mediaType: string): string {
  return OCI_LAYER[mediaType] ?? mediaType;
}

/**
 * Makes an image from a parent (or scratch), new layers and a config: the OCI image config
 * (the parent's rootfs.diff_ids and history, then the new ones; `created` now), and an OCI
 * image manifest naming the parent's blobs and the new ones, both stored as blobs; then the
 * record, the tag, and the image's references on its layers. `commit`, `import`, `load` and
 * `build` make their images here. Raw wasm layers cannot be built on (they are no tars).
 */
export async function createImage(d: ImageCreateDeps, req: NewImageRequest): Promise<ImageRecord> {
  const parent = req.parent;
  if (parent?.layers.some((l) => l.file)) {
    throw new TabdockError('UNSUPPORTED', `${parent.repoTags[0] ?? parent.id.slice(7, 19)} is a WebAssembly artifact: its layers are no file system to build on`, { image: parent.id });
  }
  const nonEmpty = req.history.filter((h) => !h.emptyLayer).length;
  if (nonEmpty !== req.layers.length) {
    throw new TabdockError('INTERNAL', `an image was made with ${req.layers.length} new layers but ${nonEmpty} history steps that add one`, {});
  }
  const created = (d.now?.() ?? new Date()).toISOString();
  const newRecords: LayerRecord[] = [];
  for (const l of req.layers) {
    const rec = await d.layers.record(l.diffId);
    if (!rec || !(await d.blobs.has(l.digest))) {
      throw new TabdockError('LAYER_MISSING', `layer ${l.digest.short} of the new image is not in the store`, { digest: l.digest.toString() });
    }
    newRecords.push({ digest: l.digest.toString(), size: l.size, mediaType: l.mediaType, diffId: l.diffId.toString(), uncompressedSize: rec.size, contentSize: contentSize(rec.entries) });
  }
  const layers = [...(parent?.layers ?? []), ...newRecords];
  const base = parent?.config;
  const platform = parent?.platform ?? req.platform ?? { os: 'linux', architecture: '386' };
  // Key order as moby writes an image config (image/image.go: architecture, author, config, created, history, os, rootfs).
  const config: ImageConfig = {
    architecture: platform.architecture,
    ...(req.author ? { author: req.author } : {}),
    config: req.config,
    created,
    history: [
      ...(base?.history ?? []),
      ...req.history.map((h): HistoryEntry => ({
        created,
        ...(h.author ?? req.author ? { author: h.author ?? req.author } : {}),
        ...(h.createdBy !== undefined ? { created_by: h.createdBy } : {}),
        ...(h.comment ? { comment: h.comment } : {}),
        ...(h.emptyLayer ? { empty_layer: true } : {}),
      })),
    ],
    os: platform.os,
    ...(platform.variant ? { variant: platform.variant } : {}),
    rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
  };
  const configBytes = new TextEncoder().encode(JSON.stringify(config));
  return recordImage(d, { configBytes, config, layers, platform, ...(req.tag ? { tags: [req.tag] } : {}), created, ...(req.buildCache ? { buildCache: true } : {}) });
}

export interface ImageToRecord {
  /** The config's bytes, kept as they are: the image ID is their digest. */
  configBytes: Uint8Array;
  config: ImageConfig;
  /** Every layer, bottom first, complete in the layer store with its blob in the blob store. */
  layers: LayerRecord[];
  platform: Platform;
  /** Full tag references to point at it. */
  tags?: readonly string[];
  created?: string;
  /** A build step's result (build cache). */
  buildCache?: boolean;
}

/**
 * Stores an image whose config is final (made here, or loaded from an archive): the config
 * blob, an OCI manifest naming its layers' blobs, the layer facts a later pull reuses, the
 * record and its tags, then the image's references on its layers.
 */
export async function recordImage(d: ImageCreateDeps, img: ImageToRecord): Promise<ImageRecord> {
  const { configBytes, config, layers, platform } = img;
  const created = img.created ?? (d.now?.() ?? new Date()).toISOString();
  const configDigest = await sha256(configBytes);
  const tags = img.tags ?? [];
  const known = await d.images.get(configDigest.toString());
  if (known) {
    // The same image is here already (its layers as they were stored first): only the tags are new.
    for (const t of tags) await d.images.save((await d.images.get(known.id))!, { tag: t });
    return (await d.images.get(known.id))!;
  }
  const manifest = {
    schemaVersion: 2,
    mediaType: MediaType.OciManifest,
    config: { mediaType: MediaType.OciConfig, digest: configDigest.toString(), size: configBytes.byteLength },
    layers: layers.map((l) => ({ mediaType: ociLayerType(l.mediaType), digest: l.digest, size: l.size })),
  };
  const manifestBytes = new TextEncoder().encode(JSON.stringify(manifest));
  const manifestDigest = await sha256(manifestBytes);
  if (!(await d.blobs.has(configDigest))) await d.blobs.put(configDigest, configBytes);
  if (!(await d.blobs.has(manifestDigest))) await d.blobs.put(manifestDigest, manifestBytes);
  // What a pull of the same blobs would find ("Already exists"), so a later pull reuses them.
  for (const l of layers) await d.meta.put(`layer/${l.digest}`, { diffId: l.diffId, uncompressedSize: l.uncompressedSize });
  const id = configDigest.toString();
  const record: ImageRecord = {
    id,
    repoTags: [],
    repoDigests: [],
    manifestDigest: manifestDigest.toString(),
    manifestMediaType: MediaType.OciManifest,
    platform,
    layers,
    config,
    size: layers.reduce((a, l) => a + layerSize(l), 0),
    pulledAt: created,
    lastTagTime: created,
    ...(img.buildCache ? { buildCache: true } : {}),
  };
  await d.images.save(record, { tag: tags[0] });
  for (const t of tags.slice(1)) await d.images.save((await d.images.get(id))!, { tag: t });
  await d.layers.retain(id, layers.map((l) => Digest.parse(l.diffId)));
  return (await d.images.get(id))!;
}
