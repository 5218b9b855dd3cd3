import { configError } from './errors.ts';

/**
 * Docker's default capability set (moby `oci/caps/defaults.go`, `DefaultCapabilities`):
 * the 14 capabilities every container gets unless told otherwise.
 */
export const DEFAULT_CAPABILITIES: readonly string[] = Object.freeze([
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_FOWNER', 'CAP_MKNOD', 'CAP_NET_RAW',
  'CAP_SETGID', 'CAP_SETUID', 'CAP_SETFCAP', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE',
  'CAP_SYS_CHROOT', 'CAP_KILL', 'CAP_AUDIT_WRITE',
]);

/**
 * Every capability the guest kernel (Linux 6.1, CAP_LAST_CAP = CAP_CHECKPOINT_RESTORE)
 * knows, in kernel order (include/uapi/linux/capability.h). moby builds the same list
 * from the running kernel (`oci/caps/utils.go`, `GetAllCapabilities`).
 */
export const ALL_CAPABILITIES: readonly string[] = Object.freeze([
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_DAC_READ_SEARCH', 'CAP_FOWNER', 'CAP_FSETID',
  'CAP_KILL', 'CAP_SETGID', 'CAP_SETUID', 'CAP_SETPCAP', 'CAP_LINUX_IMMUTABLE',
  'CAP_NET_BIND_SERVICE', 'CAP_NET_BROADCAST', 'CAP_NET_ADMIN', 'CAP_NET_RAW',
  'CAP_IPC_LOCK', 'CAP_IPC_OWNER', 'CAP_SYS_MODULE', 'CAP_SYS_RAWIO', 'CAP_SYS_CHROOT',
  'CAP_SYS_PTRACE', 'CAP_SYS_PACCT', 'CAP_SYS_ADMIN', 'CAP_SYS_BOOT', 'CAP_SYS_NICE',
  'CAP_SYS_RESOURCE', 'CAP_SYS_TIME', 'CAP_SYS_TTY_CONFIG', 'CAP_MKNOD', 'CAP_LEASE',
  'CAP_AUDIT_WRITE', 'CAP_AUDIT_CONTROL', 'CAP_SETFCAP', 'CAP_MAC_OVERRIDE',
  'CAP_MAC_ADMIN', 'CAP_SYSLOG', 'CAP_WAKE_ALARM', 'CAP_BLOCK_SUSPEND', 'CAP_AUDIT_READ',
  'CAP_PERFMON', 'CAP_BPF', 'CAP_CHECKPOINT_RESTORE',
]);

const ALL = 'ALL';

/**
 * `--cap-add`/`--cap-drop` values: upper-cased, `CAP_` added when missing, `ALL` kept;
 * anything unknown is `unknown capability: "CAP_FOO"` (moby `NormalizeLegacyCapabilities`).
 */
export function normalizeCapabilities(caps: readonly string[]): string[] {
  return caps.map((raw) => {
    let c = raw.toUpperCase();
    if (c === ALL) return c;
    if (!c.startsWith('CAP_')) c = `CAP_${c}`;
    if (!ALL_CAPABILITIES.includes(c)) throw configError(`unknown capability: "${c}"`, 'INVALID_CAPABILITY', { capability: raw });
    return c;
  });
}

/**
 * The container's capability list (moby `TweakCapabilities`): privileged gets all;
 * `--cap-add ALL` gets all but the dropped; `--cap-drop ALL` keeps only the added;
 * otherwise the defaults minus the dropped plus the added. Duplicates are removed.
 */
export function tweakCapabilities(opts: { add?: readonly string[]; drop?: readonly string[]; privileged?: boolean }): string[] {
  if (opts.privileged) return [...ALL_CAPABILITIES];
  const drop = normalizeCapabilities(opts.drop ?? []);
  const add = normalizeCapabilities(opts.add ?? []);
  let caps: string[];
  if (add.includes(ALL)) caps = ALL_CAPABILITIES.filter((c) => !drop.includes(c));
  else if (drop.includes(ALL)) caps = add;
  else caps = [...DEFAULT_CAPABILITIES.filter((c) => !drop.includes(c)), ...add];
  return [...new Set(caps.filter((c) => c !== ALL))];
}
