import type { ImageConfig } from '../registry-client/index.ts';

/** What the engine keeps of one pulled image (keyed by its ID, the config digest). */
export interface LayerRecord {
  /** Digest of the blob as distributed (compressed). */
  digest: string;
  size: number;
  mediaType: string;
  /**
   * Digest of the uncompressed tar (OCI "DiffID"). For a raw wasm layer (the WebAssembly
   * artifact form), the digest of the one-file tar it is stored as (wasi/artifact.ts).
   */
  diffId: string;
  uncompressedSize: number;
  /**
   * The layer's size as Docker shows it (`images`, `history`, `system df`): its files' bytes
   * and symlinks' lengths (fs-layers `contentSize`), not the tar's. Absent in records from
   * before it was kept: the tar's size stands in (`layerSize`).
   */
  contentSize?: number;
  /** Raw wasm layers: the module's path in the container tree. */
  file?: string;
}

export interface ImageRecord {
  /** `sha256:` + config digest hex: Docker's image ID. */
  id: string;
  repoTags: string[];
  repoDigests: string[];
  manifestDigest: string;
  manifestMediaType: string;
  platform: { os: string; architecture: string; variant?: string };
  layers: LayerRecord[];
  config: ImageConfig;
  /** Unpacked size as `docker images` shows it: the sum of the layers' `layerSize`. */
  size: number;
  pulledAt: string;
  lastTagTime: string;
  /**
   * Made by a build step: build cache. Untagged, it is out of `docker images`, `image
   * prune` and the images' disk usage, and `builder prune` removes it.
   */
  buildCache?: boolean;
}

/** Tag and digest references to image IDs, like Docker's repositories.json. */
export interface Repositories {
  /** `docker.io/library/busybox:latest` -> image ID */
  tags: Record<string, string>;
  /** `docker.io/library/busybox@sha256:...` -> image ID */
  digests: Record<string, string>;
}

/** A layer's size as Docker shows it (its content), or the tar's for a record that predates it. */
export function layerSize(l: Pick<LayerRecord, 'contentSize' | 'uncompressedSize'>): number {
  return l.contentSize ?? l.uncompressedSize;
}
