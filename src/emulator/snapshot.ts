/**
 * Saved guest states travel zstd-compressed (DESIGN "Performance design": boot once at
 * build time, restore in the browser). Decompression is fzstd (pure JS, browser and Node);
 * compression happens only at build time, in Node (see node.ts).
 */
import { decompress } from 'fzstd';
import { TabdockError } from '../shared/errors.ts';

const ZSTD_MAGIC = 0xfd2fb528;

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
