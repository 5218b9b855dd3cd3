import type { RestartPolicy } from './restart.ts';
import type { TmpfsMount, VolumeMount } from './mounts.ts';
import type { HealthConfig } from './healthcheck.ts';

import type { FlagSpec, Parsed } from '../../shared/flags.ts';

export type { FlagSpec, Parsed };

/** A `-p` mapping as given (ports may be ranges, `8080-8081`; the engine expands them). */
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
  /** `default` (not given: the default bridge), `bridge`, `none`, `host`, `container:NAME|ID`, or a network's name or ID. */
  network: string;
  /** `--network-alias` (user-defined networks only). */
  networkAliases: string[];
  /** `--ip` on the first network (user-defined networks only). */
  ip?: string;
  /** `--mac-address` for the first network's endpoint. */
  macAddress?: string;
  /** `--add-host NAME:IP` in order; `ip` may be `host-gateway` (the bridge's gateway, resolved at start). */
  addHosts: Array<{ name: string; ip: string }>;
  dns: string[];
  dnsSearch: string[];
  dnsOptions: string[];
  publish: PortMapping[];
  /** `-P`: the image's EXPOSE and `--expose` ports on free host ports. */
  publishAll: boolean;
  /** `--expose` ports as `PORT/PROTO` (ranges expanded). */
  expose: string[];
  /** `--restart`, checked (spec/restart.ts); records made before restart policies hold `'no'`. */
  restart: RestartPolicy;
  ulimits: Ulimit[];
  /** `--group-add`: more supplementary groups, names resolved against the container's /etc/group at each start (absent in records made before it). */
  groupAdd?: string[];
  /** `--storage-opt` as given (inspect's HostConfig.StorageOpt); only `size` is taken. */
  storageOpt?: { size: string };
  /** `--storage-opt size=` in bytes: the cap on the container's writable layer. */
  storageSize?: number;
  /** `--health-*` (`["NONE"]` for `--no-healthcheck`), merged over the image's HEALTHCHECK at create; absent: the image's. */
  healthcheck?: HealthConfig;
}

/** What parsing may need from outside: the CLI's environment and files (for --env-file). */
export interface RunOptionsContext {
  lookupEnv?: (name: string) => string | undefined;
  readFile?: (path: string) => string;
  /** CPUs the guest has, for the `--cpus` range (v86: 1). */
  cpuCount?: number;
}
