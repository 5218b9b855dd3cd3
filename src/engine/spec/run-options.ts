import type { TmpfsMount, VolumeMount } from './mounts.ts';

import type { FlagSpec, Parsed } from '../../shared/flags.ts';

export type { FlagSpec, Parsed };

/** A `-p` mapping, recorded as given (publishing is not supported by the guest yet). */
export interface PortMapping {
  hostIp?: string;
  hostPort?: string;
  containerPort: string;
  protocol: 'tcp' | 'udp' | 'sctp';
}

export interface Ulimit {
  /** `nofile`, `nproc`, ... (the OCI type is `RLIMIT_` + upper case). */
  name: string;
  soft: number;
  hard: number;
}

/**
 * Everything `docker run`/`docker create` flags say, parsed and validated; what the
 * daemon would merge with the image config is kept as given (user, env, entrypoint).
 */
export interface RunOptions {
  image: string;
  /** The arguments after the image: they replace the image's Cmd. */
  cmd: string[];
  detach: boolean;
  interactive: boolean;
  tty: boolean;
  rm: boolean;
  name?: string;
  /** `-e` then `--env-file` entries... in Docker's order (files first, then -e), `KEY=V` or bare `KEY` (unset). */
  env: string[];
  /** undefined: not given; `''`: `--entrypoint ""`, which clears the image's. */
  entrypoint?: string;
  workdir?: string;
  user?: string;
  hostname?: string;
  readOnly: boolean;
  tmpfs: TmpfsMount[];
  volumes: VolumeMount[];
  /** Bytes; undefined = no limit. */
  memory?: number;
  /** Memory plus swap in bytes, -1 = unlimited swap; undefined = Docker's default. */
  memorySwap?: number;
  nanoCpus?: number;
  /** undefined: not given; <= 0: unlimited. */
  pidsLimit?: number;
  capAdd: string[];
  capDrop: string[];
  privileged: boolean;
  seccomp: 'default' | 'unconfined';
  noNewPrivileges: boolean;
  /** Canonical name (`SIGTERM`), when given. */
  stopSignal?: string;
  stopTimeout?: number;
  labels: Record<string, string>;
  platform?: string;
  pull: 'always' | 'missing' | 'never';
  init: boolean;
  network: 'default' | 'none';
  publish: PortMapping[];
  restart: 'no';
  ulimits: Ulimit[];
  /** `--storage-opt` as given (inspect's HostConfig.StorageOpt); only `size` is taken. */
  storageOpt?: { size: string };
  /** `--storage-opt size=` in bytes: the cap on the container's writable layer. */
  storageSize?: number;
}

/** What parsing may need from outside: the CLI's environment and files (for --env-file). */
export interface RunOptionsContext {
  lookupEnv?: (name: string) => string | undefined;
  readFile?: (path: string) => string;
  /** CPUs the guest has, for the `--cpus` range (v86: 1). */
  cpuCount?: number;
}
