import { configError } from './errors.ts';

/**
 * The kernel's limits on what execve(2) takes (Linux `fs/exec.c`): each argument or
 * environment string at most MAX_ARG_STRLEN (32 pages, 128 KiB), and all of them with
 * their pointers at most a quarter of the stack limit (8 MiB by default: 2 MiB). A
 * container past them could never start (E2BIG); refused at create, before anything is
 * made, rather than found by a start that fails in the guest.
 */
export const MAX_ARG_STRLEN = 128 * 1024;
export const ARG_MAX = 2 * 1024 * 1024;

export function checkExecLimits(args: readonly string[], env: readonly string[]): void {
  const enc = new TextEncoder();
  let total = 0;
  for (const s of [...args, ...env]) {
    const n = enc.encode(s).byteLength + 1;
    if (n > MAX_ARG_STRLEN) {
      throw configError(`argument list too long: one ${args.includes(s) ? 'argument' : 'environment entry'} (${s.slice(0, 20)}...) is ${n} bytes, over the kernel's ${MAX_ARG_STRLEN / 1024} KiB limit for a single string`, 'INVALID_CONFIG', { limit: MAX_ARG_STRLEN });
    }
    total += n + 4; // the string and its pointer (i386)
  }
  if (total > ARG_MAX) {
    throw configError(`argument list too long: the command and its ${env.length} environment entries take ${total} bytes, over the kernel's ${ARG_MAX / 1048576} MiB limit for starting a program`, 'INVALID_CONFIG', { limit: ARG_MAX, size: total });
  }
}
