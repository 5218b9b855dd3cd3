import { normalizePlatform, parsePlatform, platformMatches, type Platform } from '../../registry-client/index.ts';

/**
 * The foreign platforms the guest runs through QEMU user-mode emulation (issue 16), as
 * Docker runs them with binfmt_misc: Debian's `qemu-user-static:i386` binaries
 * (kernel/build-qemu.sh), registered with the kernel's binfmt_misc so that any ELF of the
 * emulated machine, in any container, starts under its emulator.
 */
export interface EmulatorInfo {
  /** The binfmt_misc entry's name and the emulator's file name in its tree (`qemu-x86_64`). */
  name: string;
  /** The file the platform's assets hold it in (zstd), beside the kernel. */
  file: string;
  /** `os/arch[/variant]` it runs, best first. */
  platforms: readonly string[];
  /** ELF header match (binfmt_misc `M` type): magic and mask as binfmt_misc reads them (`\xNN`). */
  magic: string;
  mask: string;
}

// Magic and mask from QEMU's scripts/qemu-binfmt-conf.sh (Debian ships them for
// aarch64 and arm in /usr/lib/binfmt.d; x86_64 is left out there because an i386 Debian
// host may run an amd64 kernel, which tabdock's guest never is).
export const EMULATORS: readonly EmulatorInfo[] = [
  {
    name: 'qemu-x86_64', file: 'qemu-x86_64.zst', platforms: ['linux/amd64'],
    magic: '\\x7fELF\\x02\\x01\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x02\\x00\\x3e\\x00',
    mask: '\\xff\\xff\\xff\\xff\\xff\\xfe\\xfe\\x00\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xfe\\xff\\xff\\xff',
  },
  {
    name: 'qemu-aarch64', file: 'qemu-aarch64.zst', platforms: ['linux/arm64'],
    magic: '\\x7fELF\\x02\\x01\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x02\\x00\\xb7\\x00',
    mask: '\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\x00\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xfe\\xff\\xff\\xff',
  },
  {
    name: 'qemu-arm', file: 'qemu-arm.zst', platforms: ['linux/arm/v7', 'linux/arm/v6'],
    magic: '\\x7fELF\\x01\\x01\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x02\\x00\\x28\\x00',
    mask: '\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\x00\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xfe\\xff\\xff\\xff',
  },
];

/** Every emulated platform, in the order one is chosen when an image has no linux/386 (amd64 first, as the issue and Docker Desktop's users expect). */
export const EMULATED_PLATFORMS: readonly string[] = EMULATORS.flatMap((e) => e.platforms);

/** The emulator that runs `platform`, if any. */
export function emulatorFor(platform: Platform): EmulatorInfo | undefined {
  const p = normalizePlatform(platform);
  return EMULATORS.find((e) => e.platforms.some((q) => platformMatches(parsePlatform(q), p)));
}

/**
 * The binfmt_misc registration line (Documentation/admin-guide/binfmt-misc.rst):
 * `:name:M::magic:mask:interpreter:flags`, with
 * - F (fix binary): the kernel opens the emulator now, so it runs in every container's
 *   mount namespace, where the path does not exist;
 * - P (preserve argv[0]): QEMU reads it from AT_FLAGS, so `exec -a` and busybox applets
 *   see the name they were called by;
 * - O and C (open binary, credentials): the emulator gets the program as an open file
 *   (programs it could not read by path, as execute-only ones, still run) and set-user-ID
 *   programs keep their credentials, as they would natively.
 */
export function binfmtRule(e: EmulatorInfo, interpreter: string): string {
  return `:${e.name}:M::${e.magic}:${e.mask}:${interpreter}:POCF`;
}

/** The emulated platforms some runtime registration accepts, in EMULATED_PLATFORMS order. */
export function emulatedPlatforms(regs: readonly { platforms: readonly string[] }[]): Platform[] {
  const listed = new Set(regs.flatMap((r) => r.platforms));
  return EMULATED_PLATFORMS.filter((p) => listed.has(p)).map(parsePlatform);
}
