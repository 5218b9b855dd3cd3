/** The guest's memory: the default and what a setting may ask for (shared: the emulator, the CLI's settings read at every start, the page's Memory menu). */

/** The shipped snapshot's memory, and the guest's when nothing asks for another. */
export const DEFAULT_MEMORY = 256 * 1024 * 1024;
/**
 * The guest memory a setting may ask for (daemon.json `guest-memory`, the page's setting):
 * whole MiB, from what the guest's own services and one small container need, to 2 GiB (the
 * kernel's highmem reaches 4 GiB, but the emulator's memory is one allocation of the host
 * process, or of the tab, where more than 2 GiB is seldom granted).
 */
export const GUEST_MEMORY_RANGE = { min: 128 * 1024 * 1024, max: 2048 * 1024 * 1024 } as const;

/** Why a guest memory size is refused, or undefined when it is one the guest can have. */
export function guestMemoryProblem(bytes: number): string | undefined {
  const mib = (n: number) => `${n / (1024 * 1024)} MiB`;
  if (!Number.isInteger(bytes) || bytes % (1024 * 1024) !== 0) return 'the guest\'s memory is a whole number of MiB (such as "512m" or "1g")';
  if (bytes < GUEST_MEMORY_RANGE.min) return `the guest needs at least ${mib(GUEST_MEMORY_RANGE.min)} of memory`;
  if (bytes > GUEST_MEMORY_RANGE.max) return `the guest can have at most ${mib(GUEST_MEMORY_RANGE.max)} of memory (one allocation of the emulator's process or tab)`;
  return undefined;
}
