/**
 * The browser composition root: the engine on IndexedDB stores, the registry client behind
 * the CORS proxy, the guest from the site's static snapshot. Lives in the Web Worker
 * (worker.ts exposes it through comlink); the page sees it as a BrowserEngine (client.ts).
 */
import { deleteDB } from 'idb';
import { proxy as byReference } from 'comlink';
import { IdbBlobStore, IdbMetaStore, LayerStore } from '../../fs-layers/index.ts';
import { Guest, type Handle9p } from '../../emulator/index.ts';
import { loadGuestAssets } from '../../emulator/guest-assets.ts';
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
import type { BootStatus, EngineEvent } from './events.ts';
import { CONTAINER_CHANGES, ENGINE_METHODS, IMAGE_CHANGES, RETURNS_HANDLE, VOLUME_CHANGES } from './engine-methods.ts';

export interface WorkerConfig {
  /** CORS proxy base URL (`<origin>/proxy` with `npm run dev`). */
  proxy: string;
  /** Where the guest's manifest.json and files are served. */
  assets: string;
  /** IndexedDB database name prefix. */
  db: string;
}

const DB_PARTS = ['blobs', 'chunks', 'meta'] as const;

interface Opened {
  engine: Engine;
  close(): void;
}

export class WorkerHost {
  private opened: Promise<Opened> | undefined;
  private config: WorkerConfig | undefined;
  private listeners = new Set<(e: EngineEvent) => void>();
  private boot: BootStatus = { phase: 'idle' };
  private watch: ReturnType<typeof setInterval> | undefined;
  private lastStates = '';
  private resetting = false;

  /** Sets where things are; the stores open on first use. */
  async init(config: WorkerConfig): Promise<void> {
    this.config = config;
  }

  /** One listener per page connection (the page fans events out to its own subscribers). */
  async listen(onEvent: (e: EngineEvent) => void): Promise<void> {
    this.listeners.add(onEvent);
    onEvent({ type: 'boot', status: this.boot });
  }

  async bootStatus(): Promise<BootStatus> {
    return this.boot;
  }

  async warmUp(): Promise<void> {
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

  /** Calls an EngineApi method on the engine, announcing what may have changed. */
  async call(method: (typeof ENGINE_METHODS)[number], ...args: unknown[]): Promise<unknown> {
    if (this.resetting) throw new TabdockError('RESETTING', 'The store is being reset; the page reloads when it is done.', {});
    const { engine } = await this.open();
    if (method === 'pull') return this.pull(engine, args);
    const fn = engine[method] as (...a: unknown[]) => Promise<unknown>;
    try {
      const r = await fn.apply(engine, args);
      return RETURNS_HANDLE.has(method) && r ? byReference(r as object) : r;
    } finally {
      if (CONTAINER_CHANGES.has(method)) this.containersChanged(engine);
      if (IMAGE_CHANGES.has(method)) this.emit({ type: 'images' });
      if (VOLUME_CHANGES.has(method)) this.emit({ type: 'volumes' });
    }
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
    } finally {
      this.emit({ type: 'images' });
    }
  }

  private emit(e: EngineEvent): void {
    for (const l of this.listeners) {
      // A page that went away leaves a dead port: drop its listener.
      Promise.resolve(l(e)).catch(() => this.listeners.delete(l));
    }
  }

  private setBoot(s: BootStatus): void {
    this.boot = s;
    this.emit({ type: 'boot', status: s });
  }

  /** Announces container changes now, and while any run, whenever their states move. */
  private containersChanged(engine: Engine): void {
    this.emit({ type: 'containers' });
    if (this.watch) return;
    this.watch = setInterval(() => {
      void engine.listContainers({ all: true }).then((list) => {
        const states = list.map((c) => `${c.Id}:${c.State}`).join(',');
        if (states !== this.lastStates) {
          this.lastStates = states;
          this.emit({ type: 'containers' });
        }
        if (!engine.busy) this.stopWatch();
      }, () => this.stopWatch());
    }, 500);
  }

  private stopWatch(): void {
    clearInterval(this.watch);
    this.watch = undefined;
  }

  private requireConfig(): WorkerConfig {
    if (!this.config) throw new TabdockError('WORKER_NOT_INITIALISED', 'The engine worker was used before init().', {});
    return this.config;
  }

  private open(): Promise<Opened> {
    const cfg = this.requireConfig();
    if (this.resetting) return Promise.reject(new TabdockError('RESETTING', 'The store is being reset; the page reloads when it is done.', {}));
    this.opened ??= (async () => {
      const [blobs, chunks, meta] = await Promise.all([IdbBlobStore.open(`${cfg.db}-blobs`), IdbBlobStore.open(`${cfg.db}-chunks`), IdbMetaStore.open(`${cfg.db}-meta`)]);
      const layers = new LayerStore({ chunks, meta });
      const engine = await createEngine({
        stores: { blobs, meta, layers },
        registry: new RegistryClient({ proxy: cfg.proxy }),
        runtimes: [
          // The guest restores when the first Linux container starts, or at warmUp().
          guestRuntime({
            startGuest: (h) => this.startGuest(h, cfg),
            // A tab in the background runs slower: give an answer a minute before the guest is given up.
            watchdog: { intervalMs: 10_000, timeoutMs: 60_000 },
          }),
          // A WebAssembly container runs in a nested worker of its own, no guest at all
          // (written out for Vite: it bundles the worker it finds in this expression).
          wasiRuntime({ spawnWorker: () => fromWebWorker(new Worker(new URL('../wasi/worker.ts', import.meta.url), { type: 'module', name: 'tabdock-wasi' })) }),
        ],
      });
      return { engine, close: () => [blobs, chunks, meta].forEach((s) => s.dispose()) };
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
      const assets = await loadGuestAssets(new URL(cfg.assets), (loaded, total) => this.setBoot({ phase: 'downloading', loaded, total }));
      this.setBoot({ phase: assets.state ? 'restoring' : 'booting' });
      const guest = await Guest.start({ images: assets.images, wasm: assets.wasm, handle9p, ...(assets.state ? { state: assets.state } : {}) });
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

function serialise(e: unknown): SerializedError {
  return TabdockError.is(e) ? e.toJSON() : { name: 'TabdockError', code: 'INTERNAL', message: e instanceof Error ? e.message : String(e), data: {}, retryable: false };
}
