/**
 * Node-only helpers (never imported by the browser build): read the committed guest
 * artifacts and v86's wasm from disk, compress a state with the zstd CLI.
 */
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TabdockError } from '../shared/errors.ts';
import type { GuestImages } from './guest.ts';

/** kernel/dist of this checkout. */
export const DEFAULT_ARTIFACT_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../kernel/dist');
/** Where the build-time snapshot is written (gitignored, regenerated in seconds). */
export const DEFAULT_SNAPSHOT_PATH = resolve(dirname(fileURLToPath(import.meta.url)), '../../kernel/snapshot/guest-state.bin.zst');

export interface LoadedArtifacts {
  images: Required<GuestImages>;
  wasm: Uint8Array;
}

function toArrayBuffer(b: Uint8Array): ArrayBuffer {
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
}

export async function loadArtifacts(dir = DEFAULT_ARTIFACT_DIR): Promise<LoadedArtifacts> {
  const read = async (name: string) => {
    try {
      return await readFile(join(dir, name));
    } catch (e) {
      throw new TabdockError('EMULATOR_ARTIFACT_MISSING', `Guest artifact ${name} is missing in ${dir}; run kernel/build-all.sh.`, { dir, name, cause: String(e) });
    }
  };
  const [bios, vgaBios, bzImage, initrd] = await Promise.all([read('bios.bin'), read('vgabios-stdvga.bin'), read('bzImage'), read('initramfs.cpio.zst')]);
  return {
    images: { bios: toArrayBuffer(bios), vgaBios: toArrayBuffer(vgaBios), bzImage: toArrayBuffer(bzImage), initrd: toArrayBuffer(initrd) },
    wasm: await readV86Wasm(),
  };
}

/** v86.wasm from the installed v86 package. */
export async function readV86Wasm(): Promise<Uint8Array> {
  const main = createRequire(import.meta.url).resolve('v86');
  return new Uint8Array(await readFile(join(dirname(main), 'v86.wasm')));
}

/** zstd-compress a saved state with the zstd CLI (Debian `zstd`) at `path`. */
export async function writeCompressedState(state: ArrayBuffer, path: string, level = 19): Promise<void> {
  const raw = `${path}.raw`;
  await writeFile(raw, new Uint8Array(state));
  await new Promise<void>((res, rej) =>
    execFile('zstd', ['-q', '-f', '--rm', `-${level}`, '-T0', raw, '-o', path], (err) =>
      err ? rej(new TabdockError('EMULATOR_ZSTD_FAILED', `zstd could not compress the guest state: ${err.message}`, { path })) : res(),
    ),
  );
}
