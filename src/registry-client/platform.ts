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

/** True when `candidate` (as listed by an index) satisfies the `wanted` platform. */
export function platformMatches(wanted: Platform, candidate: { os: string; architecture: string; variant?: string | undefined }): boolean {
  const c = normalizePlatform(candidate);
  const w = normalizePlatform(wanted);
  if (c.os !== w.os || c.architecture !== w.architecture) return false;
  // An unspecified wanted variant accepts any (Docker picks the best one listed first).
  return wanted.variant === undefined || c.variant === w.variant;
}
