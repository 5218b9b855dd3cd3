/**
 * The guest as static assets for the browser: a manifest (always revalidated) naming
 * content-hashed files (cached forever by the browser), fetched by the worker with byte
 * progress. Browser-safe (fetch only); the files are served and emitted by
 * `vite-guest-assets.ts`.
 */
import { TabdockError } from '../shared/errors.ts';
import type { GuestImages } from './guest.ts';
import { decompressState } from './snapshot.ts';
import { DEFAULT_MEMORY } from '../shared/guest-memory.ts';

export interface GuestAssetManifest {
  v86: string;
  /** File names under the manifest's directory, content-hashed. */
  files: { bios: string; bzImage: string; initrd: string; wasm: string; state?: string };
  /** The guest memory the state was saved with (a state restores only into that much). */
  stateMemoryBytes?: number;
  sizes: Record<string, number>;
  /** The QEMU emulators (`qemu-x86_64.zst`...): their content-hashed names and the sums they were built with. */
  emulators?: Record<string, { name: string; sha256: string }>;
}

export interface LoadedGuestAssets {
  images: GuestImages;
  wasm: ArrayBuffer;
  /** The uncompressed snapshot, when the site has one (the normal case). */
  state?: ArrayBuffer;
  /** The guest's memory: the state's, or (a cold boot) the one asked for, if any. */
  memoryBytes?: number;
}

export const GUEST_MANIFEST = 'manifest.json';

/**
 * Fetches what a start needs: with a snapshot, the BIOS, wasm and state (the kernel and
 * initramfs are inside the state); without one, or when `memoryBytes` asks for other memory
 * than the state was saved with, the kernel and initramfs for a cold boot.
 */
export async function loadGuestAssets(base: URL, onProgress?: (loaded: number, total: number) => void, f: typeof fetch = fetch, memoryBytes?: number): Promise<LoadedGuestAssets> {
  const mres = await f(new URL(GUEST_MANIFEST, base), { cache: 'no-cache' } as RequestInit).catch((e: unknown) => {
    throw new TabdockError('EMULATOR_ASSETS_UNREACHABLE', `The guest's files could not be fetched from ${base.href}: ${String(e)}`, { base: base.href });
  });
  if (!mres.ok) throw new TabdockError('EMULATOR_ASSETS_UNREACHABLE', `The guest's files are not served at ${base.href} (HTTP ${mres.status} for ${GUEST_MANIFEST}).`, { base: base.href, status: mres.status });
  const m = (await mres.json()) as GuestAssetManifest;
  // A manifest from before stateMemoryBytes: its state was saved with the default memory.
  const restore = m.files.state !== undefined && (memoryBytes === undefined || memoryBytes === (m.stateMemoryBytes ?? DEFAULT_MEMORY));
  const names = restore ? [m.files.bios, m.files.wasm, m.files.state!] : [m.files.bios, m.files.wasm, m.files.bzImage, m.files.initrd];
  const total = names.reduce((n, x) => n + (m.sizes[x] ?? 0), 0);
  const got = new Map<string, number>();
  const report = () => onProgress?.([...got.values()].reduce((a, b) => a + b, 0), total);
  const bytes = await Promise.all(names.map(async (name) => {
    // Hashed names never change content: the HTTP cache may answer without asking.
    const res = await f(new URL(name, base), { cache: 'force-cache' } as RequestInit);
    if (!res.ok || !res.body) throw new TabdockError('EMULATOR_ASSETS_UNREACHABLE', `Guest file ${name} could not be fetched (HTTP ${res.status}).`, { name, status: res.status });
    const parts: Uint8Array[] = [];
    let n = 0;
    const reader = res.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      parts.push(value);
      n += value.byteLength;
      got.set(name, n);
      report();
    }
    const out = new Uint8Array(n);
    let o = 0;
    for (const p of parts) {
      out.set(p, o);
      o += p.byteLength;
    }
    return out;
  }));
  const ab = (b: Uint8Array) => b.buffer as ArrayBuffer;
  if (restore) {
    return { images: { bios: ab(bytes[0]!) }, wasm: ab(bytes[1]!), state: decompressState(bytes[2]!), memoryBytes: m.stateMemoryBytes ?? DEFAULT_MEMORY };
  }
  return { images: { bios: ab(bytes[0]!), bzImage: ab(bytes[2]!), initrd: ab(bytes[3]!) }, wasm: ab(bytes[1]!), ...(memoryBytes !== undefined ? { memoryBytes } : {}) };
}
