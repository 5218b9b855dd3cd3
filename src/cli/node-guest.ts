import { Guest, type Handle9p } from '../emulator/index.ts';
import { checkSnapshot, DEFAULT_SNAPSHOT_PATH, loadArtifacts, loadSnapshot } from '../emulator/node.ts';
import { TabdockError } from '../shared/errors.ts';

/** How the Node engine's guest starts, and why (for `tabdock info` and the CLI's warning). */
export type GuestBoot =
  | { kind: 'snapshot'; path: string }
  | { kind: 'cold'; reason: string }
  | { kind: 'off'; reason: string };

/** The snapshot the guest restores: `$TABDOCK_SNAPSHOT`, else the checkout's kernel/snapshot. */
export const snapshotPath = (env: Record<string, string | undefined>): string => env['TABDOCK_SNAPSHOT'] || DEFAULT_SNAPSHOT_PATH;

/**
 * What `startNodeGuest` will do, decided the same way but without decompressing the
 * snapshot: restore when one fits this kernel, initramfs and v86, else boot from scratch.
 */
export async function guestBoot(env: Record<string, string | undefined>): Promise<GuestBoot> {
  if (env['TABDOCK_GUEST'] === 'off') return { kind: 'off', reason: 'TABDOCK_GUEST=off: only WebAssembly (wasi/wasm) images run' };
  try {
    const path = snapshotPath(env);
    await checkSnapshot(path);
    return { kind: 'snapshot', path };
  } catch (e) {
    if (!TabdockError.is(e, 'EMULATOR_NO_SNAPSHOT') && !TabdockError.is(e, 'EMULATOR_STALE_SNAPSHOT')) throw e;
    return { kind: 'cold', reason: e.message };
  }
}

/** The sentence a cold boot is announced with (stderr, daemon.log). */
export const coldBootLine = (reason: string): string =>
  `tabdock: ${reason} The guest boots from scratch when a Linux container first starts, which is slower than restoring it; 'npm run snapshot' makes a snapshot that fits.`;

/**
 * The guest for the Node engine: restored from the build-time snapshot when one fits this
 * kernel, initramfs and v86 (the normal case), else booted from scratch, said on stderr
 * (the terminal, or the daemon's log). `log` records which it was (the daemon's log).
 */
export async function startNodeGuest(handle9p: Handle9p, log: (line: string) => void = () => {}, path = DEFAULT_SNAPSHOT_PATH): Promise<Guest> {
  const artifacts = await loadArtifacts();
  let state: ArrayBuffer | undefined;
  try {
    state = (await loadSnapshot(path, artifacts)).state;
  } catch (e) {
    if (!TabdockError.is(e, 'EMULATOR_NO_SNAPSHOT') && !TabdockError.is(e, 'EMULATOR_STALE_SNAPSHOT')) throw e;
    process.stderr.write(`${coldBootLine(e.message)}\n`);
  }
  const t0 = performance.now();
  const guest = await Guest.start({ images: artifacts.images, wasm: artifacts.wasm, handle9p, ...(state ? { state } : {}) });
  // A restored guest wakes at the snapshot's time.
  if (state) await guest.agent.setTime(Date.now());
  log(state ? `guest restored from the snapshot ${path} in ${Math.round(performance.now() - t0)} ms` : `guest booted from scratch in ${Math.round(performance.now() - t0)} ms`);
  return guest;
}
