import { TabdockError } from '../shared/errors.ts';
import { Digest } from './digest.ts';

/** The image configuration (OCI image spec, "Image Configuration"). */
export interface ContainerConfig {
  User?: string;
  ExposedPorts?: Record<string, object>;
  Env?: string[];
  Entrypoint?: string[] | null;
  Cmd?: string[] | null;
  Volumes?: Record<string, object>;
  WorkingDir?: string;
  Labels?: Record<string, string>;
  StopSignal?: string;
  [key: string]: unknown;
}

export interface HistoryEntry {
  created?: string;
  created_by?: string;
  author?: string;
  comment?: string;
  empty_layer?: boolean;
}

export interface ImageConfig {
  architecture: string;
  os: string;
  variant?: string;
  created?: string;
  author?: string;
  config?: ContainerConfig;
  rootfs: { type: 'layers'; diff_ids: string[] };
  history?: HistoryEntry[];
  [key: string]: unknown;
}

export function parseImageConfig(bytes: Uint8Array, what: string): ImageConfig & { diffIds: Digest[] } {
  let j: ImageConfig;
  try {
    j = JSON.parse(new TextDecoder().decode(bytes)) as ImageConfig;
  } catch {
    throw new TabdockError('CONFIG_INVALID', `the image config of ${what} is not JSON`, { what });
  }
  if (!j || typeof j.os !== 'string' || typeof j.architecture !== 'string') {
    throw new TabdockError('CONFIG_INVALID', `the image config of ${what} names no os/architecture`, { what });
  }
  if (!j.rootfs || j.rootfs.type !== 'layers' || !Array.isArray(j.rootfs.diff_ids)) {
    throw new TabdockError('CONFIG_INVALID', `the image config of ${what} has no rootfs.diff_ids`, { what });
  }
  const diffIds = j.rootfs.diff_ids.map((d) => {
    const p = Digest.tryParse(d);
    if (!p) throw new TabdockError('CONFIG_INVALID', `the image config of ${what} lists an invalid diff ID ${d}`, { what });
    return p;
  });
  return Object.assign(j, { diffIds });
}

/**
 * The config of a WebAssembly artifact as an image config. Artifact configs are not image
 * configs: wasm-to-oci writes `{}` (`application/vnd.wasm.config.v1+json`), the CNCF wasm
 * artifact spec (`application/vnd.wasm.config.v0+json`) has `os` (`wasip1`/`wasip2`),
 * `architecture`, `created` and `layerDigests`. What is missing is filled in: platform
 * `wasi/wasm`, and a raw wasm layer is its own "uncompressed" content, so its diff ID is
 * its digest. An OCI-style `config` (Entrypoint, Env...) and `rootfs` are kept if present.
 */
export function parseWasmArtifactConfig(bytes: Uint8Array, layerDigests: readonly Digest[], what: string): ImageConfig & { diffIds: Digest[] } {
  let j: Record<string, unknown>;
  try {
    j = JSON.parse(new TextDecoder().decode(bytes)) as Record<string, unknown>;
  } catch {
    throw new TabdockError('CONFIG_INVALID', `the config of the WebAssembly artifact ${what} is not JSON`, { what });
  }
  if (!j || typeof j !== 'object' || Array.isArray(j)) throw new TabdockError('CONFIG_INVALID', `the config of the WebAssembly artifact ${what} is not an object`, { what });
  const str = (k: string) => (typeof j[k] === 'string' && j[k] !== '' ? (j[k] as string) : undefined);
  const rootfs = j['rootfs'] as { type?: unknown; diff_ids?: unknown } | undefined;
  const listed = Array.isArray(rootfs?.diff_ids) && rootfs.diff_ids.length === layerDigests.length ? (rootfs.diff_ids as unknown[]).map((d) => Digest.tryParse(String(d))) : undefined;
  const diffIds = listed && listed.every((d): d is Digest => d !== undefined) ? listed : [...layerDigests];
  const out: ImageConfig & { diffIds: Digest[] } = {
    ...(j as Partial<ImageConfig>),
    os: str('os') ?? 'wasi',
    architecture: str('architecture') ?? 'wasm',
    rootfs: { type: 'layers', diff_ids: diffIds.map((d) => d.toString()) },
    diffIds,
  };
  if (j['config'] !== undefined && (typeof j['config'] !== 'object' || j['config'] === null)) delete out.config;
  return out;
}
