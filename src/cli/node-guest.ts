import { Guest, type Handle9p } from '../emulator/index.ts';
import { loadArtifacts, loadSnapshot } from '../emulator/node.ts';
import { TabdockError } from '../shared/errors.ts';

/**
 * The guest for the Node engine: restored from the build-time snapshot when one fits this
 * kernel, initramfs and v86 (the normal case), else booted from scratch (slower, said so).
 */
export async function startNodeGuest(handle9p: Handle9p, env: Record<string, string | undefined>): Promise<Guest> {
  const artifacts = await loadArtifacts();
  let state: ArrayBuffer | undefined;
  try {
    state = (await loadSnapshot(undefined, artifacts)).state;
  } catch (e) {
    if (!TabdockError.is(e, 'EMULATOR_NO_SNAPSHOT') && !TabdockError.is(e, 'EMULATOR_STALE_SNAPSHOT')) throw e;
    if (env['TABDOCK_DEBUG']) process.stderr.write(`tabdock: ${e.message} Booting the guest from scratch.\n`);
  }
  const guest = await Guest.start({ images: artifacts.images, wasm: artifacts.wasm, handle9p, ...(state ? { state } : {}) });
  // A restored guest wakes at the snapshot's time.
  if (state) await guest.agent.setTime(Date.now());
  return guest;
}
