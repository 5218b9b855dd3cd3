import type { ImageConfig } from '../../registry-client/index.ts';
import { tweakCapabilities } from './capabilities.ts';
import { resolveCommand } from './command.ts';
import { containerEnv } from './env.ts';
import { configError } from './errors.ts';
import { cleanPath, tmpfsOptions } from './mounts.ts';
import {
  MASKED_PATHS, OCI_VERSION, READONLY_PATHS, WRITABLE_WITH_READONLY_ROOT,
  defaultDeviceRules, defaultMounts, defaultNamespaces,
} from './oci-defaults.ts';
import type { OciCapabilities, OciMount, OciResources, OciSpec } from './oci-types.ts';
import type { RunOptions } from './run-options.ts';
import { defaultSeccompProfile } from './seccomp-default.ts';
import { additionalGroups, resolveUser } from './user.ts';

/** A volume (named, anonymous or bind) the engine resolved to a path in the guest. */
export interface ResolvedVolume {
  name: string;
  hostPath: string;
  destination: string;
  readOnly: boolean;
}

export interface OciSpecInput {
  image: ImageConfig;
  options: RunOptions;
  containerId: string;
  /** Overrides `-h`; default: `-h`, else the first 12 characters of the ID (as Docker). */
  hostname?: string;
  /** The container's root as the guest sees it (crun's `root.path`). */
  rootfsPath: string;
  /** Contents of the container's /etc/passwd and /etc/group, undefined when absent. */
  passwd?: string;
  group?: string;
  volumes?: ResolvedVolume[];
  tty: boolean;
  consoleSize?: { height: number; width: number };
  /** Where the guest keeps an init (tini) for `--init`; bound at /sbin/docker-init. */
  initPath?: string;
  /** Parent of the container's cgroup (moby's cgroupfs driver uses `/docker`). */
  cgroupParent?: string;
}

/** moby `daemon/oci_linux.go`: the in-container path of `--init`. */
export const INIT_PATH_IN_CONTAINER = '/sbin/docker-init';
/** CFS period for `--cpus` (moby `getCPUResources`: 100ms). */
export const CPU_PERIOD_US = 100_000;

/** The OCI runtime config for one container, following moby's `createSpec` (daemon/oci_linux.go). */
export function buildOciSpec(input: OciSpecInput): OciSpec {
  const { options: o, image } = input;
  const cfg = image.config ?? {};
  let args = resolveCommand(cfg, o);
  const hostname = input.hostname ?? o.hostname ?? input.containerId.slice(0, 12);

  const workdir = o.workdir ?? cfg.WorkingDir ?? '';
  if (workdir !== '' && !workdir.startsWith('/')) {
    throw configError(`the working directory '${workdir}' is invalid, it needs to be an absolute path`);
  }
  const user = resolveUser(o.user ?? cfg.User ?? '', input.passwd, input.group);
  const caps = tweakCapabilities({ add: o.capAdd, drop: o.capDrop, privileged: o.privileged });
  // moby oci.SetCapabilities: a non-root process only gets the bounding set, as execve
  // would leave it; nothing is inheritable (moby 20.10.14, CVE-2022-24769).
  const capabilities: OciCapabilities = user.uid === 0 ? { bounding: caps, effective: caps, permitted: caps } : { bounding: caps };

  const mounts = buildMounts(input);
  if (o.init) {
    if (!input.initPath) throw configError('--init is not available: the guest has no init binary', 'INIT_UNAVAILABLE');
    args = [INIT_PATH_IN_CONTAINER, '--', ...args];
    mounts.push({ destination: INIT_PATH_IN_CONTAINER, type: 'bind', source: input.initPath, options: ['bind', 'ro'] });
  }

  const spec: OciSpec = {
    ociVersion: OCI_VERSION,
    process: {
      terminal: input.tty,
      user: { uid: user.uid, gid: user.gid, additionalGids: [...new Set([...user.additionalGids, ...additionalGroups(o.groupAdd ?? [], input.group)])] },
      args,
      env: containerEnv({ imageEnv: cfg.Env ?? [], userEnv: o.env, hostname, tty: input.tty, home: user.home }),
      cwd: workdir === '' ? '/' : cleanPath(workdir),
      capabilities,
    },
    root: { path: input.rootfsPath, readonly: o.readOnly },
    hostname,
    mounts,
    linux: {
      namespaces: defaultNamespaces(),
      resources: buildResources(o),
      cgroupsPath: `${input.cgroupParent ?? '/tabdock'}/${input.containerId}`,
    },
  };
  if (input.tty && input.consoleSize) spec.process.consoleSize = { ...input.consoleSize };
  if (o.noNewPrivileges) spec.process.noNewPrivileges = true;
  if (o.ulimits.length) spec.process.rlimits = o.ulimits.map((u) => ({ type: `RLIMIT_${u.name.toUpperCase()}`, soft: u.soft, hard: u.hard }));
  // moby WithSeccomp: none when privileged or unconfined; else the default, for these caps.
  if (!o.privileged && o.seccomp !== 'unconfined') spec.linux.seccomp = defaultSeccompProfile(caps);
  // moby WithMounts: privileged containers get no masked or read-only paths.
  if (!o.privileged) {
    spec.linux.maskedPaths = [...MASKED_PATHS];
    spec.linux.readonlyPaths = [...READONLY_PATHS];
  }
  return spec;
}

/** Path depth, for moby's mount order (parents before children). */
const depth = (p: string) => cleanPath(p).split('/').length;

function buildMounts(input: OciSpecInput): OciMount[] {
  const o = input.options;
  // moby WithMounts: volumes (setupMounts), then tmpfs, stably sorted by path depth.
  const user: OciMount[] = [
    ...(input.volumes ?? []).map((v): OciMount => ({
      destination: cleanPath(v.destination),
      type: 'bind',
      source: v.hostPath,
      options: v.readOnly ? ['rbind', 'ro'] : ['rbind'],
    })),
    ...o.tmpfs.map((t): OciMount => ({ destination: t.target, type: 'tmpfs', source: 'tmpfs', options: tmpfsOptions(t.data) })),
  ].sort((a, b) => depth(a.destination) - depth(b.destination));
  const userDest = new Set(user.map((m) => m.destination));
  const devMounted = userDest.has('/dev');
  // A user mount replaces the default at its destination; a user /dev replaces all of /dev/*.
  const defaults = defaultMounts().filter((m) => !userDest.has(m.destination) && !(devMounted && m.destination.startsWith('/dev/')));
  for (const m of defaults) {
    if (o.readOnly && !WRITABLE_WITH_READONLY_ROOT.includes(m.destination) && !m.options!.includes('ro')) m.options!.push('ro');
    // Privileged: /sys and the cgroup tree writable (moby clearReadOnly).
    if (o.privileged && (m.destination === '/sys' || m.type === 'cgroup')) m.options = m.options!.filter((x) => x !== 'ro');
  }
  return [...defaults, ...user];
}

/**
 * A container's pids limit: `--pids-limit` as given (moby getPidsLimit: 0 and negative
 * mean unlimited, written as -1), else the engine's default. Docker has none by default
 * (its daemon's `default-pids-limit` is off); every container here shares one small
 * guest, so a fork bomb would starve the rest: the default is moby's daemon-level
 * mechanism turned on, and `--pids-limit -1` lifts it.
 */
export const DEFAULT_PIDS_LIMIT = 1024;

export function effectivePidsLimit(given: number | undefined): number {
  if (given === undefined) return DEFAULT_PIDS_LIMIT;
  return given <= 0 ? -1 : given;
}

function buildResources(o: RunOptions): OciResources {
  return { devices: defaultDeviceRules(o.privileged), ...limitResources(o) };
}

/** The cgroup limits of `-m`, `--memory-swap`, `--cpus`, `--pids-limit` (at create, and for `docker update` on a running container). */
export function limitResources(o: RunOptions): Omit<OciResources, 'devices'> {
  const r: Omit<OciResources, 'devices'> = {};
  if (o.memory !== undefined || o.memorySwap !== undefined) {
    r.memory = {};
    if (o.memory !== undefined) r.memory.limit = o.memory;
    // moby adaptContainerSettings: swap defaults to twice the memory (memory + as much swap).
    const swap = o.memorySwap ?? (o.memory !== undefined ? o.memory * 2 : undefined);
    if (swap !== undefined) r.memory.swap = swap;
  }
  if (o.nanoCpus !== undefined) {
    r.cpu = { period: CPU_PERIOD_US, quota: Math.floor((o.nanoCpus * CPU_PERIOD_US) / 1e9) };
  }
  r.pids = { limit: effectivePidsLimit(o.pidsLimit) };
  return r;
}

/**
 * Directories the engine must create before `crun run`: the working directory, made
 * like moby's `SetupWorkingDirectory` (mode 0755, owned by root; a path that exists
 * but is not a directory is an error there: "Cannot mkdir: %s is not a directory").
 */
export function pathsToEnsure(spec: OciSpec): { path: string; mode: number; uid: number; gid: number }[] {
  if (spec.process.cwd === '/') return [];
  return [{ path: spec.process.cwd, mode: 0o755, uid: 0, gid: 0 }];
}
