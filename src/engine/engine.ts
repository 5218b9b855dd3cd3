import { formatPlatform, normalizePlatform, parsePlatform, parseReference } from '../registry-client/index.ts';
import { EmulatorTrees, type EmulatorSource } from './emulation/emulator-trees.ts';
import { emulatedPlatforms } from './emulation/emulators.ts';
import type { ContainerUpdate, EngineApi, ExecRequest, ImageSummary, LogOptions, PullSummary, VolumeSummary } from './api.ts';
import { VolumeService, type VolumeRecord } from './volumes.ts';
import type { LayerStore } from '../fs-layers/index.ts';
import { EngineContainers } from './containers/engine-containers.ts';
import { ContainerFilesystems } from './containers/filesystems.ts';
import { Runtimes, type RuntimeRegistration } from './containers/runtimes.ts';
import { ContainerService, type CreateRequest } from './containers/service.ts';
import { ImageService, type ImageServiceDeps } from './images.ts';
import { inspectImage } from './inspect.ts';
import type { PullEvent } from './pull.ts';
import type { CopyEntry } from './containers/container-files.ts';
import { imageHistory } from './image-history.ts';
import { pruneImages } from './image-prune.ts';
import { commitContainer, type CommitOptions } from './image-commit.ts';
import type { PushEvent } from './image-push.ts';
import { exportContainer, importImage } from './image-import.ts';
import { EventBus, type EngineEvent } from './events.ts';
import type { EventOptions, EventSubscription } from './api.ts';
import { apiTimestampNanos, rfc3339Nanos } from './spec/timestamp.ts';
import { TabdockError } from '../shared/errors.ts';
import { diskUsage } from './disk-usage.ts';
import { STREAM_END } from './rpc-contract.ts';
import { NetworkService } from './network/networks.ts';
import { ContainerNetworking } from './network/container-net.ts';
import { EngineNetworks } from './network/engine-networks.ts';
import { serveLink } from './network/serve-link.ts';
import { bridgeDevice } from './network/records.ts';
import type { NetworkLink } from './network/link.ts';
import type { PortPublisher } from './network/ports.ts';
import type { NetworkCreateOptions } from './network/networks.ts';
import { Builder, type BuildEvent, type BuildRequest } from './build/builder.ts';
import { pruneBuildCache } from './build/build-cache.ts';

export const ENGINE_VERSION = '0.1.0';

export interface EngineDeps extends ImageServiceDeps {
  /** Unpacked layers: container trees and volumes live here. */
  layers: LayerStore;
  /** The runtimes containers run under, chosen by image platform (none: containers cannot start). */
  runtimes?: readonly RuntimeRegistration[];
  /** A fresh gzip compressor for committed layers (default: CompressionStream). */
  gzip?: () => TransformStream<Uint8Array, Uint8Array>;
  /** The link out of the guest and the port publisher (createEngine's `network`); absent: no egress, -p refused. */
  network?: EngineNetworkOptions;
  /** Where QEMU's emulators come from, for the runtimes' emulated platforms. */
  emulators?: EmulatorSource;
  /** ADD of a URL in a build (default: the platform's fetch). */
  fetch?: typeof fetch;
}

export interface EngineNetworkOptions {
  link?: NetworkLink;
  ports?: PortPublisher;
}

/** The engine behind the RPC contract; one per store, shared by every client. */
export class Engine implements EngineApi {
  readonly images: ImageService;
  readonly containers: ContainerService;
  readonly volumes: VolumeService;
  readonly filesystems: ContainerFilesystems;
  readonly runtimes: Runtimes;
  readonly networks: NetworkService;
  readonly networking: ContainerNetworking;
  private readonly n: EngineNetworks;
  /** Where the services publish; `onEvent` and `subscribeEvents` read it. */
  readonly events = new EventBus();
  private readonly c: EngineContainers;

  constructor(private readonly deps: EngineDeps) {
    const events = this.events;
    this.images = new ImageService({
      ...deps, events, fallbackPlatforms: emulatedPlatforms(deps.runtimes ?? []),
      // `rmi` refuses an image a container uses (looked up when asked, not now).
      imageInUse: async (id) => (await this.containers.store.list()).find((c) => c.Image === id)?.Id,
    });
    const usedBy = async (name: string) =>
      (await this.containers.store.list()).filter((c) => c.Mounts.some((m) => m.Type === 'volume' && m.Name === name)).map((c) => c.Id);
    this.volumes = new VolumeService({ meta: deps.meta, layers: deps.layers, usedBy, events, ...(deps.now ? { now: deps.now } : {}) });
    this.filesystems = new ContainerFilesystems({
      layers: deps.layers, blobs: deps.blobs, images: this.images, volumes: this.volumes, ...(deps.gzip ? { gzip: deps.gzip } : {}),
      emulators: new EmulatorTrees({ layers: deps.layers, meta: deps.meta, ...(deps.emulators ? { source: deps.emulators } : {}) }),
    });
    this.networks = new NetworkService({
      meta: deps.meta, events, ...(deps.now ? { now: deps.now } : {}),
      onRemoved: async (n) => {
        for (const rt of await this.runtimes.running()) await rt.removeBridge?.(bridgeDevice(n));
      },
    });
    this.networking = new ContainerNetworking({
      networks: this.networks, ...(deps.network?.link ? { link: deps.network.link } : {}), ...(deps.network?.ports ? { ports: deps.network.ports } : {}),
      findContainer: (ref) => this.containers.store.find(ref),
      isRunning: (id) => this.containers.isRunning(id),
    });
    const net = this.networking;
    this.runtimes = new Runtimes(deps.runtimes ?? [], {
      network: {
        // Each guest: its OPEN and DGRAM frames answered here, and told whether the link is up.
        async serve(agent) {
          serveLink(agent, { link: net.link, isGateway: (ip) => net.isGateway(ip), dns: net.dns });
          const link = net.link;
          const up = link ? (link.probe ? await link.probe() : link.available) : false;
          await agent.netLink(up);
        },
      },
    });
    this.containers = new ContainerService({
      meta: deps.meta, images: this.images, runtimes: this.runtimes, filesystems: this.filesystems, volumes: this.volumes, network: this.networking, events, ...(deps.now ? { now: deps.now } : {}),
    });
    this.c = new EngineContainers(this.containers, this.filesystems, this.runtimes);
    this.n = new EngineNetworks(this.networks, this.networking, this.containers, this.runtimes);
  }

  /** Whether containers are running (a daemon must not idle out under them). */
  get busy(): boolean {
    return this.containers.runningCount > 0;
  }

  /** Stops the runtimes (their containers end, their trees saved), then closes every tree. */
  async dispose(): Promise<void> {
    // Runtimes end their processes; each container's exit is then saved (logs, state, --rm)
    // before the trees it used are closed; every step runs even when one before it failed.
    const steps = [
      // Its containers' exits from here on are the engine's doing: none is restarted.
      async () => this.containers.shutdown(),
      () => this.runtimes.dispose(),
      () => this.containers.exitedAll(),
      () => this.filesystems.close(),
      () => this.volumes.close(),
    ];
    const failures: unknown[] = [];
    for (const step of steps) await step().catch((e: unknown) => void failures.push(e));
    if (failures.length) throw failures[0];
  }

  /** Marks containers that were running when the engine last stopped as exited. */
  async init(): Promise<this> {
    await this.containers.reconcile();
    return this;
  }

  /**
   * Starts the containers whose restart policy brings them back when the engine starts
   * again (moby's restore): for the engine that lives on, the Node daemon and the page's
   * worker, not a one-command engine (`TABDOCK_DAEMON=off`). Returns once the starts began.
   */
  startByPolicy(): Promise<void> {
    return this.containers.startByPolicy();
  }

  async version() {
    return { version: ENGINE_VERSION };
  }

  /** Engine events from now on; the returned function unsubscribes. */
  onEvent(listener: (e: EngineEvent) => void): () => void {
    return this.events.onEvent(listener);
  }

  async subscribeEvents(onEvent: (e: EngineEvent) => void, opts: EventOptions = {}): Promise<EventSubscription> {
    // The replay and the subscription happen in one turn: no event falls between them.
    if (opts.since !== undefined) {
      const since = apiTimestampNanos(opts.since);
      if (since === undefined) throw new TabdockError('INVALID_ARGUMENT', `invalid value for "since": ${opts.since} is not SECONDS[.NANOSECONDS]`, {});
      for (const e of this.events.recent) if (rfc3339Nanos(e.time) >= since) onEvent(e);
    }
    let off = this.events.onEvent(onEvent);
    let closed!: () => void;
    const ended = new Promise<void>((r) => (closed = r));
    return {
      [STREAM_END]: ended,
      close: async () => {
        off();
        off = () => {};
        closed();
      },
    };
  }

  async pull(ref: string, opts: { platform?: string; signal?: AbortSignal }, onEvent?: (e: PullEvent) => void): Promise<PullSummary> {
    const platform = opts.platform ? parsePlatform(opts.platform) : undefined;
    const r = await this.images.pull(ref, { ...(platform ? { platform } : {}), ...(onEvent ? { onProgress: onEvent } : {}), ...(opts.signal ? { signal: opts.signal } : {}) });
    return { digest: r.digest.toString(), updated: r.updated, reference: r.reference, canonical: r.canonical, imageId: r.image.id };
  }

  async listImages(opts: { all?: boolean } = {}): Promise<ImageSummary[]> {
    // Build steps' images are build cache: out of the list until a tag names one (`-a` shows them, as intermediate images).
    return (await this.images.list()).filter((r) => opts.all || !(r.buildCache && r.repoTags.length === 0)).map((r) => ({
      id: r.id, repoTags: r.repoTags, repoDigests: r.repoDigests, created: r.config.created, size: r.size, platform: formatPlatform(r.platform),
      labels: r.config.config?.Labels ?? {},
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

  push(ref: string, onEvent?: (e: PushEvent) => void) {
    return this.images.push(ref, onEvent ? { onProgress: onEvent } : {});
  }

  saveImages(refs: string[], onChunk: (b: Uint8Array) => Promise<unknown> | void) {
    return this.images.save(refs, onChunk);
  }

  loadImages(next: () => Promise<Uint8Array | null | undefined>) {
    return this.images.load(next);
  }

  async exportContainer(ref: string, onChunk: (b: Uint8Array) => Promise<unknown> | void) {
    const c = await this.containers.store.find(ref);
    await exportContainer(await this.filesystems.tree(c), onChunk);
    this.containers.announce(c, { action: 'export' });
  }

  async importImage(next: () => Promise<Uint8Array | null | undefined>, opts: { reference?: string; changes?: string[]; message?: string; platform?: string }) {
    const platform = opts.platform ? normalizePlatform(parsePlatform(opts.platform)) : undefined;
    const r = await importImage({ blobs: this.deps.blobs, layers: this.deps.layers, create: (req) => this.images.create(req) }, next, {
      ...(opts.reference ? { reference: opts.reference } : {}), ...(opts.changes ? { changes: opts.changes } : {}),
      ...(opts.message ? { message: opts.message } : {}), ...(platform ? { platform } : {}),
    });
    this.events.publish({ type: 'image', action: 'import', id: r.id, ref: opts.reference ?? r.id, time: new Date().toISOString() });
    return r;
  }

  async commitContainer(ref: string, opts: CommitOptions) {
    const r = await commitContainer({ findContainer: (r) => this.containers.store.find(r), filesystems: this.filesystems, images: this.images, pause: (id, paused) => (paused ? this.c.pauseContainer(id) : this.c.unpauseContainer(id)) }, ref, opts);
    const c = await this.containers.store.find(ref);
    this.containers.announce(c, { action: 'commit', comment: opts.comment ?? '', imageId: r.id, imageRef: opts.reference ? parseReference(opts.reference).familiar() : '' });
    return r;
  }

  async build(req: BuildRequest, next: () => Promise<Uint8Array | null | undefined>, onEvent: (e: BuildEvent) => void) {
    const c = this.c;
    const builder = new Builder({
      images: this.images, filesystems: this.filesystems, layers: this.deps.layers, meta: this.deps.meta,
      containers: {
        createContainer: (r) => c.createContainer(r), attachContainer: (r, f) => c.attachContainer(r, f), startContainer: (r) => c.startContainer(r),
        waitContainer: (r) => c.waitContainer(r), killContainer: (r, sig) => c.killContainer(r, sig), removeContainer: (r, o) => c.removeContainer(r, o),
      },
      fetch: this.deps.fetch ?? ((...a: Parameters<typeof fetch>) => fetch(...a)),
      platforms: emulatedPlatforms(this.deps.runtimes ?? []),
    }, req, onEvent);
    return builder.run(next);
  }

  async pruneBuildCache(opts: { all?: boolean } = {}) {
    const used = new Set((await this.containers.store.list()).map((c) => c.Image));
    return pruneBuildCache({ images: this.images, meta: this.deps.meta }, used, opts);
  }

  async diskUsage() {
    const volumes = await Promise.all((await this.volumes.list()).map((v) => this.summary(v, true)));
    return diskUsage(await this.images.list(), await this.c.listContainers({ all: true, size: true }), volumes);
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
  renameContainer(ref: string, newName: string) { return this.c.renameContainer(ref, newName); }
  pauseContainer(ref: string) { return this.c.pauseContainer(ref); }
  unpauseContainer(ref: string) { return this.c.unpauseContainer(ref); }
  topContainer(ref: string, psArgs: string[]) { return this.c.topContainer(ref, psArgs); }
  updateContainer(ref: string, update: ContainerUpdate) { return this.c.updateContainer(ref, update); }

  // Networks (network/engine-networks.ts).
  createNetwork(name: string, opts: NetworkCreateOptions = {}) { return this.n.createNetwork(name, opts); }
  listNetworks() { return this.n.listNetworks(); }
  inspectNetworks(refs: string[]) { return this.n.inspectNetworks(refs); }
  removeNetwork(ref: string) { return this.n.removeNetwork(ref); }
  pruneNetworks() { return this.n.pruneNetworks(); }
  connectNetwork(network: string, container: string, opts: { aliases?: string[]; ip?: string } = {}) { return this.n.connectNetwork(network, container, opts); }
  disconnectNetwork(network: string, container: string, opts: { force?: boolean } = {}) { return this.n.disconnectNetwork(network, container, opts); }

  // Volumes (volumes.ts).
  async createVolume(name: string | undefined, opts: { labels?: Record<string, string> } = {}) {
    return this.summary(await this.volumes.create(name, opts.labels ?? {}), false);
  }

  async listVolumes() {
    return Promise.all((await this.volumes.list()).map((v) => this.summary(v, false)));
  }

  async inspectVolumes(names: string[]) {
    const vs = this.volumes;
    return Promise.all(names.map(async (n) => {
      const v = await vs.find(n);
      return v ? this.summary(v, true) : undefined;
    }));
  }

  async removeVolume(name: string, opts: { force?: boolean } = {}) {
    await this.volumes.remove(name, opts);
  }

  pruneVolumes(opts: { all?: boolean } = {}) {
    return this.volumes.prune(opts);
  }

  private async summary(v: VolumeRecord, usage: boolean): Promise<VolumeSummary> {
    const { Populated: _, ...rest } = v;
    if (!usage) return rest;
    const refs = (await this.containers.store.list()).filter((c) => c.Mounts.some((m) => m.Type === 'volume' && m.Name === v.Name)).length;
    return { ...rest, UsageData: { Size: await this.volumes.size(v.Name), RefCount: refs } };
  }
}

export type { CreateRequest, ExecRequest, LogOptions };
