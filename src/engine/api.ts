import type { PullEvent } from './pull.ts';
import type { RemoveResult } from './images.ts';
import type { Attachment, CreateRequest } from './containers/service.ts';
import type { Change, CopyEntry, PathStat } from './containers/container-files.ts';
import type { ImageHistoryItem } from './image-history.ts';
import type { ImagePruneReport } from './image-prune.ts';
import type { EngineEvent } from './events.ts';
import type { STREAM_END } from './rpc-contract.ts';
import type { NetworkApi } from './network/engine-networks.ts';
import type { CommitOptions } from './image-commit.ts';
import type { PushEvent, PushSummary } from './image-push.ts';
import type { LoadedImage } from './image-load.ts';
import type { TopResult } from './containers/top.ts';
import type { DiskUsage } from './disk-usage.ts';
import type { BuildEvent, BuildRequest, BuildResult } from './build/builder.ts';
import type { ContainerUpdate } from './spec/update.ts';

export type { TopResult, ContainerUpdate, DiskUsage, BuildEvent, BuildRequest, BuildResult };

/**
 * The engine's RPC contract: what the CLI asks its daemon over a unix socket and what
 * the page asks its worker through comlink. Arguments and results are plain data;
 * progress comes through callbacks; failures are `TabdockError`s (they serialise).
 */
export interface ImageSummary {
  id: string;
  repoTags: string[];
  repoDigests: string[];
  created: string | undefined;
  size: number;
  platform: string;
  /** The image config's labels (`images --filter label=`). */
  labels?: Record<string, string>;
}

export interface PullSummary {
  /** The digest Docker prints (the index's when there is one). */
  digest: string;
  updated: boolean;
  /** Familiar form: `busybox:latest`. */
  reference: string;
  /** Fully qualified: `docker.io/library/busybox:latest`. */
  canonical: string;
  imageId: string;
}

/** `docker volume inspect` / `ls` data (moby `volume.Volume`). */
export interface VolumeSummary {
  Name: string;
  Driver: string;
  Mountpoint: string;
  CreatedAt: string;
  Labels: Record<string, string>;
  Scope: string;
  Options: Record<string, string>;
  /** Bytes in the volume and how many containers mount it (`docker system df -v`). */
  UsageData?: { Size: number; RefCount: number };
}

/** Volumes: named and anonymous trees kept apart from any container (see engine/volumes.ts). */
export interface VolumeApi {
  /** `docker volume create [NAME]`: an existing name comes back as it is. */
  createVolume(name: string | undefined, opts: { labels?: Record<string, string> }): Promise<VolumeSummary>;
  listVolumes(): Promise<VolumeSummary[]>;
  /** `undefined` for a name that is no volume. */
  inspectVolumes(names: string[]): Promise<(VolumeSummary | undefined)[]>;
  removeVolume(name: string, opts: { force?: boolean }): Promise<void>;
  /** Unused anonymous volumes, or with `all` every unused one. */
  pruneVolumes(opts: { all?: boolean }): Promise<{ deleted: string[]; reclaimed: number }>;
}

export interface EventOptions {
  /** Replay the kept events (the last 256) at or after this time first: the API's `SECONDS[.NANOS]`. */
  since?: string;
}

/** A live event subscription: events flow to the callback until `close`. */
export interface EventSubscription {
  close(): Promise<void>;
  readonly [STREAM_END]?: Promise<void>;
}

export interface EngineApi extends ContainerApi, VolumeApi, NetworkApi {
  version(): Promise<{ version: string; pid?: number }>;
  /**
   * Every engine event (containers, images, volumes) from now on (with `since`, the kept
   * ones from then first), to `onEvent`, until the
   * subscription is closed or the client goes away. The transports' form of `Engine.onEvent`.
   */
  subscribeEvents(onEvent: (e: EngineEvent) => void, opts?: EventOptions): Promise<EventSubscription>;
  /**
   * `signal` is the serving side's, never a caller's: the daemon aborts it when the
   * connection that asked for the pull closes (`CANCEL_ON_LEAVE`).
   */
  pull(ref: string, opts: { platform?: string; signal?: AbortSignal }, onEvent?: (e: PullEvent) => void): Promise<PullSummary>;
  /** `docker images`; `all` (`-a`): also the build cache's images (the steps of builds, untagged). */
  listImages(opts?: { all?: boolean }): Promise<ImageSummary[]>;
  /** `docker image inspect` objects; `undefined` for a reference that names no image. */
  inspectImages(refs: string[]): Promise<(Record<string, unknown> | undefined)[]>;
  removeImage(ref: string, opts: { force?: boolean }): Promise<RemoveResult>;
  tagImage(source: string, target: string): Promise<void>;
  /** `docker history`: the config's steps, newest first. */
  imageHistory(ref: string): Promise<ImageHistoryItem[]>;
  /** `docker image prune [-a]`: dangling images, or every image no container uses. */
  pruneImages(opts: { all?: boolean }): Promise<ImagePruneReport>;
  /** `docker commit`: the container's changes as a new image; answers its ID. */
  commitContainer(ref: string, opts: CommitOptions): Promise<{ id: string }>;
  /** `docker push NAME[:TAG]`: progress per layer to `onEvent`. */
  push(ref: string, onEvent?: (e: PushEvent) => void): Promise<PushSummary>;
  /** `docker save IMAGE...`: the archive's bytes, piece by piece, to `onChunk` (awaited). */
  saveImages(refs: string[], onChunk: (b: Uint8Array) => Promise<unknown> | void): Promise<void>;
  /** `docker load`: pulls the archive's bytes with `next` until it gives none; answers what it loaded. */
  loadImages(next: () => Promise<Uint8Array | null | undefined>): Promise<LoadedImage[]>;
  /** `docker export`: the container's tree as a tar, piece by piece to `onChunk` (awaited). */
  exportContainer(ref: string, onChunk: (b: Uint8Array) => Promise<unknown> | void): Promise<void>;
  /** `docker import`: a tar pulled with `next` as a one-layer image; answers its ID. */
  importImage(next: () => Promise<Uint8Array | null | undefined>, opts: { reference?: string; changes?: string[]; message?: string; platform?: string }): Promise<{ id: string }>;
  /**
   * `docker build`: the context as a tar pulled with `next` (the client applied
   * .dockerignore), the Dockerfile's text in the request; progress to `onEvent`. Answers
   * the image made and the tags it got; a failed build tags nothing.
   */
  build(req: BuildRequest, next: () => Promise<Uint8Array | null | undefined>, onEvent: (e: BuildEvent) => void): Promise<BuildResult>;
  /** `docker builder prune`: build cache no tag and no container uses (`all`: also cache entries of tagged images). */
  pruneBuildCache(opts: { all?: boolean }): Promise<{ deleted: string[]; reclaimed: number }>;
  /** `docker system df`: images (layers, shared bytes, users), containers (writable bytes), volumes. */
  diskUsage(): Promise<DiskUsage>;
}

export interface ContainerSummary {
  Id: string;
  Names: string[];
  Image: string;
  ImageID: string;
  Command: string;
  Created: string;
  State: string;
  Status: string;
  /** For STATUS: when it started or finished, and the exit code. */
  StartedAt: string;
  FinishedAt: string;
  ExitCode: number;
  /** Published and exposed ports of a running container (Docker's `Port`: PrivatePort, PublicPort, IP, Type). */
  Ports: Array<{ IP?: string; PrivatePort: number; PublicPort?: number; Type: string }>;
  /** What `ps --filter` and `ps --format` read (Docker's `Labels`, `Mounts`, `NetworkSettings.Networks`). */
  Labels?: Record<string, string>;
  Mounts?: Array<{ Type: string; Name?: string; Source: string; Destination: string; Driver?: string; RW: boolean }>;
  /** Names of the networks it is on. */
  Networks?: string[];
  /** Bytes in its writable layer; with `listContainers({ size: true })` only. */
  SizeRw?: number;
  /** The image's platform when QEMU emulates it (`linux/arm64`): STATUS says so. */
  Emulated?: string;
  /** Its health check's status (`starting`, `healthy`, `unhealthy`); absent: no health check (`none`). */
  Health?: 'starting' | 'healthy' | 'unhealthy';
}

export interface ExecRequest {
  args: string[];
  tty?: boolean;
  interactive?: boolean;
  env?: string[];
  user?: string;
  workdir?: string;
  cols?: number;
  rows?: number;
}

export interface LogOptions {
  follow?: boolean;
  /** Number of lines from the end, or undefined for all. */
  tail?: number;
  timestamps?: boolean;
  /** Only entries at or after / at or before this time: the API's `SECONDS[.NANOS]` (moby `ParseTimestamps`). */
  since?: string;
  until?: string;
}

/** One `docker stats` sample (the Docker API's stats object, the fields the CLI uses). */
export interface ContainerStats {
  id: string;
  name: string;
  read: string;
  running: boolean;
  /** Why the figures below could not be read (e.g. the container is still starting): they are zeros then, not measurements. */
  error?: string;
  /** total_usage: the container's CPU time (ns); system_cpu_usage: a wall clock (ns) to divide by. */
  cpu_stats: { cpu_usage: { total_usage: number }; system_cpu_usage: number; online_cpus: number };
  memory_stats: { usage: number; limit: number };
  pids_stats: { current: number; limit?: number };
  /** Block device bytes by op (Docker's blkio_stats shape); null when the runtime could not read them. */
  blkio_stats: { io_service_bytes_recursive: { op: 'read' | 'write'; value: number }[] | null };
  /** Per interface; absent while containers have no network but lo (as Docker's for --network none). */
  networks?: Record<string, { rx_bytes: number; tx_bytes: number }>;
}

/** Containers, on the same contract (an Attachment's functions work across the boundary). */
export interface ContainerApi {
  createContainer(req: CreateRequest): Promise<{ Id: string; Warnings: string[] }>;
  startContainer(ref: string, opts?: { cols?: number; rows?: number }): Promise<void>;
  attachContainer(ref: string, onOutput: (chunk: Uint8Array, fd: 1 | 2) => void): Promise<Attachment>;
  waitContainer(ref: string): Promise<{ StatusCode: number; Error?: string }>;
  stopContainer(ref: string, timeoutSeconds?: number): Promise<string>;
  killContainer(ref: string, signal?: string): Promise<string>;
  restartContainer(ref: string, timeoutSeconds?: number): Promise<string>;
  /** `volumes`: its anonymous volumes go too (`rm -v`). */
  removeContainer(ref: string, opts: { force?: boolean; volumes?: boolean }): Promise<string>;
  /** `size`: also measure each writable layer (`SizeRw`), as `docker ps -s` asks. */
  listContainers(opts: { all?: boolean; size?: boolean }): Promise<ContainerSummary[]>;
  inspectContainer(ref: string): Promise<Record<string, unknown>>;
  /** Sends the log (and with `follow`, live output until the container stops), then resolves. */
  containerLogs(ref: string, opts: LogOptions, onEntry: (stream: 'stdout' | 'stderr', data: Uint8Array, time: string) => void): Promise<void>;
  execContainer(ref: string, req: ExecRequest, onOutput: (chunk: Uint8Array, fd: 1 | 2) => void): Promise<Attachment & { wait(): Promise<number> }>;
  /** `docker diff`: the writable layer's changes (A added, C changed, D deleted), by path. */
  containerChanges(ref: string): Promise<Change[]>;
  /** What is at a path in the container (symlinks followed except the last, unless `followLink`), or undefined. */
  statContainerPath(ref: string, path: string, opts?: { followLink?: boolean }): Promise<PathStat | undefined>;
  /** `docker cp [-L] CONTAINER:SRC ...`: the tree at `path`, entry by entry (awaits each callback). */
  copyFromContainer(ref: string, path: string, onEntry: (e: CopyEntry) => Promise<unknown> | void, opts?: { followLink?: boolean }): Promise<void>;
  /** `docker cp ... CONTAINER:DEST`: pulls entries until `next` gives none; the root entry becomes `path`. */
  copyToContainer(ref: string, path: string, next: () => Promise<CopyEntry | null | undefined>, opts: { keepOwner?: boolean }): Promise<void>;
  /** `docker stats`: one sample of a container's resource use (zeros when it is not running). */
  containerStats(ref: string): Promise<ContainerStats>;
  /** `docker container prune`: removes containers that are not running. */
  pruneContainers(): Promise<{ deleted: string[]; reclaimed: number }>;
  /** `docker rename OLD NEW`. */
  renameContainer(ref: string, newName: string): Promise<void>;
  /** `docker pause` / `unpause`: freezes or thaws every process of a running container. */
  pauseContainer(ref: string): Promise<void>;
  unpauseContainer(ref: string): Promise<void>;
  /** `docker top CONTAINER [ps OPTIONS]`: its processes, as `ps -ef` prints them. */
  topContainer(ref: string, psArgs: string[]): Promise<TopResult>;
  /** `docker update`: limits and restart policy, applied at once to a running container. */
  updateContainer(ref: string, update: ContainerUpdate): Promise<{ Warnings: string[] }>;
}
