import { formatPlatform, parsePlatform } from '../registry-client/index.ts';
import { TabdockError } from '../shared/errors.ts';
import type { EngineApi, ExecRequest, ImageSummary, LogOptions, PullSummary, VolumeSummary } from './api.ts';
import { VolumeService, type VolumeRecord } from './volumes.ts';
import type { LayerStore } from '../fs-layers/index.ts';
import { EngineContainers } from './containers/engine-containers.ts';
import type { ContainerRecord } from './containers/record.ts';
import type { ContainerRuntime } from './containers/runtime.ts';
import { ContainerService, type CreateRequest, type SpecBuilder } from './containers/service.ts';
import { ImageService, type ImageServiceDeps } from './images.ts';
import { inspectImage } from './inspect.ts';
import type { PullEvent } from './pull.ts';
import type { CopyEntry } from './containers/container-files.ts';
import { imageHistory } from './image-history.ts';
import { pruneImages } from './image-prune.ts';
import { wasiSpec } from './wasi/spec.ts';

export const ENGINE_VERSION = '0.1.0';

export interface EngineDeps extends ImageServiceDeps {
  /** The runtime a container runs under (the guest for linux images); started on first need. */
  runtime?: (c: ContainerRecord) => Promise<ContainerRuntime>;
  buildSpec?: SpecBuilder;
  /** Where pulls unpack layers and volumes keep their trees. */
  layers: LayerStore;
  /** Frees what the runtime holds (the guest) when the engine shuts down. */
  dispose?: () => Promise<void>;
}

/** The engine behind the RPC contract; one per store, shared by every client. */
export class Engine implements EngineApi {
  readonly images: ImageService;
  readonly containers: ContainerService;
  readonly volumes: VolumeService | undefined;
  private readonly c: EngineContainers;

  constructor(deps: EngineDeps) {
    const runtime = deps.runtime ?? (async () => {
      throw new TabdockError('NO_RUNTIME', 'this engine has no container runtime configured', {});
    });
    const linuxSpec: SpecBuilder = deps.buildSpec ?? (async () => {
      throw new TabdockError('NO_RUNTIME', 'this engine cannot build container configs', {});
    });
    // A WASI container's "spec" is its process (args, env, cwd); Linux parts do not apply.
    const buildSpec: SpecBuilder = (c, image, readFile) => (c.Driver === 'tabdock-wasi' ? wasiSpec(c, image) : linuxSpec(c, image, readFile));
    this.images = new ImageService({
      ...deps,
      // `rmi` refuses an image a container uses (looked up when asked, not now).
      imageInUse: async (id) => (await this.containers.store.list()).find((c) => c.Image === id)?.Id,
    });
    const usedBy = async (name: string) =>
      (await this.containers.store.list()).filter((c) => c.Mounts.some((m) => m.Type === 'volume' && m.Name === name)).map((c) => c.Id);
    this.volumes = deps.layers ? new VolumeService({ meta: deps.meta, layers: deps.layers, usedBy, ...(deps.now ? { now: deps.now } : {}) }) : undefined;
    this.containers = new ContainerService({
      meta: deps.meta, images: this.images, runtime, buildSpec, ...(this.volumes ? { volumes: this.volumes } : {}), ...(deps.now ? { now: deps.now } : {}),
    });
    this.c = new EngineContainers(this.containers, runtime);
    this.disposeRuntime = deps.dispose;
  }

  private readonly disposeRuntime: (() => Promise<void>) | undefined;

  /** Whether containers are running (a daemon must not idle out under them). */
  get busy(): boolean {
    return this.containers.runningCount > 0;
  }

  async dispose(): Promise<void> {
    await this.disposeRuntime?.();
    await this.volumes?.close();
  }

  /** Marks containers that were running when the engine last stopped as exited. */
  async init(): Promise<this> {
    await this.containers.reconcile();
    return this;
  }

  async version() {
    return { version: ENGINE_VERSION };
  }

  async pull(ref: string, opts: { platform?: string }, onEvent?: (e: PullEvent) => void): Promise<PullSummary> {
    const platform = opts.platform ? parsePlatform(opts.platform) : undefined;
    const r = await this.images.pull(ref, { ...(platform ? { platform } : {}), ...(onEvent ? { onProgress: onEvent } : {}) });
    return { digest: r.digest.toString(), updated: r.updated, reference: r.reference, canonical: r.canonical, imageId: r.image.id };
  }

  async listImages(): Promise<ImageSummary[]> {
    return (await this.images.list()).map((r) => ({
      id: r.id, repoTags: r.repoTags, repoDigests: r.repoDigests, created: r.config.created, size: r.size, platform: formatPlatform(r.platform),
    }));
  }

  async inspectImages(refs: string[]) {
    const out: (Record<string, unknown> | undefined)[] = [];
    for (const ref of refs) {
      const r = await this.images.find(ref);
      out.push(r ? inspectImage(r) : undefined);
    }
    return out;
  }

  removeImage(ref: string, opts: { force?: boolean }) {
    return this.images.remove(ref, opts);
  }

  tagImage(source: string, target: string) {
    return this.images.tag(source, target);
  }

  async imageHistory(ref: string) {
    return imageHistory(await this.images.get(ref));
  }

  async pruneImages(opts: { all?: boolean }) {
    const used = new Set((await this.containers.store.list()).map((c) => c.Image));
    return pruneImages(this.images, used, opts);
  }

  // The container half of the contract (engine-containers.ts).
  createContainer(req: CreateRequest) { return this.c.createContainer(req); }
  startContainer(ref: string, opts?: { cols?: number; rows?: number }) { return this.c.startContainer(ref, opts); }
  attachContainer(ref: string, onOutput: (chunk: Uint8Array, fd: 1 | 2) => void) { return this.c.attachContainer(ref, onOutput); }
  waitContainer(ref: string) { return this.c.waitContainer(ref); }
  stopContainer(ref: string, timeoutSeconds?: number) { return this.c.stopContainer(ref, timeoutSeconds); }
  killContainer(ref: string, signal?: string) { return this.c.killContainer(ref, signal); }
  restartContainer(ref: string, timeoutSeconds?: number) { return this.c.restartContainer(ref, timeoutSeconds); }
  removeContainer(ref: string, opts: { force?: boolean; volumes?: boolean }) { return this.c.removeContainer(ref, opts); }
  listContainers(opts: { all?: boolean }) { return this.c.listContainers(opts); }
  inspectContainer(ref: string) { return this.c.inspectContainer(ref); }
  containerLogs(ref: string, opts: LogOptions, onEntry: (stream: 'stdout' | 'stderr', data: Uint8Array, time: string) => void) { return this.c.containerLogs(ref, opts, onEntry); }
  execContainer(ref: string, req: ExecRequest, onOutput: (chunk: Uint8Array, fd: 1 | 2) => void) { return this.c.execContainer(ref, req, onOutput); }
  containerChanges(ref: string) { return this.c.containerChanges(ref); }
  statContainerPath(ref: string, path: string, opts: { followLink?: boolean } = {}) { return this.c.statContainerPath(ref, path, opts); }
  copyFromContainer(ref: string, path: string, onEntry: (e: CopyEntry) => Promise<unknown> | void, opts: { followLink?: boolean } = {}) { return this.c.copyFromContainer(ref, path, onEntry, opts); }
  copyToContainer(ref: string, path: string, next: () => Promise<CopyEntry | null | undefined>, opts: { keepOwner?: boolean } = {}) { return this.c.copyToContainer(ref, path, next, opts); }
  pruneContainers() { return this.c.pruneContainers(); }
  containerStats(ref: string) { return this.c.containerStats(ref); }

  // Volumes (volumes.ts).
  async createVolume(name: string | undefined, opts: { labels?: Record<string, string> } = {}) {
    return this.summary(await this.requireVolumes().create(name, opts.labels ?? {}), false);
  }

  async listVolumes() {
    return Promise.all((await this.requireVolumes().list()).map((v) => this.summary(v, false)));
  }

  async inspectVolumes(names: string[]) {
    const vs = this.requireVolumes();
    return Promise.all(names.map(async (n) => {
      const v = await vs.find(n);
      return v ? this.summary(v, true) : undefined;
    }));
  }

  async removeVolume(name: string, opts: { force?: boolean } = {}) {
    await this.requireVolumes().remove(name, opts);
  }

  pruneVolumes(opts: { all?: boolean } = {}) {
    return this.requireVolumes().prune(opts);
  }

  private requireVolumes(): VolumeService {
    if (!this.volumes) throw new TabdockError('UNSUPPORTED', 'this engine has no volume store', {});
    return this.volumes;
  }

  private async summary(v: VolumeRecord, usage: boolean): Promise<VolumeSummary> {
    const { Populated: _, ...rest } = v;
    if (!usage) return rest;
    const refs = (await this.containers.store.list()).filter((c) => c.Mounts.some((m) => m.Type === 'volume' && m.Name === v.Name)).length;
    return { ...rest, UsageData: { Size: await this.volumes!.size(v.Name), RefCount: refs } };
  }
}

export type { CreateRequest, ExecRequest, LogOptions };
