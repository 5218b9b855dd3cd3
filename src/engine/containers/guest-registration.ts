import { EMULATED_PLATFORMS } from '../emulation/emulators.ts';
import { GuestRuntime, guestBundlePath, type GuestRuntimeDeps } from './guest-runtime.ts';
import { guestSpec } from './guest-spec.ts';
import type { RuntimeRegistration } from './runtimes.ts';

/**
 * The Linux guest as the engine registers it: `linux/386` images (what v86 runs), and with
 * `emulate` the platforms QEMU runs in it (engine/emulation/emulators.ts), with
 * config.json built by moby's rules. The guest itself is made on first need, and boots
 * (restores) only when the first Linux container starts or at `warmUp()`.
 */
export function guestRuntime(deps: GuestRuntimeDeps & { emulate?: boolean }): RuntimeRegistration {
  // With `emulate`: amd64, arm64 and arm images too, their programs run by QEMU user-mode
  // emulation in the guest (the engine hands over the emulator's tree; see engine/emulation).
  const platforms = ['linux/386', ...(deps.emulate ? EMULATED_PLATFORMS : [])];
  return { driver: 'tabdock-guest', platforms, buildSpec: guestSpec, networking: true, filesDir: guestBundlePath, open: (env) => new GuestRuntime(deps, env) };
}
