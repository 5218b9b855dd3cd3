import { TabdockError } from '../shared/errors.ts';

/**
 * An image platform (OCI image index, "platform"). Normalised as containerd's
 * `platforms.Normalize` does, so `linux/i386`, `linux/x86_64` and `linux/aarch64`
 * match what registries list.
 */
export interface Platform {
  readonly os: string;
  readonly architecture: string;
  readonly variant?: string;
}

/** v86 runs 32-bit x86 only; this is what `pull` picks unless told otherwise. */
export const DEFAULT_PLATFORM: Platform = { os: 'linux', architecture: '386' };

const ARCH_ALIASES: Record<string, string> = {
  i386: '386', i486: '386', i586: '386', i686: '386', x86: '386',
  x86_64: 'amd64', 'x86-64': 'amd64',
  aarch64: 'arm64', armhf: 'arm', armel: 'arm',
};

export function normalizePlatform(p: { os: string; architecture: string; variant?: string | undefined }): Platform {
  const os = p.os.toLowerCase();
  const architecture = ARCH_ALIASES[p.architecture.toLowerCase()] ?? p.architecture.toLowerCase();
  let variant = p.variant?.toLowerCase() || undefined;
  if (architecture === 'arm64' && variant === 'v8') variant = undefined;
  if (architecture === 'arm' && p.architecture.toLowerCase() === 'armel') variant = 'v6';
  if (architecture === 'arm' && variant === undefined) variant = 'v7';
  return variant === undefined ? { os, architecture } : { os, architecture, variant };
}

/** Parses `os/arch[/variant]` as `docker pull --platform` takes it. */
export function parsePlatform(s: string): Platform {
  const parts = s.trim().split('/');
  if (parts.length < 2 || parts.length > 3 || parts.some((x) => !/^[A-Za-z0-9_.-]+$/.test(x))) {
    throw new TabdockError('INVALID_PLATFORM', `invalid platform "${s}": expected os/arch[/variant], e.g. linux/386`, { platform: s });
  }
  return normalizePlatform({ os: parts[0]!, architecture: parts[1]!, variant: parts[2] });
}

export function formatPlatform(p: Platform): string {
  return p.variant ? `${p.os}/${p.architecture}/${p.variant}` : `${p.os}/${p.architecture}`;
}

/**
 * WebAssembly modules for WASI preview 1, which tabdock runs without the guest: Docker's
 * `wasi/wasm` and the `wasip1/wasm` the Go toolchain and the CNCF wasm artifact spec use
 * (the same ABI, `wasi_snapshot_preview1`). `wasip2/wasm` (components) is another ABI.
 */
export const WASI_PLATFORM: Platform = { os: 'wasi', architecture: 'wasm' };

export function isWasiPlatform(p: { os: string; architecture: string }): boolean {
  const os = p.os.toLowerCase();
  return p.architecture.toLowerCase() === 'wasm' && (os === 'wasi' || os === 'wasip1');
}

/** Any WebAssembly platform (wasi, wasip1, wasip2...): not something the guest can run. */
export function isWasmPlatform(p: { architecture: string }): boolean {
  return p.architecture.toLowerCase() === 'wasm';
}

/** True when `candidate` (as listed by an index) satisfies the `wanted` platform. */
export function platformMatches(wanted: Platform, candidate: { os: string; architecture: string; variant?: string | undefined }): boolean {
  const c = normalizePlatform(candidate);
  const w = normalizePlatform(wanted);
  // `--platform wasi/wasm` takes a `wasip1/wasm` entry too: one ABI under two names.
  if (isWasiPlatform(c) && isWasiPlatform(w)) return true;
  if (c.os !== w.os || c.architecture !== w.architecture) return false;
  // An unspecified wanted variant accepts any (Docker picks the best one listed first).
  return wanted.variant === undefined || c.variant === w.variant;
}
