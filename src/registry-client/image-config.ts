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
