import type { OciDeviceCgroup, OciMount, OciNamespace } from './oci-types.ts';

/** The runtime-spec version we write (crun reads 1.0.x and 1.1 configs alike). */
export const OCI_VERSION = '1.0.2';

/** Docker's /dev/shm size: 64 MiB (moby `config.DefaultShmSize`). */
export const DEFAULT_SHM_SIZE = 64 * 1024 * 1024;

/**
 * Docker's default mounts (moby `oci/defaults.go`, `DefaultLinuxSpec`), /dev/shm sized
 * by `WithMounts`. `cgroup` is what moby writes; crun mounts cgroup2 there on a unified
 * (cgroup v2) guest, rooted at the container's cgroup namespace.
 */
export function defaultMounts(): OciMount[] {
  return [
    { destination: '/proc', type: 'proc', source: 'proc', options: ['rw', 'nosuid', 'noexec', 'nodev'] },
    { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['rw', 'nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
    { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['rw', 'nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
    { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['ro', 'nosuid', 'noexec', 'nodev'] },
    { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['ro', 'nosuid', 'noexec', 'nodev'] },
    { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['rw', 'nosuid', 'noexec', 'nodev'] },
    { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['rw', 'nosuid', 'noexec', 'nodev', 'mode=1777', `size=${DEFAULT_SHM_SIZE}`] },
  ];
}

/** Not made read-only by `--read-only` (moby `WithMounts`). */
export const WRITABLE_WITH_READONLY_ROOT = ['/proc', '/dev/pts', '/dev/shm', '/dev/mqueue', '/dev'];

/**
 * moby `DefaultLinuxSpec` MaskedPaths (the runtime binds /dev/null or an empty tmpfs
 * over them); /sys/devices/virtual/powercap since moby 20.10 (CVE-2020-8694).
 */
export const MASKED_PATHS: readonly string[] = Object.freeze([
  '/proc/asound', '/proc/acpi', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list',
  '/proc/timer_stats', '/proc/sched_debug', '/proc/scsi', '/sys/firmware', '/sys/devices/virtual/powercap',
]);

/** moby `DefaultLinuxSpec` ReadonlyPaths. */
export const READONLY_PATHS: readonly string[] = Object.freeze(['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger']);

/**
 * The container's own namespaces (moby `DefaultLinuxSpec` + `WithNamespaces`: mount,
 * network, uts, pid, ipc; cgroup for the "private" cgroupns mode that cgroup v2 hosts use).
 */
export function defaultNamespaces(): OciNamespace[] {
  return [{ type: 'mount' }, { type: 'network' }, { type: 'uts' }, { type: 'pid' }, { type: 'ipc' }, { type: 'cgroup' }];
}

/**
 * The device cgroup (moby `DefaultLinuxSpec`): deny all, then allow /dev/null (1:3),
 * zero (1:5), full (1:7 via the runtime), random (1:8), urandom (1:9), tty (5:0),
 * console (5:1), and deny /dev/net/tun (10:229). Privileged: allow all.
 */
export function defaultDeviceRules(privileged: boolean): OciDeviceCgroup[] {
  if (privileged) return [{ allow: true, access: 'rwm' }];
  const c = (allow: boolean, major: number, minor: number): OciDeviceCgroup => ({ allow, type: 'c', major, minor, access: 'rwm' });
  return [{ allow: false, access: 'rwm' }, c(true, 1, 5), c(true, 1, 3), c(true, 1, 9), c(true, 1, 8), c(true, 5, 0), c(true, 5, 1), c(false, 10, 229)];
}
