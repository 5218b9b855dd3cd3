/** Media types of the OCI image spec and Docker's image manifest v2 schema 2. */
export const MediaType = {
  OciIndex: 'application/vnd.oci.image.index.v1+json',
  OciManifest: 'application/vnd.oci.image.manifest.v1+json',
  OciConfig: 'application/vnd.oci.image.config.v1+json',
  DockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  DockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  DockerConfig: 'application/vnd.docker.container.image.v1+json',
} as const;

/** The Accept list sent for manifests: indexes first, as Docker does. */
export const MANIFEST_ACCEPT = [MediaType.OciIndex, MediaType.DockerList, MediaType.OciManifest, MediaType.DockerManifest];

export type Compression = 'none' | 'gzip' | 'zstd';

export interface LayerKind {
  compression: Compression;
  /** Non-distributable ("foreign") layers may be fetched from the descriptor's urls. */
  foreign: boolean;
}

const LAYER_TYPES: Record<string, LayerKind> = {
  'application/vnd.oci.image.layer.v1.tar': { compression: 'none', foreign: false },
  'application/vnd.oci.image.layer.v1.tar+gzip': { compression: 'gzip', foreign: false },
  'application/vnd.oci.image.layer.v1.tar+zstd': { compression: 'zstd', foreign: false },
  'application/vnd.oci.image.layer.nondistributable.v1.tar': { compression: 'none', foreign: true },
  'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip': { compression: 'gzip', foreign: true },
  'application/vnd.oci.image.layer.nondistributable.v1.tar+zstd': { compression: 'zstd', foreign: true },
  'application/vnd.docker.image.rootfs.diff.tar': { compression: 'none', foreign: false },
  'application/vnd.docker.image.rootfs.diff.tar.gzip': { compression: 'gzip', foreign: false },
  'application/vnd.docker.image.rootfs.diff.tar.zstd': { compression: 'zstd', foreign: false },
  'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip': { compression: 'gzip', foreign: true },
  'application/vnd.docker.image.rootfs.foreign.diff.tar': { compression: 'none', foreign: true },
};

/** The layer kind of a media type, or undefined when it is not a layer we can apply. */
export function layerKind(mediaType: string): LayerKind | undefined {
  return LAYER_TYPES[mediaType];
}

/**
 * Layers that are one raw WebAssembly binary, not a tar: the WebAssembly OCI artifact
 * forms. `application/wasm` is the CNCF TAG Runtime "Wasm OCI Artifact" layout;
 * `application/vnd.wasm.content.layer.v1+wasm` is wasm-to-oci's (and ORAS users'); the
 * `vnd.module.` variant is wasmCloud's older one; containerd's runwasi accepts any `+wasm`
 * type its engine lists (`application/vnd.bytecodealliance.wasm.component.layer.v0+wasm`).
 */
export const WasmMediaType = {
  Layer: 'application/wasm',
  ContentLayer: 'application/vnd.wasm.content.layer.v1+wasm',
  ConfigV0: 'application/vnd.wasm.config.v0+json',
  ConfigV1: 'application/vnd.wasm.config.v1+json',
} as const;

export function isWasmLayer(mediaType: string): boolean {
  return mediaType === WasmMediaType.Layer || mediaType.endsWith('+wasm');
}

/** Config media types of the WebAssembly artifact forms (their configs are not image configs). */
export function isWasmConfig(mediaType: string): boolean {
  return mediaType.startsWith('application/vnd.wasm.config.');
}
