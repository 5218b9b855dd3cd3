import type { MetaStore } from '../../fs-layers/index.ts';
import { TabdockError } from '../../shared/errors.ts';
import type { ImageRecord } from '../image-record.ts';
import type { ImageService } from '../images.ts';
import { ContainerLogs, type LogEntry } from './logs.ts';
import { generateName, VALID_NAME } from './names.ts';
import type { RunOptions } from '../spec/run-options.ts';
import { freshState, type ContainerConfig, type ContainerRecord, type HostConfig, type MountPoint } from './record.ts';
import type { ContainerRuntime, RuntimeProcess } from './runtime.ts';
import { ContainerStore } from './store.ts';
import { checkWasiOptions, driverFor } from '../wasi/spec.ts';
import { anonymousVolumeTargets } from '../spec/container-config.ts';
import { ANONYMOUS_LABEL, type VolumeService } from '../volumes.ts';
import { STREAM_END } from '../rpc-contract.ts';
import { NO_EVENTS, type ContainerEvent, type EventPublisher } from '../events.ts';

/** Builds config.json for a container from its record, its image and its files. */
export type SpecBuilder = (c: ContainerRecord, image: ImageRecord, readFile: (path: string) => Promise<string | undefined>) => Promise<Record<string, unknown>>;

export interface CreateRequest {
  /** The image as the user named it (resolved to an ID at create). */
  image: string;
  /** Everything the `run`/`create` flags said (engine/spec parses them). */
  options: RunOptions;
}

export interface Attachment {
  write(data: Uint8Array): Promise<void>;
  closeStdin(): Promise<void>;
  resize(cols: number, rows: number): Promise<void>;
  detach(): Promise<void>;
  /** Engine side only: resolves when the stream ended (detached, or the container exited). */
  readonly [STREAM_END]?: Promise<void>;
}

export interface ContainerServiceDeps {
  meta: MetaStore;
  images: ImageService;
  /** The runtime for a record (started on first need: the guest boots only when a container runs). */
  runtime: (c: ContainerRecord) => Promise<ContainerRuntime>;
  buildSpec: SpecBuilder;
  /** Named and anonymous volumes; absent: `-v`/`--mount` volumes are refused. */
  volumes?: VolumeService;
  /** Where create/start/die/destroy are published (this service sees them happen). */
  events?: EventPublisher;
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
  private readonly events: EventPublisher;
  /** Attach streams not yet ended, by container: the container's exit ends them. */
  private readonly attachEnds = new Map<string, Set<() => void>>();

  constructor(private readonly deps: ContainerServiceDeps) {
    this.store = new ContainerStore(deps.meta);
    this.now = deps.now ?? (() => new Date());
    this.logs = new ContainerLogs(deps.meta, this.now);
    this.events = deps.events ?? NO_EVENTS;
  }

  private publish(action: 'create' | 'start' | 'destroy', c: ContainerRecord): void;
  private publish(action: 'die', c: ContainerRecord, exitCode: number): void;
  private publish(action: ContainerEvent['action'], c: ContainerRecord, exitCode?: number): void {
    const base = { type: 'container' as const, id: c.Id, name: c.Name.slice(1), image: c.Config.Image, time: this.now().toISOString() };
    this.events.publish(action === 'die' ? { ...base, action, exitCode: exitCode! } : { ...base, action });
  }

  /** After a restart of the daemon or page: what was running is not any more, and says why. */
  async reconcile(reason = 'the engine stopped while the container was running'): Promise<void> {
    for (const c of await this.store.list()) {
      if (c.State.Running && !this.live.has(c.Id)) await this.finish(c, { code: 137, error: reason });
    }
  }

  async create(req: CreateRequest): Promise<{ Id: string; Warnings: string[] }> {
    const o = req.options;
    const bind = o.volumes.find((v) => v.type === 'bind');
    if (bind) throw new TabdockError('UNSUPPORTED', `bind mounts (${bind.source}:${bind.target}) need a host directory, and tabdock's guest has no host file system to share; use a named volume instead (-v NAME:${bind.target})`, { exitCode: 125 });
    if (o.volumes.length && !this.deps.volumes) throw new TabdockError('UNSUPPORTED', 'this engine has no volume store; -v/--mount volumes are not available', { exitCode: 125 });
    const image = await this.deps.images.get(req.image);
    const driver = driverFor(image.platform);
    if (driver === 'tabdock-wasi') checkWasiOptions(o);
    const all = await this.store.list();
    const taken = new Set(all.map((c) => c.Name));
    const wanted = o.name?.replace(/^\//, '');
    if (wanted !== undefined && !VALID_NAME.test(wanted)) {
      throw new TabdockError('FLAG_ERROR', `Invalid container name (${wanted}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`, {});
    }
    if (wanted && taken.has(`/${wanted}`)) {
      const other = all.find((c) => c.Name === `/${wanted}`)!;
      throw new TabdockError('CONFLICT', `Conflict. The container name "/${wanted}" is already in use by container "${other.Id}". You have to remove (or rename) that container to be able to reuse that name.`, {});
    }
    const id = this.deps.randomId?.() ?? randomHex(32);
    const name = wanted ?? generateName((n) => taken.has(`/${n}`));
    const ic = image.config.config ?? {};
    // moby's merge: --entrypoint replaces the image's and clears its Cmd; args replace Cmd.
    const entrypoint = o.entrypoint !== undefined ? (o.entrypoint === '' ? null : [o.entrypoint]) : (ic.Entrypoint ?? null);
    const cmd = o.cmd.length ? o.cmd : o.entrypoint !== undefined ? null : (ic.Cmd ?? null);
    const config: ContainerConfig = {
      Hostname: o.hostname ?? id.slice(0, 12), User: o.user ?? ic.User ?? '', Tty: o.tty, OpenStdin: o.interactive, AttachStdin: o.interactive && !o.detach,
      AttachStdout: !o.detach, AttachStderr: !o.detach, Env: o.env, Cmd: cmd, Entrypoint: entrypoint, Image: req.image,
      WorkingDir: o.workdir ?? ic.WorkingDir ?? '', Labels: { ...(ic.Labels ?? {}), ...o.labels },
      ...((o.stopSignal ?? ic.StopSignal) ? { StopSignal: o.stopSignal ?? ic.StopSignal } : {}), ...(o.stopTimeout !== undefined ? { StopTimeout: o.stopTimeout } : {}),
    };
    const hostConfig: HostConfig = {
      AutoRemove: o.rm, Privileged: o.privileged, ReadonlyRootfs: o.readOnly, CapAdd: o.capAdd.length ? o.capAdd : null, CapDrop: o.capDrop.length ? o.capDrop : null,
      SecurityOpt: [...(o.seccomp === 'unconfined' ? ['seccomp=unconfined'] : []), ...(o.noNewPrivileges ? ['no-new-privileges'] : [])],
      Memory: o.memory ?? 0, MemorySwap: o.memorySwap ?? 0, NanoCpus: o.nanoCpus ?? 0, PidsLimit: o.pidsLimit ?? null,
      Tmpfs: o.tmpfs.length ? Object.fromEntries(o.tmpfs.map((t) => [t.target, t.data])) : null,
      Binds: null, NetworkMode: o.network === 'default' ? 'none' : o.network, Init: o.init,
    };
    const args = [...(entrypoint ?? []), ...(cmd ?? [])];
    if (args.length === 0) throw new TabdockError('NO_COMMAND', 'No command specified', {});
    const rec: ContainerRecord = {
      Id: id, Name: `/${name}`, Created: this.now().toISOString(), Path: args[0]!, Args: args.slice(1), State: freshState(),
      Image: image.id, Config: config, HostConfig: hostConfig,
      Mounts: [
        ...(await this.volumeMounts(image.config.config, o)),
        ...o.tmpfs.map((t): MountPoint => ({ Type: 'tmpfs', Source: '', Destination: t.target, Mode: t.data, RW: true })),
      ],
      Platform: image.platform.os, Driver: driver, RestartCount: 0, RunOptions: o,
    };
    await this.store.save(rec);
    try {
      await (await this.deps.runtime(rec)).prepare(rec);
    } catch (e) {
      await this.store.delete(id);
      await this.removeAnonymousVolumes(rec);
      throw e;
    }
    this.publish('create', rec);
    return { Id: id, Warnings: [] };
  }

  async start(ref: string, opts: { cols?: number; rows?: number } = {}): Promise<void> {
    const c = await this.store.find(ref);
    // Docker: starting a running container is a no-op (a record that says running with no
    // live process is stale, e.g. read while its exit was being saved: start it).
    if (c.State.Running && this.live.has(c.Id)) return;
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
    // Without -i the container's stdin is empty, as Docker gives it /dev/null.
    if (!c.Config.OpenStdin) proc.closeStdin();
    c.State = { ...freshState(), Status: RUNNING, Running: true, Pid: 1, StartedAt: this.now().toISOString() };
    await this.store.save(c);
    const exited = proc.exit.then((end) => this.finish(c, end));
    this.live.set(c.Id, { proc, listeners, exited });
    this.publish('start', c);
    const early = this.earlyStdin.get(c.Id);
    this.earlyStdin.delete(c.Id);
    if (early && c.Config.OpenStdin) {
      for (const d of early.data) void proc.write(d);
      if (early.closed) proc.closeStdin();
    }
  }

  private async finish(c: ContainerRecord, end: { code: number; oomKilled?: boolean; error?: string }): Promise<ContainerRecord> {
    await this.logs.flush(c.Id);
    const fresh = (await this.store.get(c.Id)) ?? c;
    // A status below 0 means the runtime went away under it (guest stopped or crashed):
    // reported like a kill, with the reason, as `reconcile` does after a restart.
    if (end.code < 0) end = { code: 137, error: end.error ?? 'the guest stopped while the container was running' };
    fresh.State = { ...fresh.State, Status: 'exited', Running: false, Pid: 0, ExitCode: end.code, OOMKilled: end.oomKilled ?? false, Error: end.error ?? '', FinishedAt: this.now().toISOString() };
    // Saved before the process leaves `live`: a `wait` in between must not read the old state.
    await this.store.save(fresh);
    this.live.delete(c.Id);
    this.publish('die', fresh, end.code);
    const ends = this.attachEnds.get(c.Id);
    this.attachEnds.delete(c.Id);
    ends?.forEach((f) => f());
    if (fresh.HostConfig.AutoRemove) {
      this.autoRemoved.set(fresh.Id, { name: fresh.Name.slice(1), end: { StatusCode: end.code, ...(end.error ? { Error: end.error } : {}) } });
      if (this.autoRemoved.size > 64) this.autoRemoved.delete(this.autoRemoved.keys().next().value!);
      await this.remove(fresh.Id, { force: true, volumes: true }).catch(() => {});
    }
    return fresh;
  }

  /**
   * How recent `--rm` containers ended: a run may end and be removed before its `wait`
   * arrives (a WebAssembly module can finish in milliseconds), and `run` must still get
   * the status, as Docker's waits on "removed".
   */
  private readonly autoRemoved = new Map<string, { name: string; end: { StatusCode: number; Error?: string } }>();

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
    // Input that comes before `start` (a pipe into `run -i`) waits for the process.
    const early = () => {
      const e = this.earlyStdin.get(c.Id) ?? { data: [], closed: false };
      this.earlyStdin.set(c.Id, e);
      return e;
    };
    // The stream ends at detach or at the container's exit (transports release its handles then).
    let endStream!: () => void;
    const ended = new Promise<void>((r) => (endStream = r));
    const ends = this.attachEnds.get(c.Id) ?? new Set();
    ends.add(endStream);
    this.attachEnds.set(c.Id, ends);
    return {
      [STREAM_END]: ended,
      write: async (d) => {
        const p = proc();
        if (p) await p.write(d);
        else early().data.push(new Uint8Array(d));
      },
      closeStdin: async () => {
        const p = proc();
        if (p) p.closeStdin();
        else early().closed = true;
      },
      resize: async (cols, rows) => proc()?.resize(cols, rows),
      detach: async () => {
        this.live.get(c.Id)?.listeners.delete(onOutput);
        this.pendingAttach.get(c.Id)?.delete(onOutput);
        this.attachEnds.get(c.Id)?.delete(endStream);
        endStream();
      },
    };
  }

  private readonly pendingAttach = new Map<string, Set<(chunk: Uint8Array, fd: 1 | 2) => void>>();
  private readonly earlyStdin = new Map<string, { data: Uint8Array[]; closed: boolean }>();

  /** Resolves with the exit code once the container is not running. */
  async wait(ref: string): Promise<{ StatusCode: number; Error?: string }> {
    const c = await this.store.find(ref).catch((e: unknown) => {
      const gone = [...this.autoRemoved].find(([id, r]) => id.startsWith(ref) || r.name === ref.replace(/^\//, ''));
      if (gone) return gone[1].end;
      throw e;
    });
    if (!('Id' in c)) return c;
    const l = this.live.get(c.Id);
    // Not live: read it again, the record found may predate an exit saved since.
    const done = l ? await l.exited : ((await this.store.get(c.Id)) ?? c);
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
    this.earlyStdin.delete(c.Id);
    await this.store.delete(c.Id);
    this.attachEnds.get(c.Id)?.forEach((f) => f());
    this.attachEnds.delete(c.Id);
    this.publish('destroy', c);
    // `rm -v` and `run --rm` take the container's anonymous volumes with it; named ones stay.
    if (opts.volumes) await this.removeAnonymousVolumes(c);
    return c.Id;
  }

  /**
   * The volumes a new container mounts: `-v NAME:/path` (created when missing), `-v /path`
   * and the image's VOLUMEs not covered otherwise (anonymous: a fresh random name each).
   */
  private async volumeMounts(ic: Parameters<typeof anonymousVolumeTargets>[0], o: RunOptions): Promise<MountPoint[]> {
    const vs = this.deps.volumes;
    if (!vs) return [];
    const out: MountPoint[] = [];
    for (const v of o.volumes) {
      if (v.source === undefined) continue;
      const rec = await vs.create(v.source);
      out.push({ Type: 'volume', Name: rec.Name, Source: rec.Mountpoint, Destination: v.target, Mode: v.readOnly ? 'ro' : 'z', RW: !v.readOnly });
    }
    for (const target of anonymousVolumeTargets(ic, o)) {
      const ro = o.volumes.find((v) => v.source === undefined && v.target === target)?.readOnly ?? false;
      const rec = await vs.create(undefined, {}, { anonymous: true });
      out.push({ Type: 'volume', Name: rec.Name, Source: rec.Mountpoint, Destination: target, Mode: ro ? 'ro' : '', RW: !ro });
    }
    return out;
  }

  private async removeAnonymousVolumes(c: ContainerRecord): Promise<void> {
    const vs = this.deps.volumes;
    if (!vs) return;
    for (const m of c.Mounts) {
      if (m.Type !== 'volume' || !m.Name) continue;
      const v = await vs.find(m.Name);
      if (v && ANONYMOUS_LABEL in v.Labels) await vs.remove(m.Name).catch(() => {});
    }
  }

  async readLogs(ref: string): Promise<LogEntry[]> {
    return this.logs.read((await this.store.find(ref)).Id);
  }

  get runningCount(): number {
    return this.live.size;
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

