/**
 * Vite plugin (Node side): serves the guest at `<base>guest/` in `vite dev` and writes it
 * into the build output: the committed kernel images, v86's wasm and the build-time
 * snapshot, under content-hashed names listed in `manifest.json`.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import type { Plugin } from 'vite';
import { BULK_PORT } from './guest.ts';
import { DEFAULT_ARTIFACT_DIR, DEFAULT_SNAPSHOT_PATH } from './node.ts';
import { snapshotMetaFits, type SnapshotMeta } from './snapshot.ts';
import { GUEST_MANIFEST, type GuestAssetManifest } from './guest-assets.ts';
import { parseSums } from './emulator-files.ts';

/** The emulator files kernel/build-qemu.sh writes (the engine's EMULATORS name them too). */
export const EMULATOR_FILES = ['qemu-x86_64.zst', 'qemu-aarch64.zst', 'qemu-arm.zst'];

interface Asset { name: string; path: string }

const hashes = new Map<string, string>();

function hashed(path: string, as: string): Asset {
  const st = statSync(path);
  const key = `${path}:${st.size}:${st.mtimeMs}`;
  const h = hashes.get(key) ?? createHash('sha256').update(readFileSync(path)).digest('hex').slice(0, 12);
  hashes.set(key, h);
  const dot = as.indexOf('.');
  return { name: dot === -1 ? `${as}.${h}` : `${as.slice(0, dot)}.${h}${as.slice(dot)}`, path };
}

/** The guest files as they are on disk now (a snapshot rebuilt since gets a new name). */
export function collectGuestAssets(o: { artifactDir?: string; snapshotPath?: string } = {}): { manifest: GuestAssetManifest; assets: Asset[] } {
  const dir = o.artifactDir ?? DEFAULT_ARTIFACT_DIR;
  const snap = o.snapshotPath ?? DEFAULT_SNAPSHOT_PATH;
  const v86Dir = dirname(createRequire(import.meta.url).resolve('v86'));
  const bios = hashed(join(dir, 'bios.bin'), 'bios.bin');
  const bzImage = hashed(join(dir, 'bzImage'), 'bzImage');
  const initrd = hashed(join(dir, 'initramfs.cpio'), 'initramfs.cpio');
  const wasm = hashed(join(v86Dir, 'v86.wasm'), 'v86.wasm');
  const v86 = (JSON.parse(readFileSync(join(v86Dir, '..', 'package.json'), 'utf8')) as { version: string }).version;
  // A state only fits the kernel, initramfs and v86 it was made with (DESIGN "v86 facts").
  const state = existsSync(snap) && snapshotFits(snap, bzImage.path, initrd.path, v86) ? hashed(snap, basename(snap)) : undefined;
  const stateMemoryBytes = state ? (JSON.parse(readFileSync(snap.replace(/\.bin\.zst$/, '.json'), 'utf8')) as SnapshotMeta).memoryBytes : undefined;
  // The emulators are fetched only when a foreign image first runs; the sums are the committed ones.
  const sums = existsSync(join(dir, '..', 'SHA256SUMS')) ? parseSums(readFileSync(join(dir, '..', 'SHA256SUMS'), 'utf8')) : new Map<string, string>();
  const emulators = EMULATOR_FILES.filter((f) => existsSync(join(dir, f)) && sums.has(f)).map((f) => ({ file: f, asset: hashed(join(dir, f), f) }));
  const assets = [bios, bzImage, initrd, wasm, ...(state ? [state] : []), ...emulators.map((e) => e.asset)];
  const manifest: GuestAssetManifest = {
    v86,
    files: { bios: bios.name, bzImage: bzImage.name, initrd: initrd.name, wasm: wasm.name, ...(state ? { state: state.name } : {}) },
    ...(stateMemoryBytes !== undefined ? { stateMemoryBytes } : {}),
    sizes: Object.fromEntries(assets.map((a) => [a.name, statSync(a.path).size])),
    ...(emulators.length ? { emulators: Object.fromEntries(emulators.map((e) => [e.file, { name: e.asset.name, sha256: sums.get(e.file)! }])) } : {}),
  };
  return { manifest, assets };
}

const fits = new Map<string, boolean>();

function snapshotFits(snap: string, bzImage: string, initrd: string, v86: string): boolean {
  const key = [snap, bzImage, initrd].map((p) => `${p}:${statSync(p).mtimeMs}`).join('|') + v86;
  const known = fits.get(key);
  if (known !== undefined) return known;
  const r = checkSnapshot(snap, bzImage, initrd, v86);
  fits.set(key, r);
  return r;
}

function checkSnapshot(snap: string, bzImage: string, initrd: string, v86: string): boolean {
  try {
    const meta = JSON.parse(readFileSync(snap.replace(/\.bin\.zst$/, '.json'), 'utf8')) as SnapshotMeta;
    const sha = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');
    return snapshotMetaFits(meta, { v86, ninep: 'handler', bzImageSha256: sha(bzImage), initrdSha256: sha(initrd), bulkPort: BULK_PORT });
  } catch {
    return false;
  }
}

export function tabdockGuestAssets(o: { prefix?: string } = {}): Plugin {
  const prefix = o.prefix ?? 'guest/';
  return {
    name: 'tabdock-guest-assets',
    configureServer(server) {
      const at = `${server.config.base}${prefix}`;
      server.middlewares.use((req, res, next) => {
        const url = (req.url ?? '').split('?')[0]!;
        if (!url.startsWith(at)) return next();
        // Collected per request: `npm run snapshot` while the dev server runs is picked up.
        const { manifest, assets } = collectGuestAssets();
        const name = url.slice(at.length);
        if (name === GUEST_MANIFEST) {
          res.setHeader('content-type', 'application/json');
          res.setHeader('cache-control', 'no-cache');
          res.end(JSON.stringify(manifest));
          return;
        }
        const a = assets.find((x) => x.name === name);
        if (!a) return next();
        res.setHeader('content-type', name.endsWith('.wasm') ? 'application/wasm' : 'application/octet-stream');
        res.setHeader('cache-control', 'public, max-age=31536000, immutable');
        res.setHeader('content-length', String(statSync(a.path).size));
        res.end(readFileSync(a.path));
      });
    },
    generateBundle() {
      const { manifest, assets } = collectGuestAssets();
      if (!manifest.files.state) this.warn('no guest snapshot that fits this kernel, initramfs and v86 (kernel/snapshot/guest-state.bin.zst): the built site will boot the guest from scratch; run `npm run snapshot` first');
      for (const a of assets) this.emitFile({ type: 'asset', fileName: `${prefix}${a.name}`, source: readFileSync(a.path) });
      this.emitFile({ type: 'asset', fileName: `${prefix}${GUEST_MANIFEST}`, source: JSON.stringify(manifest) });
    },
  };
}
