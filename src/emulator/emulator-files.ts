/**
 * The QEMU user-mode emulators (kernel/build-qemu.sh) as the engine receives them:
 * zstd files beside the kernel, each checked against the sha256 it was built with
 * (kernel/SHA256SUMS) before it is inflated. Browser-safe: the page fetches them from the
 * guest assets (`loadEmulatorAsset`); Node reads them from the package (`node.ts`).
 */
import { decompress } from 'fzstd';
import { sha256 } from 'hash-wasm';
import { TabdockError } from '../shared/errors.ts';
import { GUEST_MANIFEST, type GuestAssetManifest } from './guest-assets.ts';

/** Checks the compressed bytes against their sum, then inflates them. */
export async function verifyEmulator(file: string, compressed: Uint8Array, expectedSha256: string | undefined): Promise<Uint8Array> {
  if (!expectedSha256) throw new TabdockError('EMULATOR_ASSETS_UNREACHABLE', `no checksum is recorded for the emulator ${file}, so it is not used`, { file });
  const got = await sha256(compressed);
  if (got !== expectedSha256) {
    throw new TabdockError('DIGEST_MISMATCH', `the emulator ${file} does not match its checksum (sha256:${expectedSha256}, received sha256:${got}); it is not used`, { file, expected: expectedSha256, got });
  }
  return decompress(compressed);
}

/** `sha256sum` output as a map from file name to hex digest. */
export function parseSums(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^([0-9a-f]{64}) [ *](.+)$/.exec(line.trim());
    if (m) out.set(m[2]!, m[1]!);
  }
  return out;
}

/** Fetches one emulator from the site's guest assets (named in their manifest), verified and inflated. */
export async function loadEmulatorAsset(base: URL, file: string, f: typeof fetch = fetch): Promise<Uint8Array> {
  const unreachable = (why: string) => new TabdockError('EMULATOR_ASSETS_UNREACHABLE', `The emulator ${file} could not be fetched from ${base.href}: ${why}`, { base: base.href, file });
  const mres = await f(new URL(GUEST_MANIFEST, base), { cache: 'no-cache' } as RequestInit).catch((e: unknown) => {
    throw unreachable(String(e));
  });
  if (!mres.ok) throw unreachable(`HTTP ${mres.status} for ${GUEST_MANIFEST}`);
  const m = (await mres.json()) as GuestAssetManifest;
  const entry = m.emulators?.[file];
  if (!entry) throw unreachable('this site does not serve it');
  const res = await f(new URL(entry.name, base), { cache: 'force-cache' } as RequestInit).catch((e: unknown) => {
    throw unreachable(String(e));
  });
  if (!res.ok) throw unreachable(`HTTP ${res.status}`);
  return verifyEmulator(file, new Uint8Array(await res.arrayBuffer()), entry.sha256);
}
