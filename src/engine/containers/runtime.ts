import type { EmulatorInfo } from '../emulation/emulators.ts';
import type { ContainerFs } from '../../fs-layers/index.ts';
import type { GuestSocket } from '../../emulator/index.ts';
import type { NetworkPlan, PlannedEndpoint } from '../network/plan.ts';
import type { ContainerRecord } from './record.ts';
import type { OciResources } from '../spec/oci-types.ts';

/**
 * Where a container's process runs: the Linux guest (crun over 9P) or WebAssembly. The
 * container service keeps Docker's semantics and the filesystem service owns the trees;
 * a runtime only runs processes on the trees it is handed and reports how they ended
 * (containerd's runtime shims). It never opens a store.
 */
export interface RuntimeProcess {
  onOutput(listener: (chunk: Uint8Array, fd: 1 | 2) => void): () => void;
  write(data: Uint8Array): Promise<void>;
  closeStdin(): void;
  resize(cols: number, rows: number): Promise<void>;
  kill(signal: number): Promise<void>;
  /** The exit status (code, or 128 + signal) and what the runtime knows about why. */
  readonly exit: Promise<RuntimeExit>;
}

export interface RuntimeExit {
  code: number;
  oomKilled?: boolean;
  /** Set when the process could not be started or the runtime went away. */
  error?: string;
}

/** A volume's tree as a container mounts it (its name is the tree's identity). */
export interface VolumeTree {
  name: string;
  fs: ContainerFs;
}

export interface StartRequest {
  container: ContainerRecord;
  /** The runtime's process spec: the OCI config.json for the guest, `{ process }` for WASI. */
  spec: Record<string, unknown>;
  /** The container's tree (image layers + writable layer), its working directory made. */
  rootfs: ContainerFs;
  /** The trees of the volumes it mounts, filled from the image where Docker fills them. */
  volumes: VolumeTree[];
  tty: boolean;
  cols?: number;
  rows?: number;
  /** Its network (runtimes with networking: the guest); absent: the runtime's default. */
  network?: NetworkPlan;
  /** An image of an emulated platform: the emulator its programs run under, and the tree that holds it. */
  emulator?: EmulatorTree;
}

/** A QEMU emulator as a runtime receives it: what it runs and a tree with the binary at `/<name>`. */
export interface EmulatorTree {
  info: EmulatorInfo;
  tree: ContainerFs;
}

export interface ExecRequest {
  container: ContainerRecord;
  args: string[];
  /** The whole environment (the container's, then `exec -e`), not additions. */
  env: string[];
  cwd: string;
  /** `uid:gid`, resolved against the container's /etc/passwd. */
  user: string;
  /** Supplementary groups: the user's in the container's /etc/group, then the container's --group-add. */
  additionalGids?: number[];
  tty: boolean;
  cols?: number;
  rows?: number;
}

/** A running container's cgroup figures (cgroup v2: memory.current/max, pids.current/max, cpu.stat). */
export interface RuntimeStats {
  memoryBytes: number;
  /** undefined: no limit of its own (the machine's memory bounds it). */
  memoryLimit?: number;
  machineMemory: number;
  pids: number;
  pidsLimit?: number;
  cpuUsageNs: number;
  /** Bytes read from and written to block devices (cgroup v2 `io.stat`); undefined when unreadable. */
  blockIo?: { read: number; write: number };
  /** Bytes per network interface of the container's namespace (lo left out); undefined or empty: none. */
  networks?: Record<string, { rx_bytes: number; tx_bytes: number }>;
}

/** One process of a running container, as the runtime's /proc tells it (`docker top`). */
export interface ProcessInfo {
  pid: number;
  ppid: number;
  uid: number;
  /** The runtime host's name for the uid (as the host's `ps` prints it), if it has one. */
  user?: string;
  /** The kernel's tty_nr (0: none). */
  ttyNr: number;
  /** When it started (ms since the epoch, the engine's clock). */
  startedAt: number;
  /** User plus system CPU time, and the time since it started, in seconds. */
  cpuSeconds: number;
  elapsedSeconds: number;
  args: string[];
  comm: string;
  /**
   * The rest of proc(5)'s stat line that procps' columns show (`docker top CONTAINER aux`,
   * `-o ...`); absent where a runtime cannot tell, and those columns print `-`.
   */
  stat?: ProcessStat;
}

/** Fields of /proc/PID/stat (proc(5)) beyond the ones above, and the host's memory for %MEM. */
export interface ProcessStat {
  /** R, S, D, Z, T, ... */
  state: string;
  pgrp: number;
  session: number;
  /** The tty's foreground process group (-1: none). */
  tpgid: number;
  priority: number;
  nice: number;
  threads: number;
  vsizeBytes: number;
  rssKb: number;
  processor: number;
  /** The runtime host's MemTotal in kB (/proc/meminfo), what procps' %MEM divides by. */
  memTotalKb: number;
}

export interface ContainerRuntime {
  start(req: StartRequest): Promise<RuntimeProcess>;
  exec(req: ExecRequest): Promise<RuntimeProcess>;
  /** Resource use of a running container (`docker stats`); absent where the runtime cannot tell. */
  stats?(container: ContainerRecord): Promise<RuntimeStats>;
  /** `docker pause` / `unpause`: freezes and thaws every process of a running container (the cgroup freezer). */
  pause?(container: ContainerRecord): Promise<void>;
  resume?(container: ContainerRecord): Promise<void>;
  /** `docker top`: the processes in a running container's cgroup. */
  processes?(container: ContainerRecord): Promise<ProcessInfo[]>;
  /** `docker update`: new cgroup limits on a running container. */
  updateResources?(container: ContainerRecord, resources: Omit<OciResources, 'devices'>): Promise<void>;
  /**
   * Before the engine reads a running container's tree: what its processes wrote and the
   * runtime still holds (a page cache) is written to it. Absent: nothing is held.
   */
  flushFiles?(container: ContainerRecord): Promise<void>;
  /** After the engine changed a running container's tree: the runtime forgets what it cached of it. */
  refreshFiles?(container: ContainerRecord): Promise<void>;
  /** Gets ready now, before any container needs it (the guest restores its snapshot). */
  warmUp?(): Promise<void>;
  /** A TCP connection to ip:port inside the runtime's network (published ports). */
  connect?(ip: string, port: number): Promise<GuestSocket>;
  /**
   * `network connect` / `disconnect` on a running container. With `dns`, the container's
   * first user network: its namespace gets the embedded DNS (127.0.0.11) and its
   * /etc/resolv.conf, and that of each of `sharers` (containers in its namespace), this
   * text, written in place (the file bound into each stays the same). A connect that fails
   * leaves no interface behind.
   */
  attachEndpoint?(containerId: string, e: PlannedEndpoint, dns?: { resolvConf: string; sharers: string[] }): Promise<void>;
  detachEndpoint?(containerId: string, ifname: string): Promise<void>;
  /** A network was removed: its bridge goes from the guest (if the guest made it). */
  removeBridge?(bridge: string): Promise<void>;
  dispose(): Promise<void>;
}
