/**
 * Saved guest states travel zstd-compressed (DESIGN "Performance design": boot once at
 * build time, restore in the browser). Decompression is fzstd (pure JS, browser and Node);
 * compression happens only at build time, in Node (see node.ts).
 */
import { decompress } from 'fzstd';
import { TabdockError } from '../shared/errors.ts';

const ZSTD_MAGIC = 0xfd2fb528;

/** What `createSnapshot` writes beside a state (`guest-state.json`). */
export interface SnapshotMeta {
  v86: string;
  memoryBytes: number;
  /** The 9P device kind the state was saved with; restore needs the same kind. */
  ninep: 'handler' | 'builtin';
  bzImageSha256: string;
  initrdSha256: string;
  /**
   * The virtio-console port the saved guest reads host->guest frames on as a plain port
   * (BULK_PORT). The port layout lives in the guest kernel's memory, set up at boot: a state
   * saved without it (older builds: every port a console) never gets a bulk port back.
   */
  bulkPort?: number;
}

/**
 * Whether a saved state restores into this guest: same v86 build, kernel, initramfs,
 * 9P device kind, and the bulk port this host sends on. One rule for the Node loader and
 * the page's asset server.
 */
export function snapshotMetaFits(meta: SnapshotMeta, want: { v86: string; bzImageSha256: string; initrdSha256: string; ninep?: SnapshotMeta['ninep']; bulkPort: number }): boolean {
  return meta.v86 === want.v86 && meta.bzImageSha256 === want.bzImageSha256 && meta.initrdSha256 === want.initrdSha256 && (want.ninep === undefined || meta.ninep === want.ninep) && meta.bulkPort === want.bulkPort;
}

/** Inflate a compressed state for `Guest.start({ state })`; a plain state passes through. */
export function decompressState(bytes: Uint8Array): ArrayBuffer {
  if (bytes.length >= 4 && new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0, true) === ZSTD_MAGIC) {
    try {
      const out = decompress(bytes);
      return out.buffer.slice(out.byteOffset, out.byteOffset + out.byteLength) as ArrayBuffer;
    } catch (e) {
      throw new TabdockError('EMULATOR_BAD_SNAPSHOT', 'The guest snapshot is damaged and cannot be decompressed; rebuild it.', { cause: String(e) });
    }
  }
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}
