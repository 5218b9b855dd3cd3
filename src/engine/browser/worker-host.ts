/**
 * The browser composition root: the engine on IndexedDB stores, the registry client behind
 * the CORS proxy, the guest from the site's static snapshot. Lives in the Web Worker
 * (worker.ts exposes it through comlink); the page sees it as a BrowserEngine (client.ts).
 */
import { deleteDB } from 'idb';
import { proxy as byReference, releaseProxy, type Remote } from 'comlink';
import { IdbBlobStore, IdbMetaStore, LayerStore } from '../../fs-layers/index.ts';
import { Guest, type Handle9p } from '../../emulator/index.ts';
import { loadGuestAssets } from '../../emulator/guest-assets.ts';
import { loadEmulatorAsset } from '../../emulator/emulator-files.ts';
import { RegistryClient } from '../../registry-client/index.ts';
import { TabdockError, type SerializedError } from '../../shared/errors.ts';
import type { EngineApi } from '../api.ts';
import type { Engine } from '../engine.ts';
import { createEngine } from '../create-engine.ts';
import { guestRuntime } from '../containers/guest-registration.ts';
import { fromWebWorker, wasiRuntime, type WebWorkerLike } from '../wasi/index.ts';

/** The worker global's Worker (this file compiles without the DOM lib). */
declare const Worker: new (url: URL, options: { type: 'module'; name?: string }) => WebWorkerLike;
import type { PullEvent } from '../pull.ts';
import { WispLink } from './wisp-link.ts';
import { originSpace } from './origin-space.ts';
import { NoLink } from './no-link.ts';
import { PagePorts } from './page-ports.ts';
import { servePreview } from './preview-host.ts';
import type { PortLike, PreviewRequest } from './preview-protocol.ts';
import type { BootStatus, BrowserEvent } from './events.ts';
import { HANDLE_ENDS, STREAM_END, isRpcMethod, onHandleEnd, type RpcMethod } from '../rpc-contract.ts';

export interface WorkerConfig {
  /** CORS proxy base URL (`<origin>/proxy` with `npm run dev`). */
  proxy: string;
  /** Where the guest's manifest.json and files are served. */
  assets: string;
  /** IndexedDB database name prefix. */
  db: string;
  /** The network relay, `ws(s)://.../wisp/` (`<origin>/wisp/` with `npm run dev`); absent: no egress (NoLink). */
  relay?: string;
  /**
   * The guest's memory (the page's setting); absent: the snapshot's. Other memory than the
   * snapshot was saved with boots the guest from scratch (a state restores only into the
   * memory it was saved with).
   */
  memoryBytes?: number;
}

const DB_PARTS = ['blobs', 'chunks', 'meta'] as const;

interface Opened {
  engine: Engine;
  /** The `-p` bindings of this engine's containers (preview URLs open them). */
  ports: PagePorts;
  close(): void;
}

export class WorkerHost {
  private opened: Promise<Opened> | undefined;
  private config: WorkerConfig | undefined;
  private listeners = new Set<(e: BrowserEvent) => void>();
  private boot: BootStatus = { phase: 'idle' };
  private resetting = false;
  private link: WispLink | NoLink | undefined;
  /** Each live call's callbacks, whose calls an answer waits on (`taken`). */
  private readonly callbacks = new Set<Delivered>();

  /** Sets where things are; the stores open on first use. */
  async init(config: WorkerConfig): Promise<void> {
    this.config = config;
  }

  /**
   * One listener per page connection for what only the worker knows: boot phases and every
   * pull's progress (the page fans them out to its own subscribers). Engine events come
   * through the contract's `subscribeEvents`, as over the daemon's socket.
   */
  async listen(onEvent: (e: BrowserEvent) => void): Promise<void> {
    this.listeners.add(onEvent);
    onEvent({ type: 'boot', status: this.boot });
  }

  /** Port preview: whether this tab runs the container (a running one whose ID starts so). */
  async previewHas(container12: string): Promise<boolean> {
    const { engine } = await this.open();
    return (await engine.listContainers({ all: false })).some((c) => c.Id.startsWith(container12));
  }

  /**
   * Port preview: answer one request on `port` (preview-protocol.ts), through a published
   * port of the container (page-ports.ts: the agent's `connect` to its address and port).
   */
  async previewServe(request: PreviewRequest, port: PortLike): Promise<void> {
    await servePreview(request, port, async (id, p) => (await this.open()).ports.open(id, p));
  }

  async bootStatus(): Promise<BootStatus> {
    return this.boot;
  }

  /**
   * The page's network link (NetworkLink), made on first use: a WispLink over the configured
   * relay, or without one a NoLink (never available: the guest is told `net-link up=0`).
   * Either tells the page once, by a 'network' event, when containers have no way out.
   */
  networkLink(): WispLink | NoLink {
    const url = this.requireConfig().relay;
    const tell = (message: string) => this.emit({ type: 'network', available: false, message });
    this.link ??= url ? new WispLink({ url, onUnavailable: tell }) : new NoLink(tell);
    return this.link;
  }

  async warmUp(): Promise<void> {
    // Beside the guest: whether the relay answers (the page says it once when it does not).
    void this.networkLink().probe();
    const { engine } = await this.open();
    await engine.runtimes.warmUp('linux/386');
  }

  async reset(): Promise<void> {
    const cfg = this.requireConfig();
    // No call may reopen the databases under the reset (a panel refreshing, say).
    this.resetting = true;
    const o = this.opened;
    this.opened = undefined;
    if (o) {
      const opened = await o.catch(() => undefined);
      await opened?.engine.dispose().catch(() => {});
      opened?.close();
    }
    this.setBoot({ phase: 'idle' });
    try {
      await this.deleteDatabases(cfg);
    } catch (e) {
      this.resetting = false; // the store stays usable; the page says why
      throw e;
    }
  }

  private async deleteDatabases(cfg: WorkerConfig): Promise<void> {
    for (const part of DB_PARTS) {
      // Other tabs close their connections when asked (the stores' `blocking`); one that
      // does not (an old version of the page) makes the reset fail with a sentence.
      await new Promise<void>((resolve, reject) => {
        const t = setTimeout(() => reject(new TabdockError('RESET_BLOCKED', 'Another tab has the tabdock store open; close it and reset again.', {})), 10_000);
        void deleteDB(`${cfg.db}-${part}`).then(() => (clearTimeout(t), resolve()), (e: unknown) => (clearTimeout(t), reject(e)));
      });
    }
  }

  /**
   * Calls a method of the RPC contract on the engine (nothing else of it: not `dispose`).
   * Callbacks from the page arrive as comlink proxies; they are released when the call
   * settles, or, for a call that returns a live handle, when its stream ends (the page
   * ended it, or the engine did: exit, detach, close).
   *
   * Each callback is a port of its own, and the page gets no order between two ports: a
   * build's last step, or a container's last output, could reach the page after the
   * build's result or the container's exit (a call of its own, `waitContainer`), and land
   * behind the prompt. So every answer (a result, an error, an exec's exit code) goes back
   * only once the page has taken every callback call made before it, by any call.
   */
  async call(method: RpcMethod, ...args: unknown[]): Promise<unknown> {
    if (!isRpcMethod(method)) throw new TabdockError('RPC_REFUSED', `the engine worker serves no method "${String(method)}" to the page`, { method });
    let keep = false;
    const delivered = new Delivered(this.callbacks);
    // comlink drops the unanswered calls of a released proxy: nothing waits on those after.
    const release = once(() => {
      delivered.forget();
      args.forEach(releaseIfProxy);
    });
    const passed = method === 'subscribeEvents' ? args : args.map((a) => delivered.track(a));
    try {
      if (this.resetting) throw new TabdockError('RESETTING', 'The store is being reset; the page reloads when it is done.', {});
      const { engine } = await this.open();
      let r: unknown;
      try {
        r = method === 'pull' ? await this.pull(engine, passed) : await (engine[method] as (...a: unknown[]) => Promise<unknown>).apply(engine, passed);
      } finally {
        await this.taken();
      }
      if (!HANDLE_ENDS[method] || !r || typeof r !== 'object') return r;
      keep = true;
      // Released once the page has the stream's last output.
      void (r as { [STREAM_END]?: Promise<void> })[STREAM_END]?.then(() => this.taken()).then(release);
      return byReference(onHandleEnd(method, this.exitAfterOutput(method, r), release));
    } finally {
      if (!keep) release();
    }
  }

  /** Resolves once the page has answered every callback call made so far (at most 30 s: a page that went away answers none). */
  private async taken(): Promise<void> {
    const pending = [...this.callbacks].flatMap((d) => d.unanswered());
    if (pending.length === 0) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([Promise.allSettled(pending), new Promise<void>((r) => (timer = setTimeout(r, 30_000)))]);
    clearTimeout(timer);
  }

  /** An exec's `wait` resolves with the exit code only after the output before it was taken. */
  private exitAfterOutput<T extends object>(method: RpcMethod, handle: T): T {
    if (method !== 'execContainer') return handle;
    const wait = (handle as { wait?: () => Promise<unknown> }).wait;
    if (typeof wait !== 'function') return handle;
    return {
      ...handle,
      wait: async () => {
        try {
          return await wait.call(handle);
        } finally {
          await this.taken();
        }
      },
    };
  }

  private async pull(engine: Engine, args: unknown[]): Promise<unknown> {
    const [ref, opts, onEvent] = args as Parameters<EngineApi['pull']>;
    const events = (e: PullEvent) => {
      onEvent?.(e);
      this.emit({ type: 'pull', ref, event: e });
    };
    try {
      const r = await engine.pull(ref, opts, events);
      this.emit({ type: 'pull-done', ref });
      return r;
    } catch (e) {
      this.emit({ type: 'pull-done', ref, error: serialise(e) });
      throw e;
    }
  }

  private emit(e: BrowserEvent): void {
    for (const l of this.listeners) {
      // A page that went away leaves a dead port: drop its listener.
      Promise.resolve(l(e)).catch(() => this.listeners.delete(l));
    }
  }

  private setBoot(s: BootStatus): void {
    this.boot = s;
    this.emit({ type: 'boot', status: s });
  }

  private requireConfig(): WorkerConfig {
    if (!this.config) throw new TabdockError('WORKER_NOT_INITIALISED', 'The engine worker was used before init().', {});
    return this.config;
  }

  private open(): Promise<Opened> {
    const cfg = this.requireConfig();
    if (this.resetting) return Promise.reject(new TabdockError('RESETTING', 'The store is being reset; the page reloads when it is done.', {}));
    this.opened ??= (async () => {
      // One room for both stores: the origin's quota, so a write it could not hold is refused at once.
      const space = await originSpace();
      const [blobs, chunks, meta] = await Promise.all([IdbBlobStore.open(`${cfg.db}-blobs`, { space }), IdbBlobStore.open(`${cfg.db}-chunks`, { space }), IdbMetaStore.open(`${cfg.db}-meta`)]);
      const layers = new LayerStore({ chunks, meta });
      space.setReclaimable(() => layers.reclaimable());
      const ports = new PagePorts();
      const engine = await createEngine({
        stores: { blobs, meta, layers },
        registry: new RegistryClient({ proxy: cfg.proxy }),
        runtimes: [
          // The guest restores when the first Linux container starts, or at warmUp().
          guestRuntime({
            startGuest: (h) => this.startGuest(h, cfg),
            capacity: () => space.capacity(),
            ...(cfg.memoryBytes !== undefined ? { guestMemory: cfg.memoryBytes } : {}),
            // amd64, arm64 and arm images through QEMU in the guest; an emulator is fetched only when one first runs.
            emulate: true,
            // A tab in the background runs slower: give an answer a minute before the guest is given up.
            watchdog: { intervalMs: 10_000, timeoutMs: 60_000 },
          }),
          // A WebAssembly container runs in a nested worker of its own, no guest at all
          // (written out for Vite: it bundles the worker it finds in this expression).
          wasiRuntime({ spawnWorker: () => fromWebWorker(new Worker(new URL('../wasi/worker.ts', import.meta.url), { type: 'module', name: 'tabdock-wasi' })) }),
        ],
        network: { link: this.networkLink(), ports },
        // From the site's guest assets, verified against the sums they were built with, then kept in the store.
        emulators: { load: (e) => loadEmulatorAsset(new URL(cfg.assets), e.file) },
      });
      // A page that loads again is Docker's daemon start: `--restart always` & co come back.
      await engine.startByPolicy();
      return { engine, ports, close: () => [blobs, chunks, meta].forEach((s) => s.dispose()) };
    })();
    const opening = this.opened;
    opening.catch(() => {
      if (this.opened === opening) this.opened = undefined;
    });
    return opening;
  }

  private async startGuest(handle9p: Handle9p, cfg: WorkerConfig): Promise<Guest> {
    try {
      this.setBoot({ phase: 'downloading', loaded: 0, total: 0 });
      const assets = await loadGuestAssets(new URL(cfg.assets), (loaded, total) => this.setBoot({ phase: 'downloading', loaded, total }), fetch, cfg.memoryBytes);
      this.setBoot({ phase: assets.state ? 'restoring' : 'booting' });
      const guest = await Guest.start({ images: assets.images, wasm: assets.wasm, handle9p, ...(assets.state ? { state: assets.state } : {}), ...(assets.memoryBytes !== undefined ? { memoryBytes: assets.memoryBytes } : {}) });
      // A restored guest wakes at the snapshot's time.
      if (assets.state) await guest.agent.setTime(Date.now());
      this.setBoot({ phase: 'ready' });
      return guest;
    } catch (e) {
      this.setBoot({ phase: 'failed', error: serialise(e) });
      throw e;
    }
  }
}

/**
 * The calls one RPC call's callbacks made to the page, until the page has answered them
 * (comlink answers once the page's function has run). Listed in the worker's set while
 * the call's callbacks live.
 */
class Delivered {
  private readonly pending = new Set<Promise<void>>();

  constructor(private readonly all: Set<Delivered>) {
    all.add(this);
  }

  /** The callback as given to the engine: each call it makes is tracked. */
  track(a: unknown): unknown {
    if (typeof a !== 'function') return a;
    const f = a as (...x: unknown[]) => unknown;
    return (...x: unknown[]) => {
      const p = Promise.resolve(f(...x));
      const settled: Promise<void> = p.then(
        () => void this.pending.delete(settled),
        () => void this.pending.delete(settled),
      );
      this.pending.add(settled);
      return p;
    };
  }

  unanswered(): Promise<void>[] {
    return [...this.pending];
  }

  /** The callbacks were released: their unanswered calls never will be. */
  forget(): void {
    this.pending.clear();
    this.all.delete(this);
  }
}

function once(f: () => void): () => void {
  let done = false;
  return () => {
    if (!done) {
      done = true;
      f();
    }
  };
}

/** A function from the page is a comlink proxy: releasing it closes its port on both sides. */
function releaseIfProxy(a: unknown): void {
  if (typeof a === 'function') (a as Remote<() => void>)[releaseProxy]();
}

function serialise(e: unknown): SerializedError {
  return TabdockError.is(e) ? e.toJSON() : { name: 'TabdockError', code: 'INTERNAL', message: e instanceof Error ? e.message : String(e), data: {}, retryable: false };
}
