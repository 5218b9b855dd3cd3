import type { ContainerFs } from '../../fs-layers/index.ts';
import type { ContainerRecord } from './record.ts';

/**
 * Where a container's process runs: the Linux guest (crun over 9P) or WebAssembly. The
 * container service keeps Docker's semantics; a runtime only starts processes on the
 * container's filesystem and reports how they ended.
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

export interface StartRequest {
  container: ContainerRecord;
  /** The OCI runtime config (config.json) for the Linux guest; the WASI runtime reads the record. */
  spec: Record<string, unknown>;
  tty: boolean;
  cols?: number;
  rows?: number;
}

export interface ExecRequest {
  container: ContainerRecord;
  args: string[];
  env: string[];
  cwd: string;
  user: string;
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
}

export interface ContainerRuntime {
  /** Creates the container's filesystem (its writable layer over the image). */
  prepare(container: ContainerRecord): Promise<void>;
  /** Reads a file of the container's tree (for /etc/passwd, /etc/group), undefined if absent. */
  readFile(container: ContainerRecord, path: string): Promise<Uint8Array | undefined>;
  /**
   * The container's tree (image layers + writable layer), running or not: the object the
   * runtime serves to the container, so changes made here are what the container sees.
   */
  tree(container: ContainerRecord): Promise<ContainerFs>;
  start(req: StartRequest): Promise<RuntimeProcess>;
  exec(req: ExecRequest): Promise<RuntimeProcess>;
  /** Frees the container's filesystem. */
  remove(container: ContainerRecord): Promise<void>;
  /** Resource use of a running container (`docker stats`); absent where the runtime cannot tell. */
  stats?(container: ContainerRecord): Promise<RuntimeStats>;
  dispose(): Promise<void>;
}
