import { join } from 'node:path';
import { DEFAULT_MEMORY, Guest, type Handle9p } from '../emulator/index.ts';
import { checkSnapshot, createSnapshot, DEFAULT_SNAPSHOT_PATH, loadArtifacts, loadSnapshot } from '../emulator/node.ts';
import { TabdockError } from '../shared/errors.ts';

/** How the Node engine's guest starts, and why (for `tabdock info` and the CLI's warning). */
export type GuestBoot =
  | { kind: 'snapshot'; path: string; memoryBytes: number }
  /** The memory setting differs from the shipped snapshot's: one is made for it in the home, once, then restored. */
  | { kind: 'make'; path: string; memoryBytes: number }
  | { kind: 'cold'; reason: string; memoryBytes?: number }
  | { kind: 'off'; reason: string };

/** What decides the guest's start: the environment (TABDOCK_GUEST, TABDOCK_SNAPSHOT), the home, the memory setting. */
export interface GuestSetting {
  env: Record<string, string | undefined>;
  home: string;
  /** daemon.json `guest-memory` / TABDOCK_GUEST_MEMORY; unset: the shipped snapshot's. */
  memoryBytes?: number;
}

/** The GuestSetting of these settings (the CLI's check, `info`, and the engine it composes read it alike). */
export const guestSetting = (env: Record<string, string | undefined>, settings: { home: string; guestMemory?: number }): GuestSetting =>
  ({ env, home: settings.home, ...(settings.guestMemory !== undefined ? { memoryBytes: settings.guestMemory } : {}) });

/** The snapshot the guest restores: `$TABDOCK_SNAPSHOT`, else the checkout's kernel/snapshot. */
export const snapshotPath = (env: Record<string, string | undefined>): string => env['TABDOCK_SNAPSHOT'] || DEFAULT_SNAPSHOT_PATH;

/** Where the snapshot for a memory setting other than the shipped one's is kept. */
export const memorySnapshotPath = (home: string, memoryBytes: number): string => join(home, 'snapshots', `guest-${memoryBytes / (1024 * 1024)}m.bin.zst`);

const snapshotMissing = (e: unknown): e is TabdockError => TabdockError.is(e, 'EMULATOR_NO_SNAPSHOT') || TabdockError.is(e, 'EMULATOR_STALE_SNAPSHOT');

/**
 * What `startNodeGuest` will do, decided without decompressing a snapshot: restore the
 * shipped snapshot when it fits this kernel, initramfs, v86 and the memory setting; else,
 * with a memory setting, the home's snapshot for that memory (made first when missing);
 * else boot from scratch.
 */
export async function guestBoot(s: GuestSetting): Promise<GuestBoot> {
  if (s.env['TABDOCK_GUEST'] === 'off') return { kind: 'off', reason: 'TABDOCK_GUEST=off: only WebAssembly (wasi/wasm) images run' };
  const shipped = snapshotPath(s.env);
  let reason: string;
  try {
    const meta = await checkSnapshot(shipped);
    if (s.memoryBytes === undefined || meta.memoryBytes === s.memoryBytes) return { kind: 'snapshot', path: shipped, memoryBytes: meta.memoryBytes };
    reason = '';
  } catch (e) {
    if (!snapshotMissing(e)) throw e;
    reason = e.message;
  }
  if (s.memoryBytes === undefined) return { kind: 'cold', reason };
  // Another memory, or a shipped snapshot of another kernel: one made here (of this kernel) fits.
  const own = memorySnapshotPath(s.home, s.memoryBytes);
  try {
    const meta = await checkSnapshot(own);
    if (meta.memoryBytes === s.memoryBytes) return { kind: 'snapshot', path: own, memoryBytes: meta.memoryBytes };
  } catch (e) {
    if (!snapshotMissing(e)) throw e;
  }
  return { kind: 'make', path: own, memoryBytes: s.memoryBytes };
}

const mib = (n: number) => `${n / (1024 * 1024)} MiB`;

/** The sentence a cold boot is announced with (stderr, daemon.log). */
export const coldBootLine = (reason: string): string =>
  `tabdock: ${reason} The guest boots from scratch when a Linux container first starts, which is slower than restoring it; 'npm run snapshot' makes a snapshot that fits.`;

/** The sentence a snapshot to be made is announced with (stderr, daemon.log). */
export const makeSnapshotLine = (b: { path: string; memoryBytes: number }): string =>
  `tabdock: the guest's memory is set to ${mib(b.memoryBytes)} (guest-memory); a snapshot of the guest with that memory is made once, at the first Linux container (a boot and a compression, up to a minute), and kept in ${b.path}.`;

/**
 * The guest for the Node engine, as `guestBoot` decides: restored from a snapshot (the
 * normal case), from one made now for the memory setting, or booted from scratch, said on
 * stderr (the terminal, or the daemon's log). `log` records which it was (the daemon's log).
 */
export async function startNodeGuest(handle9p: Handle9p, s: GuestSetting, log: (line: string) => void = () => {}): Promise<Guest> {
  const artifacts = await loadArtifacts();
  let boot = await guestBoot(s);
  if (boot.kind === 'off') throw new TabdockError('GUEST_DISABLED', `the Linux guest is turned off (${boot.reason})`, {}, { exitCode: 125 });
  if (boot.kind === 'make') {
    process.stderr.write(`${makeSnapshotLine(boot)}\n`);
    const t = performance.now();
    try {
      await createSnapshot({ path: boot.path, memoryBytes: boot.memoryBytes, level: 9 });
      log(`guest snapshot with ${mib(boot.memoryBytes)} made in ${Math.round(performance.now() - t)} ms: ${boot.path}`);
      boot = { kind: 'snapshot', path: boot.path, memoryBytes: boot.memoryBytes };
    } catch (e) {
      // Said once, below, as every cold boot is.
      boot = { kind: 'cold', reason: `The guest snapshot for ${mib(boot.memoryBytes)} could not be made (${e instanceof Error ? e.message : String(e)}).`, memoryBytes: boot.memoryBytes };
    }
  }
  let state: ArrayBuffer | undefined;
  let memoryBytes: number | undefined = boot.memoryBytes;
  if (boot.kind === 'snapshot') {
    try {
      const snap = await loadSnapshot(boot.path, artifacts);
      state = snap.state;
      // A state restores only into an emulator with the memory it was saved with.
      memoryBytes = snap.meta.memoryBytes;
    } catch (e) {
      if (!snapshotMissing(e)) throw e;
      process.stderr.write(`${coldBootLine(e.message)}\n`);
    }
  } else process.stderr.write(`${coldBootLine(boot.reason)}\n`);
  const t0 = performance.now();
  const guest = await Guest.start({ images: artifacts.images, wasm: artifacts.wasm, handle9p, ...(state ? { state } : {}), ...(memoryBytes !== undefined ? { memoryBytes } : {}) });
  // A restored guest wakes at the snapshot's time.
  if (state) await guest.agent.setTime(Date.now());
  const how = state && boot.kind === 'snapshot' ? `restored from the snapshot ${boot.path}` : 'booted from scratch';
  log(`guest ${how} in ${Math.round(performance.now() - t0)} ms (${mib(memoryBytes ?? DEFAULT_MEMORY)} of memory)`);
  return guest;
}
