import type { RunOptions } from '../spec/run-options.ts';
import type { RestartPolicy } from '../spec/restart.ts';
import type { NetworkSettings, PortMap } from '../network/settings.ts';
import type { HealthConfig, HealthState } from '../spec/healthcheck.ts';

/**
 * A container as the engine keeps it, in Docker's field names so `inspect` is the record
 * itself (docker API `ContainerJSON`, trimmed to what tabdock has).
 */
export type ContainerStatus = 'created' | 'running' | 'paused' | 'restarting' | 'exited' | 'removing' | 'dead';

export interface ContainerState {
  Status: ContainerStatus;
  Running: boolean;
  Paused: boolean;
  Restarting: boolean;
  OOMKilled: boolean;
  Dead: boolean;
  Pid: number;
  ExitCode: number;
  Error: string;
  StartedAt: string;
  FinishedAt: string;
  /** A container with a health check (CMD or CMD-SHELL): its status, failing streak and last five probes. */
  Health?: HealthState;
}

export interface ContainerConfig {
  Hostname: string;
  User: string;
  Tty: boolean;
  OpenStdin: boolean;
  AttachStdin: boolean;
  AttachStdout: boolean;
  AttachStderr: boolean;
  Env: string[];
  Cmd: string[] | null;
  Entrypoint: string[] | null;
  Image: string;
  WorkingDir: string;
  Labels: Record<string, string>;
  /** The image's VOLUMEs and `-v /path` (absent in records made before it was kept). */
  Volumes?: Record<string, object> | null;
  StopSignal?: string;
  StopTimeout?: number;
  /** The image's EXPOSE, `--expose` and `-p` ports (`80/tcp`). */
  ExposedPorts?: Record<string, object>;
  /** The effective health check (image's HEALTHCHECK under `--health-*`; `["NONE"]`: disabled). */
  Healthcheck?: HealthConfig;
  /** The image's SHELL, when it set one. */
  Shell?: string[];
}

export interface HostConfig {
  AutoRemove: boolean;
  Privileged: boolean;
  ReadonlyRootfs: boolean;
  CapAdd: string[] | null;
  CapDrop: string[] | null;
  SecurityOpt: string[] | null;
  Memory: number;
  MemorySwap: number;
  NanoCpus: number;
  PidsLimit: number | null;
  Tmpfs: Record<string, string> | null;
  Binds: string[] | null;
  /** `bridge` (the default), `none`, `host`, `container:ID`, or a user network's name. */
  NetworkMode: string;
  Init: boolean;
  /** `-p` as Docker records it: `{"80/tcp": [{HostIp: "", HostPort: "8080"}]}` (absent in records made before networking). */
  PortBindings?: PortMap;
  PublishAllPorts?: boolean;
  ExtraHosts?: string[] | null;
  Dns?: string[];
  DnsSearch?: string[];
  DnsOptions?: string[];
  /** `--storage-opt` as given (moby: omitted when empty). */
  StorageOpt?: Record<string, string>;
  /** `--group-add` as given (null when none). */
  GroupAdd?: string[] | null;
  /** `--restart` (absent in records made before restart policies: `no`). */
  RestartPolicy?: RestartPolicy;
}

export interface MountPoint {
  Type: 'volume' | 'tmpfs' | 'bind';
  Name?: string;
  Source: string;
  Destination: string;
  Mode: string;
  RW: boolean;
}

export interface ContainerRecord {
  Id: string;
  /** With Docker's leading slash: `/quirky_turing`. */
  Name: string;
  Created: string;
  Path: string;
  Args: string[];
  State: ContainerState;
  /** Image ID (config digest). */
  Image: string;
  Config: ContainerConfig;
  HostConfig: HostConfig;
  Mounts: MountPoint[];
  Platform: string;
  /** The image's platform when QEMU emulates it (`linux/arm64`); not in inspect (Docker has no such field), shown by `ps`. */
  Emulated?: string;
  /** Runtime the container runs under: the Linux guest or WebAssembly. */
  Driver: 'tabdock-guest' | 'tabdock-wasi';
  RestartCount: number;
  /** What the run/create flags said, kept to build config.json at every start. */
  RunOptions: RunOptions;
  /** Its networks and, while it runs, its addresses and published ports (absent in records made before networking). */
  NetworkSettings?: NetworkSettings;
  /**
   * moby's HasBeenManuallyStopped (not shown by inspect): stopped or killed by the user
   * since its last start, so `unless-stopped` leaves it down, also after an engine restart.
   */
  ManuallyStopped?: boolean;
}

export function freshState(): ContainerState {
  return {
    Status: 'created', Running: false, Paused: false, Restarting: false, OOMKilled: false, Dead: false,
    Pid: 0, ExitCode: 0, Error: '', StartedAt: '0001-01-01T00:00:00Z', FinishedAt: '0001-01-01T00:00:00Z',
  };
}
