import { GuestRuntime, guestBundlePath, type GuestRuntimeDeps } from './guest-runtime.ts';
import { guestSpec } from './guest-spec.ts';
import type { RuntimeRegistration } from './runtimes.ts';

/**
 * The Linux guest as the engine registers it: `linux/386` images (what v86 runs), with
 * config.json built by moby's rules. The guest itself is made on first need, and boots
 * (restores) only when the first Linux container starts or at `warmUp()`.
 */
export function guestRuntime(deps: GuestRuntimeDeps): RuntimeRegistration {
  return { driver: 'tabdock-guest', platforms: ['linux/386'], buildSpec: guestSpec, networking: true, filesDir: guestBundlePath, open: (env) => new GuestRuntime(deps, env) };
}
