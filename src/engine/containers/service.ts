import type { MetaStore } from '../../fs-layers/index.ts';
import { TabdockError } from '../../shared/errors.ts';
import type { ImageRecord } from '../image-record.ts';
import type { ImageService } from '../images.ts';
import { ContainerLogs, type LogEntry } from './logs.ts';
import { generateName, VALID_NAME } from './names.ts';
import { freshState, type ContainerConfig, type ContainerRecord, type HostConfig, type MountPoint } from './record.ts';
import type { ContainerRuntime, RuntimeProcess } from './runtime.ts';
import { ContainerStore } from './store.ts';

/** Builds config.json for a container from its record, its image and its files. */
export type SpecBuilder = (c: ContainerRecord, image: ImageRecord, readFile: (path: string) => Promise<string | undefined>) => Promise<Record<string, unknown>>;

export interface CreateRequest {
  image: string;
  name?: string;
  config: Partial<ContainerConfig>;
  hostConfig: Partial<HostConfig>;
  mounts?: MountPoint[];
}

export interface Attachment {
  write(data: Uint8Array): Promise<void>;
  closeStdin(): Promise<void>;
  resize(cols: number, rows: number): Promise<void>;
  detach(): Promise<void>;
}

export interface ContainerServiceDeps {
  meta: MetaStore;
  images: ImageService;
  /** The runtime for a record (started on first need: the guest boots only when a container runs). */
  runtime: (c: ContainerRecord) => Promise<ContainerRuntime>;
  buildSpec: SpecBuilder;
  now?: () => Date;
  randomId?: () => string;
}

interface Live {
  proc: RuntimeProcess;
  listeners: Set<(chunk: Uint8Array, fd: 1 | 2) => void>;
  exited: Promise<ContainerRecord>;
}

const RUNNING = 'running';

/** Docker's container lifecycle over a runtime: create, start, attach, wait, stop, kill, rm. */
export class ContainerService {
  readonly store: ContainerStore;
  readonly logs: ContainerLogs;
  private readonly live = new Map<string, Live>();
  private readonly now: () => Date;

  constructor(private readonly deps: ContainerServiceDeps) {
    this.store = new ContainerStore(deps.meta);
    this.now = deps.now ?? (() => new Date());
    this.logs = new ContainerLogs(deps.meta, this.now);
  }

  /** After a restart of the daemon or page: what was running is not any more, and says why. */
  async reconcile(reason = 'the engine stopped while the container was running'): Promise<void> {
    for (const c of await this.store.list()) {
      if (c.State.Running && !this.live.has(c.Id)) await this.finish(c, { code: 137, error: reason });
    }
  }

  async create(req: CreateRequest): Promise<{ Id: string; Warnings: string[] }> {
    const image = await this.deps.images.get(req.image);
    if (req.name !== undefined && !VALID_NAME.test(req.name)) {
      throw new TabdockError('FLAG_ERROR', `Invalid container name (${req.name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`, {});
    }
    const all = await this.store.list();
    const taken = new Set(all.map((c) => c.Name));
    if (req.name && taken.has(`/${req.name.replace(/^\//, '')}`)) {
      const other = all.find((c) => c.Name === `/${req.name!.replace(/^\//, '')}`)!;
      throw new TabdockError('CONFLICT', `Conflict. The container name "/${req.name.replace(/^\//, '')}" is already in use by container "${other.Id}". You have to remove (or rename) that container to be able to reuse that name.`, {});
    }
    const id = this.deps.randomId?.() ?? randomHex(32);
    const name = req.name ? req.name.replace(/^\//, '') : generateName((n) => taken.has(`/${n}`));
    const ic = image.config.config ?? {};
    const config: ContainerConfig = {
      Hostname: id.slice(0, 12), User: ic.User ?? '', Tty: false, OpenStdin: false, AttachStdin: false, AttachStdout: true, AttachStderr: true,
      Env: ic.Env ?? [], Cmd: ic.Cmd ?? null, Entrypoint: ic.Entrypoint ?? null, Image: req.image, WorkingDir: ic.WorkingDir ?? '',
      Labels: ic.Labels ?? {}, ...(ic.StopSignal ? { StopSignal: ic.StopSignal } : {}), ...stripUndefined(req.config),
    };
    const hostConfig: HostConfig = {
      AutoRemove: false, Privileged: false, ReadonlyRootfs: false, CapAdd: null, CapDrop: null, SecurityOpt: null, Memory: 0, MemorySwap: 0,
      NanoCpus: 0, PidsLimit: null, Tmpfs: null, Binds: null, NetworkMode: 'none', Init: false, ...stripUndefined(req.hostConfig),
    };
    const args = [...(config.Entrypoint ?? []), ...(config.Cmd ?? [])];
    const rec: ContainerRecord = {
      Id: id, Name: `/${name}`, Created: this.now().toISOString(), Path: args[0] ?? '', Args: args.slice(1), State: freshState(),
      Image: image.id, Config: config, HostConfig: hostConfig, Mounts: req.mounts ?? [],
      Platform: image.platform.os, Driver: image.platform.os === 'linux' ? 'tabdock-guest' : 'tabdock-wasi', RestartCount: 0,
    };
    await this.store.save(rec);
    try {
      await (await this.deps.runtime(rec)).prepare(rec);
    } catch (e) {
      await this.store.delete(id);
      throw e;
    }
    return { Id: id, Warnings: [] };
  }

  async start(ref: string, opts: { cols?: number; rows?: number } = {}): Promise<void> {
    const c = await this.store.find(ref);
    if (c.State.Running) return; // Docker: starting a running container is a no-op
    const image = await this.deps.images.get(c.Image);
    const runtime = await this.deps.runtime(c);
    const readText = async (p: string) => {
      const b = await runtime.readFile(c, p);
      return b ? new TextDecoder().decode(b) : undefined;
    };
    const spec = await this.deps.buildSpec(c, image, readText);
    const proc = await runtime.start({ container: c, spec, tty: c.Config.Tty, ...opts });
    // Attachments made before start get everything, the first bytes included.
    const listeners = new Set(this.pendingAttach.get(c.Id) ?? []);
    this.pendingAttach.delete(c.Id);
    proc.onOutput((chunk, fd) => {
      this.logs.append(c.Id, fd === 2 ? 'stderr' : 'stdout', chunk);
      for (const l of listeners) l(chunk, fd);
    });
    c.State = { ...freshState(), Status: RUNNING, Running: true, Pid: 1, StartedAt: this.now().toISOString() };
    await this.store.save(c);
    const exited = proc.exit.then((end) => this.finish(c, end));
    this.live.set(c.Id, { proc, listeners, exited });
  }

  private async finish(c: ContainerRecord, end: { code: number; oomKilled?: boolean; error?: string }): Promise<ContainerRecord> {
    await this.logs.flush(c.Id);
    const fresh = (await this.store.get(c.Id)) ?? c;
    fresh.State = { ...fresh.State, Status: 'exited', Running: false, Pid: 0, ExitCode: end.code, OOMKilled: end.oomKilled ?? false, Error: end.error ?? '', FinishedAt: this.now().toISOString() };
    this.live.delete(c.Id);
    await this.store.save(fresh);
    if (fresh.HostConfig.AutoRemove) await this.remove(fresh.Id, { force: true }).catch(() => {});
    return fresh;
  }

  /** Attaches to a container's output (and stdin): before `start` to miss nothing. */
  async attach(ref: string, onOutput: (chunk: Uint8Array, fd: 1 | 2) => void): Promise<Attachment> {
    const c = await this.store.find(ref);
    const live = this.live.get(c.Id);
    if (live) live.listeners.add(onOutput);
    else {
      const set = this.pendingAttach.get(c.Id) ?? new Set();
      set.add(onOutput);
      this.pendingAttach.set(c.Id, set);
    }
    const proc = () => this.live.get(c.Id)?.proc;
    return {
      write: async (d) => void (await proc()?.write(d)),
      closeStdin: async () => proc()?.closeStdin(),
      resize: async (cols, rows) => proc()?.resize(cols, rows),
      detach: async () => {
        this.live.get(c.Id)?.listeners.delete(onOutput);
        this.pendingAttach.get(c.Id)?.delete(onOutput);
      },
    };
  }

  private readonly pendingAttach = new Map<string, Set<(chunk: Uint8Array, fd: 1 | 2) => void>>();

  /** Resolves with the exit code once the container is not running. */
  async wait(ref: string): Promise<{ StatusCode: number; Error?: string }> {
    const c = await this.store.find(ref);
    const l = this.live.get(c.Id);
    const done = l ? await l.exited : c;
    return { StatusCode: done.State.ExitCode, ...(done.State.Error ? { Error: done.State.Error } : {}) };
  }

  async kill(ref: string, signal = 9): Promise<void> {
    const c = await this.store.find(ref);
    const l = this.live.get(c.Id);
    if (!l) throw new TabdockError('CONFLICT', `Cannot kill container: ${ref}: container ${c.Id} is not running`, {});
    await l.proc.kill(signal);
  }

  /** StopSignal (default SIGTERM), then SIGKILL after the timeout (default 10 s). */
  async stop(ref: string, timeoutSeconds?: number, stopSignal = 15): Promise<void> {
    const c = await this.store.find(ref);
    const l = this.live.get(c.Id);
    if (!l) return;
    const t = timeoutSeconds ?? c.Config.StopTimeout ?? 10;
    await l.proc.kill(stopSignal).catch(() => {});
    const timer = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), t * 1000));
    if ((await Promise.race([l.exited, timer])) === 'timeout') {
      await l.proc.kill(9).catch(() => {});
      await l.exited;
    }
  }

  async remove(ref: string, opts: { force?: boolean; volumes?: boolean } = {}): Promise<string> {
    const c = await this.store.find(ref);
    if (this.live.has(c.Id)) {
      if (!opts.force) throw new TabdockError('CONFLICT', `cannot remove container "${c.Name}": container is running: stop the container before removing or force remove`, {});
      await this.kill(c.Id, 9).catch(() => {});
      await this.live.get(c.Id)?.exited;
    }
    await (await this.deps.runtime(c)).remove(c);
    await this.logs.remove(c.Id);
    await this.store.delete(c.Id);
    return c.Id;
  }

  async readLogs(ref: string): Promise<LogEntry[]> {
    return this.logs.read((await this.store.find(ref)).Id);
  }

  isRunning(id: string): boolean {
    return this.live.has(id);
  }

  /** A running container's process handle, for exec and stats. */
  process(id: string): RuntimeProcess | undefined {
    return this.live.get(id)?.proc;
  }

  /** Waits for every running container's exit (used when the engine shuts down). */
  async exitedAll(): Promise<void> {
    await Promise.all([...this.live.values()].map((l) => l.exited));
  }
}

function randomHex(bytes: number): string {
  const b = new Uint8Array(bytes);
  crypto.getRandomValues(b);
  return [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
