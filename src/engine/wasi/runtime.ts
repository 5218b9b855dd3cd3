import { TabdockError } from '../../shared/errors.ts';
import type { ContainerRuntime, RuntimeProcess, StartRequest } from '../containers/runtime.ts';
import type { RuntimeRegistration } from '../containers/runtimes.ts';
import { ModuleCache, checkLinkage, findModule } from './module.ts';
import { startWasiProcess } from './process.ts';
import type { SpawnWorker, WasiWorker } from './protocol.ts';
import { checkWasiOptions, wasiSpec, type WasiProcessSpec } from './spec.ts';
import { TreeMirror, snapshotTree } from './tree-mirror.ts';

export interface WasiRuntimeDeps {
  /** Makes a worker running worker.ts (Node: node.ts `nodeWasiWorker`; a page: `fromWebWorker(new Worker(...))`). */
  spawnWorker: SpawnWorker;
  /** Bytes of files a container may have: its tree is copied into the worker (default 512 MiB). */
  maxTreeBytes?: number;
  /** Compiled modules kept (default 16). */
  moduleCacheSize?: number;
  /** Live stdin through SharedArrayBuffer (default: when available). */
  shareMemory?: boolean;
}

/**
 * WebAssembly containers (`wasi/wasm`, `wasip1/wasm`): each run is one worker running the
 * module through browser_wasi_shim, on the container's tree the start request hands over
 * (image layers + writable layer, the same ContainerFs the guest would serve; its working
 * directory already made), with no guest at all. Node and the
 * browser share this code; only `spawnWorker` differs. See README.md for the design.
 */
export class WasiRuntime implements ContainerRuntime {
  private readonly modules: ModuleCache;
  private readonly pool: WorkerPool;

  constructor(private readonly deps: WasiRuntimeDeps) {
    this.modules = new ModuleCache(deps.moduleCacheSize);
    this.pool = new WorkerPool(deps.spawnWorker);
  }

  async start(req: StartRequest): Promise<RuntimeProcess> {
    const c = req.container;
    const proc = req.spec['process'] as WasiProcessSpec | undefined;
    if (!proc) throw new TabdockError('INVALID_CONFIG', `container ${c.Id} has no WASI process spec`, {}, { exitCode: 125 });
    const fs = req.rootfs;
    const ref = findModule(fs, proc.args[0] ?? '', proc.cwd, proc.env);
    // An image's file the container did not change: one compilation for every run of the image.
    const key = ref.node.rw ? undefined : `${c.Image}:${ref.path}`;
    const module = await this.modules.load(key, async () => fs.read(ref.node, 0, ref.node.size), ref.path);
    checkLinkage(module, ref);
    const tree = await snapshotTree(fs, this.deps.maxTreeBytes ?? 512 << 20);
    const memory = c.RunOptions.memory;
    return startWasiProcess({
      worker: this.pool.take(),
      release: (w) => this.pool.release(w),
      run: {
        type: 'run', module, func: ref.func, args: proc.args, env: proc.env, tree: tree.entries, aliases: tree.aliases, nextId: tree.nextId,
        tty: req.tty, readOnly: c.HostConfig.ReadonlyRootfs, ...(memory ? { memoryLimit: memory } : {}),
      },
      transfer: tree.transfer,
      mirror: new TreeMirror(fs, tree.nodes),
      fs,
      interactive: c.Config.OpenStdin,
      ...(this.deps.shareMemory !== undefined ? { shareMemory: this.deps.shareMemory } : {}),
    });
  }

  async exec(): Promise<RuntimeProcess> {
    throw new TabdockError('UNSUPPORTED', 'exec is not supported in WebAssembly (wasi/wasm) containers: a module is a single process', {}, { exitCode: 126 });
  }

  async dispose(): Promise<void> {
    this.pool.dispose();
    this.modules.clear();
  }
}

/** The WASI runtime as the engine registers it: `wasi/wasm` and `wasip1/wasm` images, made on first need. */
export function wasiRuntime(deps: WasiRuntimeDeps): RuntimeRegistration {
  return { driver: 'tabdock-wasi', platforms: ['wasi/wasm', 'wasip1/wasm'], buildSpec: wasiSpec, checkOptions: checkWasiOptions, open: () => new WasiRuntime(deps) };
}

/**
 * Workers ready to run a module, so a run does not wait for one to load (a thread and the
 * shim: tens of ms in Node). A worker whose module ended by itself serves the next run (each
 * run has its own shim, instance and memory; nothing of the last one is reachable); one
 * that was killed is gone. One spare is made in the background whenever none is idle.
 */
class WorkerPool {
  private readonly idle: { worker: WasiWorker; failed: boolean; off: () => void }[] = [];
  private disposed = false;

  constructor(private readonly spawn: SpawnWorker, private readonly keep = 2) {}

  take(): WasiWorker {
    let w: WasiWorker | undefined;
    for (let s = this.idle.pop(); s && !w; s = this.idle.pop()) {
      s.off();
      if (s.failed) s.worker.terminate();
      else w = s.worker;
    }
    w ??= this.spawn();
    w.ref?.();
    setTimeout(() => this.idle.length === 0 && this.add(this.spawn()), 0);
    return w;
  }

  release(worker: WasiWorker): void {
    if (this.disposed || this.idle.length >= this.keep) worker.terminate();
    else this.add(worker);
  }

  private add(worker: WasiWorker): void {
    if (this.disposed) return worker.terminate();
    const s = { worker, failed: false, off: () => {} };
    s.off = worker.onError(() => (s.failed = true));
    worker.unref?.();
    this.idle.push(s);
  }

  dispose(): void {
    this.disposed = true;
    for (const s of this.idle.splice(0)) s.worker.terminate();
  }
}
