/**
 * Node-only helpers (never imported by the browser build): read the committed guest
 * artifacts and v86's wasm from disk, compress a state with the zstd CLI.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseSums, verifyEmulator } from './emulator-files.ts';
import { TabdockError } from '../shared/errors.ts';
import { BULK_PORT, DEFAULT_MEMORY, Guest, SNAPSHOT_CMDLINE, type GuestImages } from './guest.ts';
import { refuse9p } from './refuse9p.ts';
import { decompressState, snapshotMetaFits, type SnapshotMeta } from './snapshot.ts';

/** kernel/images of this checkout. */
export const DEFAULT_ARTIFACT_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../kernel/images');
/** Where the build-time snapshot is written (gitignored, regenerated in seconds). */
export const DEFAULT_SNAPSHOT_PATH = resolve(dirname(fileURLToPath(import.meta.url)), '../../kernel/snapshot/guest-state.bin.zst');

export interface LoadedArtifacts {
  images: Required<Omit<GuestImages, 'vgaBios'>> & Pick<GuestImages, 'vgaBios'>;
  wasm: Uint8Array;
}

function toArrayBuffer(b: Uint8Array): ArrayBuffer {
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
}

/** The committed guest images (the VGA ROM only with `vga: true`) and v86's wasm. */
export async function loadArtifacts(dir = DEFAULT_ARTIFACT_DIR, o: { vga?: boolean } = {}): Promise<LoadedArtifacts> {
  const read = async (name: string) => {
    try {
      return await readFile(join(dir, name));
    } catch (e) {
      throw new TabdockError('EMULATOR_ARTIFACT_MISSING', `Guest artifact ${name} is missing in ${dir}; run kernel/build-all.sh.`, { dir, name, cause: String(e) });
    }
  };
  const [bios, bzImage, initrd] = await Promise.all([read('bios.bin'), read('bzImage'), read('initramfs.cpio')]);
  return {
    images: { bios: toArrayBuffer(bios), bzImage: toArrayBuffer(bzImage), initrd: toArrayBuffer(initrd), ...(o.vga ? { vgaBios: toArrayBuffer(await read('vgabios-stdvga.bin')) } : {}) },
    wasm: await readV86Wasm(),
  };
}

/** An emulator (kernel/build-qemu.sh) from the package's kernel/images, checked against kernel/SHA256SUMS and inflated. */
export async function loadEmulatorFile(file: string, dir = DEFAULT_ARTIFACT_DIR): Promise<Uint8Array> {
  let bytes: Uint8Array;
  let sums: string;
  try {
    [bytes, sums] = await Promise.all([readFile(join(dir, file)), readFile(join(dir, '..', 'SHA256SUMS'), 'utf8')]);
  } catch (e) {
    throw new TabdockError('EMULATOR_ARTIFACT_MISSING', `The emulator ${file} is missing in ${dir}; run kernel/build-qemu.sh.`, { dir, name: file, cause: String(e) });
  }
  return verifyEmulator(file, bytes, parseSums(sums).get(file));
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

export interface SnapshotResult {
  /** zstd-compressed state written to `path`. */
  path: string;
  compressedBytes: number;
  rawBytes: number;
  bootMs: number;
  saveMs: number;
  compressMs: number;
}

export type { SnapshotMeta } from './snapshot.ts';

/**
 * Boot once, wait for the agent, save, compress: the build step behind
 * kernel/make-snapshot.ts. The state holds the 9P device as configured here, so a state
 * for the engine is made with a handler (`ninep: 'handler'`; no 9P request happens during
 * boot, so a handler that refuses everything is enough) and one for v86's built-in
 * filesystem with `ninep: 'builtin'`.
 */
export async function createSnapshot(o: { path?: string; ninep?: 'handler' | 'builtin'; memoryBytes?: number; artifactDir?: string; level?: number } = {}): Promise<SnapshotResult & { meta: SnapshotMeta }> {
  const path = o.path ?? DEFAULT_SNAPSHOT_PATH;
  const ninep = o.ninep ?? 'handler';
  const a = await loadArtifacts(o.artifactDir);
  const bzImageSha256 = sha(a.images.bzImage);
  const initrdSha256 = sha(a.images.initrd);
  const t0 = performance.now();
  const guest = await Guest.start({ images: a.images, wasm: a.wasm, cmdline: SNAPSHOT_CMDLINE, ...(o.memoryBytes ? { memoryBytes: o.memoryBytes } : {}), ...(ninep === 'handler' ? { handle9p: refuse9p } : {}) });
  const bootMs = performance.now() - t0;
  try {
    await guest.agent.sync();
    const t1 = performance.now();
    const state = await guest.saveState();
    const saveMs = performance.now() - t1;
    await mkdir(dirname(path), { recursive: true });
    const t2 = performance.now();
    // written under temporary names and renamed: a concurrent reader sees old or new, never half
    const tmp = `${path}.${process.pid}.tmp.bin.zst`;
    // A make that fails (a full disk, an interrupted compression) leaves no temporary file.
    const dropTmp = () => Promise.all([rm(tmp, { force: true }), rm(metaPathOf(tmp), { force: true })]);
    await writeCompressedState(state, tmp, o.level ?? 19).catch(async (e: unknown) => {
      await dropTmp();
      throw e;
    });
    const compressMs = performance.now() - t2;
    const meta: SnapshotMeta = {
      v86: await v86Version(),
      memoryBytes: o.memoryBytes ?? DEFAULT_MEMORY,
      ninep,
      bzImageSha256,
      initrdSha256,
      // Guest.start refuses to return a guest without its bulk port, so this one has it
      bulkPort: BULK_PORT,
    };
    try {
      await writeFile(metaPathOf(tmp), JSON.stringify(meta, null, 2) + '\n');
      await rename(tmp, path);
      await rename(metaPathOf(tmp), metaPathOf(path));
    } catch (e) {
      await dropTmp();
      throw e;
    }
    return { path, compressedBytes: (await stat(path)).size, rawBytes: state.byteLength, bootMs, saveMs, compressMs, meta };
  } finally {
    await guest.dispose();
  }
}

function metaPathOf(statePath: string): string {
  return statePath.replace(/\.bin\.zst$/, '') + '.json';
}

/**
 * The snapshot for these artifacts, made first if it is missing or stale (a boot and a
 * compression: about half a minute here). What a Node composition root (CLI, tests) calls.
 */
export async function loadOrCreateSnapshot(path = DEFAULT_SNAPSHOT_PATH, artifacts?: LoadedArtifacts): Promise<{ state: ArrayBuffer; meta: SnapshotMeta }> {
  try {
    return await loadSnapshot(path, artifacts);
  } catch (e) {
    if (!TabdockError.is(e, 'EMULATOR_NO_SNAPSHOT') && !TabdockError.is(e, 'EMULATOR_STALE_SNAPSHOT')) throw e;
    await createSnapshot({ path });
    return loadSnapshot(path, artifacts);
  }
}

function sha(b: ArrayBuffer): string {
  return createHash('sha256').update(new Uint8Array(b)).digest('hex');
}

/**
 * Read a snapshot written by createSnapshot and check that it fits these artifacts and this
 * v86 (a state only restores into the same emulator build, memory size and devices).
 */
export async function loadSnapshot(path = DEFAULT_SNAPSHOT_PATH, artifacts?: LoadedArtifacts): Promise<{ state: ArrayBuffer; meta: SnapshotMeta }> {
  const { bytes, meta } = await readFittingSnapshot(path, artifacts);
  return { state: decompressState(bytes), meta };
}

/**
 * Whether the snapshot at `path` fits these artifacts and this v86, without decompressing
 * it (what `tabdock info` and the CLI say before a guest starts): its metadata, or the
 * EMULATOR_NO_SNAPSHOT / EMULATOR_STALE_SNAPSHOT error a restore would meet.
 */
export async function checkSnapshot(path = DEFAULT_SNAPSHOT_PATH, artifacts?: LoadedArtifacts): Promise<SnapshotMeta> {
  return (await readFittingSnapshot(path, artifacts, false)).meta;
}

async function readFittingSnapshot(path: string, artifacts: LoadedArtifacts | undefined, withState = true): Promise<{ bytes: Uint8Array; meta: SnapshotMeta }> {
  let bytes: Uint8Array;
  let meta: SnapshotMeta;
  try {
    bytes = withState ? new Uint8Array(await readFile(path)) : (await stat(path), new Uint8Array());
    meta = JSON.parse(await readFile(metaPathOf(path), 'utf8')) as SnapshotMeta;
  } catch (e) {
    throw new TabdockError('EMULATOR_NO_SNAPSHOT', `No guest snapshot at ${path}; run kernel/make-snapshot.ts.`, { path, cause: String(e) });
  }
  const a = artifacts ?? (await loadArtifacts());
  const v86 = await v86Version();
  const want = { v86, bzImageSha256: sha(a.images.bzImage), initrdSha256: sha(a.images.initrd), bulkPort: BULK_PORT };
  if (!snapshotMetaFits(meta, want)) {
    const sentence = snapshotMetaFits({ ...meta, bulkPort: BULK_PORT }, want)
      ? 'The guest snapshot was saved without the bulk port (by an older build); run kernel/make-snapshot.ts again.'
      : 'The guest snapshot was made with another kernel, initramfs or v86; run kernel/make-snapshot.ts again.';
    throw new TabdockError('EMULATOR_STALE_SNAPSHOT', sentence, { path, meta, v86 });
  }
  return { bytes, meta };
}

async function v86Version(): Promise<string> {
  const main = createRequire(import.meta.url).resolve('v86');
  const pkg = JSON.parse(await readFile(join(dirname(main), '..', 'package.json'), 'utf8')) as { version?: string };
  return pkg.version ?? 'unknown';
}
