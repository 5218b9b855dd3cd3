import { deliver } from './deliver.ts';
import type { MetaStore } from '../../fs-layers/index.ts';
import { TabdockError } from '../../shared/errors.ts';
import { emulatorFor } from '../emulation/emulators.ts';
import { DEFAULT_PLATFORM, formatPlatform, isWasmPlatform, normalizePlatform, parsePlatform, platformMatches, type Platform } from '../../registry-client/index.ts';
import type { ImageRecord } from '../image-record.ts';
import type { ImageService } from '../images.ts';
import { ContainerLogs, type LogEntry } from './logs.ts';
import { generateName } from './names.ts';
import { mergeContainerConfig, stopSignalOf, stopTimeoutOf } from '../spec/container-config.ts';
import { resolveCommand } from '../spec/command.ts';
import { exitCodeForProcess } from '../spec/exit-codes.ts';
import { effectivePidsLimit, limitResources } from '../spec/oci-spec.ts';
import { applyUpdate, type ContainerUpdate } from '../spec/update.ts';
import { checkExecLimits } from '../spec/exec-limits.ts';
import { validateContainerName } from '../spec/run-flags.ts';
import type { RunOptions } from '../spec/run-options.ts';
import { freshState, type ContainerConfig, type ContainerRecord, type HostConfig, type MountPoint } from './record.ts';
import type { RuntimeProcess } from './runtime.ts';
import type { Runtimes } from './runtimes.ts';
import type { ContainerFilesystems } from './filesystems.ts';
import { ContainerStore } from './store.ts';
import { STREAM_END } from '../rpc-contract.ts';
import { NO_EVENTS, type ContainerEventDetail, type EventPublisher } from '../events.ts';
import { EarlyAttach } from './early-attach.ts';
import { removeAnonymousVolumes, volumeMounts } from './container-volumes.ts';
import type { VolumeService } from '../volumes.ts';
import type { ContainerNetworking, CreateNetworkFields } from '../network/container-net.ts';
import { emptySettings, stoppedSettings } from '../network/settings.ts';
import { configError } from '../spec/errors.ts';
import { NO_RESTART, nextRestartDelay, shouldRestart, type RestartPolicy } from '../spec/restart.ts';
import { validateHealthcheck } from '../spec/healthcheck.ts';
import { Execs, randomHex } from './execs.ts';
import { HealthMonitor, startingHealth } from './health.ts';

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
  /**
   * Ends the stream (the container or exec goes on). `escape`: the client's detach keys
   * ended it, which moby reports as a `detach` (`exec_detach`) event.
   */
  detach(o?: { escape?: boolean }): Promise<void>;
  /** Engine side only: resolves when the stream ended (detached, or the container exited). */
  readonly [STREAM_END]?: Promise<void>;
}

export interface ContainerServiceDeps {
  meta: MetaStore;
  images: ImageService;
  /** The runtimes by platform (each made on first need: the guest boots only when a Linux container runs). */
  runtimes: Runtimes;
  /** Container trees: made at create, handed to the runtime at start, removed with the container. */
  filesystems: ContainerFilesystems;
  /** Named and anonymous volumes; absent: `-v`/`--mount` volumes are refused. */
  volumes?: VolumeService;
  /** Networks, addresses, /etc files and published ports; absent: containers get `--network none` and -p is refused. */
  network?: ContainerNetworking;
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
  /** Processes started in running containers (`docker exec`, health probes). */
  readonly execs: Execs;
  /** Health checks of running containers. */
  private readonly health: HealthMonitor;

  constructor(private readonly deps: ContainerServiceDeps) {
    this.store = new ContainerStore(deps.meta);
    this.now = deps.now ?? (() => new Date());
    this.logs = new ContainerLogs(deps.meta, this.now);
    this.events = deps.events ?? NO_EVENTS;
    this.execs = new Execs({ filesystems: deps.filesystems, runtimes: deps.runtimes, announce: (c, d) => this.announce(c, d) });
    this.health = new HealthMonitor({ store: this.store, execs: this.execs, announce: (c, d) => this.announce(c, d), now: this.now });
  }

  /**
   * Publishes what happened to `c` as moby's `LogContainerEventWithAttributes` does: its
   * name, image and labels as they are now, and the action's own fields. Other parts of the
   * engine that act on a container (exec, top) publish through this too.
   */
  announce(c: ContainerRecord, detail: ContainerEventDetail): void {
    const labels = Object.keys(c.Config.Labels ?? {}).length ? { labels: { ...c.Config.Labels } } : {};
    this.events.publish({ type: 'container', id: c.Id, name: c.Name.slice(1), image: c.Config.Image, time: this.now().toISOString(), ...labels, ...detail });
  }

  private publish(action: 'create' | 'start' | 'destroy' | 'pause' | 'unpause' | 'update' | 'stop' | 'restart' | 'attach' | 'oom', c: ContainerRecord): void {
    this.announce(c, { action });
  }

  /** After a restart of the daemon or page: what was running is not any more, and says why. */
  async reconcile(reason = 'the engine stopped while the container was running'): Promise<void> {
    for (const c of await this.store.list()) {
      // A record that cannot be saved (a full disk) must not keep the engine from starting:
      // it still says running, and the next start tries again.
      // Not restarted here: `startByPolicy` does that where a daemon or a page runs on.
      if (c.State.Running && !this.live.has(c.Id)) await this.finish(c, { code: exitCodeForProcess({ signal: 'KILL' }), error: reason }, false).catch(() => {});
    }
  }

  async create(req: CreateRequest): Promise<{ Id: string; Warnings: string[] }> {
    const o = req.options;
    const bind = o.volumes.find((v) => v.type === 'bind');
    if (bind) throw new TabdockError('UNSUPPORTED', `bind mounts (${bind.source}:${bind.target}) need a host directory, and tabdock's guest has no host file system to share; use a named volume instead (-v NAME:${bind.target})`, {}, { exitCode: 125 });
    if (o.volumes.length && !this.deps.volumes) throw new TabdockError('UNSUPPORTED', 'this engine has no volume store; -v/--mount volumes are not available', {}, { exitCode: 125 });
    const image = await this.deps.images.get(req.image);
    // moby: an image of another platform than --platform is "not found" (the CLI then pulls that platform).
    if (o.platform && !platformMatches(parsePlatform(o.platform), image.platform)) {
      throw new TabdockError('NO_SUCH_IMAGE', `image with reference ${req.image} was found but does not match the specified platform: wanted ${formatPlatform(parsePlatform(o.platform))}, actual: ${formatPlatform(normalizePlatform(image.platform))}`, { image: req.image });
    }
    const runtime = this.deps.runtimes.forPlatform(image.platform);
    const warnings = platformWarnings(image.platform, o.platform);
    runtime.checkOptions?.(o);
    // moby verifyContainerSettings: the user's health check before the image's is merged in.
    validateHealthcheck(o.healthcheck);
    const all = await this.store.list();
    const taken = new Set(all.map((c) => c.Name));
    const wanted = o.name?.replace(/^\//, '');
    if (wanted !== undefined) validateContainerName(wanted);
    if (wanted && taken.has(`/${wanted}`)) {
      const other = all.find((c) => c.Name === `/${wanted}`)!;
      throw new TabdockError('CONFLICT', `Conflict. The container name "/${wanted}" is already in use by container "${other.Id}". You have to remove (or rename) that container to be able to reuse that name.`, {});
    }
    const id = this.deps.randomId?.() ?? randomHex(32);
    const name = wanted ?? generateName((n) => taken.has(`/${n}`));
    // moby's rules, kept once in engine/spec: the command line (Entrypoint/Cmd) and the
    // merged Config `inspect` shows (Env of the image and -e merged, Labels, User, ...).
    const args = resolveCommand(image.config.config ?? {}, o);
    const merged = mergeContainerConfig(image.config.config, { ...o, image: req.image }, o.hostname ?? id.slice(0, 12));
    const net = await this.networkFields(o, Object.keys(image.config.config?.ExposedPorts ?? {}), runtime.networking === true);
    const config: ContainerConfig = {
      ...merged, AttachStdin: o.interactive && !o.detach, AttachStdout: !o.detach, AttachStderr: !o.detach, ...(net.ExposedPorts ? { ExposedPorts: net.ExposedPorts } : {}),
    };
    checkExecLimits(args, config.Env);
    const hostConfig: HostConfig = {
      AutoRemove: o.rm, Privileged: o.privileged, ReadonlyRootfs: o.readOnly, CapAdd: o.capAdd.length ? o.capAdd : null, CapDrop: o.capDrop.length ? o.capDrop : null,
      SecurityOpt: [...(o.seccomp === 'unconfined' ? ['seccomp=unconfined'] : []), ...(o.noNewPrivileges ? ['no-new-privileges'] : [])],
      Memory: o.memory ?? 0, MemorySwap: o.memorySwap ?? 0, NanoCpus: o.nanoCpus ?? 0, PidsLimit: runtime.driver === 'tabdock-wasi' ? null : effectivePidsLimit(o.pidsLimit),
      Tmpfs: o.tmpfs.length ? Object.fromEntries(o.tmpfs.map((t) => [t.target, t.data])) : null,
      Binds: null, NetworkMode: net.NetworkMode, Init: o.init, PortBindings: net.PortBindings, PublishAllPorts: net.PublishAllPorts,
      ExtraHosts: net.ExtraHosts, Dns: net.Dns, DnsSearch: net.DnsSearch, DnsOptions: net.DnsOptions,
      ...(o.storageOpt ? { StorageOpt: { ...o.storageOpt } } : {}), GroupAdd: o.groupAdd?.length ? [...o.groupAdd] : null,
      RestartPolicy: typeof o.restart === 'object' ? o.restart : NO_RESTART,
    };
    const rec: ContainerRecord = {
      Id: id, Name: `/${name}`, Created: this.now().toISOString(), Path: args[0]!, Args: args.slice(1), State: freshState(),
      Image: image.id, Config: config, HostConfig: hostConfig,
      Mounts: [
        ...(await this.volumeMounts(image.config.config, o)),
        ...o.tmpfs.map((t): MountPoint => ({ Type: 'tmpfs', Source: '', Destination: t.target, Mode: t.data, RW: true })),
      ],
      Platform: image.platform.os, ...(emulatorFor(image.platform) ? { Emulated: formatPlatform(normalizePlatform(image.platform)) } : {}), Driver: runtime.driver, RestartCount: 0, RunOptions: o, NetworkSettings: net.NetworkSettings,
    };
    await this.store.save(rec);
    try {
      await this.deps.filesystems.prepare(rec);
    } catch (e) {
      await this.store.delete(id);
      await this.removeAnonymousVolumes(rec);
      throw e;
    }
    this.publish('create', rec);
    return { Id: id, Warnings: warnings };
  }

  private async networkFields(o: RunOptions, exposed: string[], networking: boolean): Promise<CreateNetworkFields> {
    if (this.deps.network) return this.deps.network.forCreate(o, exposed, networking);
    if (o.network !== 'default' && o.network !== 'none') throw configError(`--network ${o.network} is not available: this engine has no networking`, 'UNSUPPORTED');
    if (o.publish.length || o.publishAll) throw configError('publishing ports (-p, -P) is not available: this engine has no networking', 'UNSUPPORTED');
    return { NetworkMode: 'none', PortBindings: {}, PublishAllPorts: false, ExtraHosts: null, Dns: [], DnsSearch: [], DnsOptions: [], ExposedPorts: undefined, NetworkSettings: emptySettings() };
  }

  /** Starts under way: a second start joins the first, and `rm -f` waits for it before it kills. */
  private readonly starting = new Map<string, Promise<void>>();
  /** Containers being removed: a start that comes now is refused, as Docker refuses it. */
  private readonly removing = new Set<string>();

  async start(ref: string, opts: { cols?: number; rows?: number } = {}): Promise<void> {
    const c = await this.store.find(ref);
    // A start by the user (or the engine's own start, as moby's restore) begins its restart
    // policy afresh: no restart pending, the count and the manual stop forgotten.
    if (!this.live.has(c.Id) && !this.starting.has(c.Id)) {
      this.cancelRestart(c.Id);
      this.backoff.delete(c.Id);
      this.manual.delete(c.Id);
      c.RestartCount = 0;
      c.ManuallyStopped = false;
    }
    return this.startNow(c, opts);
  }

  private startNow(c: ContainerRecord, opts: { cols?: number; rows?: number }): Promise<void> {
    if (this.removing.has(c.Id)) throw new TabdockError('CONFLICT', `cannot start container ${c.Id.slice(0, 12)}: container is marked for removal and cannot be started`, {});
    const under = this.starting.get(c.Id);
    if (under) return under;
    const p = this.startOnce(c, opts).finally(() => this.starting.get(c.Id) === p && this.starting.delete(c.Id));
    this.starting.set(c.Id, p);
    return p;
  }

  private async startOnce(c: ContainerRecord, opts: { cols?: number; rows?: number }): Promise<void> {
    // Docker: starting a running container is a no-op (a record that says running with no
    // live process is stale, e.g. read while its exit was being saved: start it).
    if (c.State.Running && this.live.has(c.Id)) return;
    const image = await this.deps.images.get(c.Image);
    const fss = this.deps.filesystems;
    const registered = this.deps.runtimes.forContainer(c);
    const spec = await registered.buildSpec(c, image, async (p) => {
      const b = await fss.readFile(c, p);
      return b ? new TextDecoder().decode(b) : undefined;
    });
    const trees = await fss.forStart(c, (spec['process'] as { cwd?: string } | undefined)?.cwd, image.platform);
    const runtime = await this.deps.runtimes.runtime(registered);
    // Addresses, /etc files and published ports before the process: a port that is taken fails the start.
    const network = registered.networking && this.deps.network && runtime.connect
      ? await this.deps.network.setUp(c, (ip, port) => runtime.connect!(ip, port))
      : undefined;
    let proc: RuntimeProcess;
    try {
      proc = await runtime.start({ container: c, spec, tty: c.Config.Tty, ...trees, ...opts, ...(network ? { network: network.plan } : {}) });
    } catch (e) {
      await this.deps.network?.tearDown(c.Id);
      throw e;
    }
    if (network) c.NetworkSettings = network.settings;
    // Attachments made before start get everything, the first bytes included.
    const listeners = this.early.take(c.Id);
    proc.onOutput((chunk, fd) => {
      this.logs.append(c.Id, fd === 2 ? 'stderr' : 'stdout', chunk);
      for (const l of listeners) deliver(l, chunk, fd);
    });
    // Without -i the container's stdin is empty, as Docker gives it /dev/null.
    if (!c.Config.OpenStdin) proc.closeStdin();
    const health = startingHealth(c.Config.Healthcheck, c.State.Health);
    c.State = { ...freshState(), Status: RUNNING, Running: true, Pid: 1, StartedAt: this.now().toISOString(), ...(health ? { Health: health } : {}) };
    await this.store.save(c);
    const exited = proc.exit.then((end) => this.finish(c, end));
    this.live.set(c.Id, { proc, listeners, exited });
    this.publish('start', c);
    this.health.start(c);
    // The docker CLI sizes a TTY right after its start (MonitorTtySize): moby's `resize` event.
    if (c.Config.Tty && opts.cols && opts.rows) this.announce(c, { action: 'resize', cols: opts.cols, rows: opts.rows });
    this.early.deliver(c.Id, proc, c.Config.OpenStdin);
  }

  private async finish(c: ContainerRecord, end: { code: number; oomKilled?: boolean; error?: string }, mayRestart = true): Promise<ContainerRecord> {
    // Output that cannot be saved now (a full disk) stays buffered for `logs` and the next flush.
    await this.logs.flush(c.Id).catch(() => {});
    // Its listeners close and its addresses are freed as it stops (Docker releases them then).
    await this.deps.network?.tearDown(c.Id);
    // Its health checks end with it (moby stopHealthchecks); no probe's save lands after this.
    await this.health.stop(c.Id);
    const fresh = (await this.store.get(c.Id)) ?? c;
    if (fresh.NetworkSettings) fresh.NetworkSettings = stoppedSettings(fresh.NetworkSettings);
    // A status below 0 means the runtime went away under it (guest stopped or crashed):
    // reported like a kill, with the reason, as `reconcile` does after a restart.
    if (end.code < 0) end = { code: exitCodeForProcess({ signal: 'KILL' }), error: end.error ?? 'the guest stopped while the container was running' };
    if (this.manual.delete(c.Id)) fresh.ManuallyStopped = true;
    fresh.State = { ...fresh.State, Status: 'exited', Running: false, Paused: false, Restarting: false, Pid: 0, ExitCode: end.code, OOMKilled: end.oomKilled ?? false, Error: end.error ?? '', FinishedAt: this.now().toISOString() };
    // moby CloseMonitorChannel: a stopped monitor leaves the status `unhealthy`.
    if (fresh.State.Health) fresh.State.Health = { ...fresh.State.Health, Status: 'unhealthy' };
    // Saved before the process leaves `live`: a `wait` in between must not read the old state.
    // A record that cannot be saved (a full disk) still ends the container here (`rm -f`
    // waits for this); the next engine start marks it exited again.
    await this.store.save(fresh).catch(() => {});
    this.live.delete(c.Id);
    // moby: the cgroup's oom event comes before the exit's die.
    if (end.oomKilled) this.publish('oom', fresh);
    this.announce(fresh, { action: 'die', exitCode: end.code });
    const ends = this.attachEnds.get(c.Id);
    this.attachEnds.delete(c.Id);
    ends?.forEach((f) => f());
    const cancelled = this.exitOnNext.delete(c.Id);
    if (mayRestart && !cancelled && !this.shuttingDown && !fresh.HostConfig.AutoRemove) {
      await this.maybeRestart(fresh, end.code, Date.parse(fresh.State.FinishedAt) - Date.parse(fresh.State.StartedAt));
    }
    if (fresh.HostConfig.AutoRemove) {
      this.autoRemoved.set(fresh.Id, { name: fresh.Name.slice(1), end: { StatusCode: end.code, ...(end.error ? { Error: end.error } : {}) } });
      if (this.autoRemoved.size > 64) this.autoRemoved.delete(this.autoRemoved.keys().next().value!);
      await this.remove(fresh.Id, { force: true, volumes: true }).catch(() => {});
    }
    return fresh;
  }

  /** Restarts waiting for their backoff, by container. */
  private readonly restarts = new Map<string, ReturnType<typeof setTimeout>>();
  /** The last backoff delay per container (moby restartmanager's timeout). */
  private readonly backoff = new Map<string, number>();
  /** Exits the user asked for (`stop`, `kill` with SIGKILL or the stop signal): no restart after them (moby ExitOnNext). */
  private readonly exitOnNext = new Set<string>();
  /** The engine is going away: exits now are not restarted (moby's daemonShutdown). */
  private shuttingDown = false;

  /**
   * moby's monitor (daemon/monitor.go `handleContainerExit`): under its restart policy, the
   * container is restarted after a backoff (100 ms doubling to a minute, reset after a run
   * of 10 s); meanwhile it is `restarting` (Running and Restarting true, as Docker shows it)
   * and its RestartCount already counts this restart. Each restart is a `start` event after
   * the exit's `die`.
   */
  private async maybeRestart(c: ContainerRecord, exitCode: number, ranMs: number): Promise<void> {
    const policy = restartPolicyOf(c);
    if (!shouldRestart(policy, { exitCode, manuallyStopped: c.ManuallyStopped === true, restartCount: c.RestartCount })) {
      this.backoff.delete(c.Id);
      return;
    }
    const delay = nextRestartDelay(this.backoff.get(c.Id) ?? 0, ranMs);
    this.backoff.set(c.Id, delay);
    c.RestartCount += 1;
    c.State = { ...c.State, Status: 'restarting', Running: true, Restarting: true };
    await this.store.save(c).catch(() => {});
    this.restarts.set(c.Id, setTimeout(() => {
      this.restarts.delete(c.Id);
      void this.restartNow(c.Id);
    }, delay));
  }

  private async restartNow(id: string): Promise<void> {
    const c = await this.store.get(id);
    if (!c || this.shuttingDown) return;
    try {
      await this.startNow(c, {});
    } catch (e) {
      // As moby: the restart failed (its image gone, its port taken): it stays down, saying why.
      c.State = { ...c.State, Status: 'exited', Running: false, Restarting: false, Error: e instanceof Error ? e.message : String(e) };
      await this.store.save(c).catch(() => {});
    }
  }

  /** Drops a pending restart; true if there was one (the record still says `restarting`). */
  private cancelRestart(id: string): boolean {
    const t = this.restarts.get(id);
    if (t === undefined) return false;
    clearTimeout(t);
    this.restarts.delete(id);
    return true;
  }

  /** A restart cancelled by the user: the container is down (exited) from now on. */
  private async settleCancelled(c: ContainerRecord): Promise<void> {
    c.State = { ...c.State, Status: 'exited', Running: false, Restarting: false };
    c.ManuallyStopped = true;
    await this.store.save(c);
  }

  /** Stopped or killed by the user, until its exit saves it (`ManuallyStopped`): never a stale record saved over a newer one. */
  private readonly manual = new Set<string>();

  /** The user stops or kills it: remembered for `unless-stopped` (not while the engine itself shuts down). */
  private markManuallyStopped(c: ContainerRecord): void {
    if (!this.shuttingDown) this.manual.add(c.Id);
  }

  /**
   * At the engine's start (a daemon or page that starts again): containers whose policy
   * says so are started, as moby's restore does: `always` ones even if stopped by hand,
   * `unless-stopped` ones unless stopped by hand, `on-failure` ones that failed with retries
   * left. Each start runs on its own; one that fails leaves its reason in State.Error.
   */
  async startByPolicy(): Promise<void> {
    for (const c of await this.store.list()) {
      if (this.live.has(c.Id) || c.HostConfig.AutoRemove) continue;
      const p = restartPolicyOf(c);
      if (p.Name === 'no' || !shouldRestart(p, { exitCode: c.State.ExitCode, manuallyStopped: c.ManuallyStopped === true, restartCount: c.RestartCount })) continue;
      void this.start(c.Id).catch(async (e: unknown) => {
        c.State = { ...c.State, Error: e instanceof Error ? e.message : String(e) };
        await this.store.save(c).catch(() => {});
      });
    }
  }

  /** The engine is going away: no restarts from now on (the exits that follow are its own doing). */
  shutdown(): void {
    this.shuttingDown = true;
    for (const id of [...this.restarts.keys()]) this.cancelRestart(id);
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
    this.publish('attach', c);
    const live = this.live.get(c.Id);
    if (live) live.listeners.add(onOutput);
    else this.early.listen(c.Id, onOutput);
    const proc = () => this.live.get(c.Id)?.proc;
    // Input that comes before `start` (a pipe into `run -i`) waits for the process.
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
        else this.early.write(c.Id, d);
      },
      closeStdin: async () => {
        const p = proc();
        if (p) p.closeStdin();
        else this.early.close(c.Id);
      },
      resize: async (cols, rows) => {
        const p = proc();
        if (!p) return;
        await p.resize(cols, rows);
        this.announce(c, { action: 'resize', cols, rows });
      },
      detach: async (o) => {
        const listening = this.attachEnds.get(c.Id)?.delete(endStream) ?? false;
        this.live.get(c.Id)?.listeners.delete(onOutput);
        this.early.unlisten(c.Id, onOutput);
        endStream();
        if (o?.escape && listening) this.announce(c, { action: 'detach' });
      },
    };
  }

  private readonly early = new EarlyAttach();

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
    // Killing a container waiting to restart ends the wait: it stays down (moby: the
    // monitor exits on its next event).
    if (this.cancelRestart(c.Id)) return this.settleCancelled(c);
    const l = this.live.get(c.Id);
    if (!l) throw new TabdockError('CONFLICT', `Cannot kill container: ${ref}: container ${c.Id} is not running`, {});
    this.markManuallyStopped(c);
    // moby killWithSignal: SIGKILL, or the container's own stop signal, is an end the restart
    // policy does not undo; another signal's exit is judged by the policy.
    if (signal === 9 || signal === stopSignalOf(c.Config).number) this.exitOnNext.add(c.Id);
    await this.signal(c, l, signal);
  }

  /** Sends a signal and publishes moby's `kill` event (the signal by number), before any `die` it causes. */
  private signal(c: ContainerRecord, l: Live, signal: number): Promise<void> {
    const sent = l.proc.kill(signal);
    this.announce(c, { action: 'kill', signal });
    return sent;
  }

  /** The container's stop signal (engine/spec's rule), then SIGKILL after the timeout. */
  async stop(ref: string, timeoutSeconds?: number): Promise<void> {
    const c = await this.store.find(ref);
    if (this.cancelRestart(c.Id)) return this.settleCancelled(c);
    // A (re)start under way is waited for, so the stop reaches the process it makes.
    await this.starting.get(c.Id)?.catch(() => {});
    const l = this.live.get(c.Id);
    if (!l) return;
    this.markManuallyStopped(c);
    this.exitOnNext.add(c.Id);
    const t = stopTimeoutOf(c.Config, timeoutSeconds);
    await this.signal(c, l, stopSignalOf(c.Config).number).catch(() => {});
    let timeout: ReturnType<typeof setTimeout> | undefined;
    const timer = new Promise<'timeout'>((r) => (timeout = setTimeout(() => r('timeout'), t * 1000)));
    try {
      if ((await Promise.race([l.exited, timer])) === 'timeout') {
        await this.signal(c, l, 9).catch(() => {});
        await l.exited;
      }
    } finally {
      clearTimeout(timeout);
    }
    // moby containerStop: kill (the stop signal), [kill 9], die, then stop.
    this.publish('stop', (await this.store.get(c.Id)) ?? c);
  }

  /** `docker restart` (moby `containerRestart`): a stop if it runs, a start, then the `restart` event. */
  async restart(ref: string, timeoutSeconds?: number): Promise<string> {
    const c = await this.store.find(ref);
    await this.stop(c.Id, timeoutSeconds);
    await this.start(c.Id);
    this.publish('restart', (await this.store.get(c.Id)) ?? c);
    return c.Id;
  }

  /**
   * `docker pause` / `unpause` (moby `daemon/pause.go`): the runtime freezes every process
   * of the container (cgroup v2 `cgroup.freeze`); State.Paused and Status `paused` say so
   * until it is thawed or ends. A kill still ends a frozen container (the freezer lets
   * fatal signals through); exec is refused while it is paused, as Docker's is.
   */
  async pause(ref: string, paused: boolean): Promise<void> {
    const c = await this.store.find(ref);
    if (!this.live.has(c.Id)) throw new TabdockError('CONFLICT', `Container ${c.Id} is not running`, {});
    if (c.State.Restarting) throw new TabdockError('CONFLICT', `Container ${c.Id} is restarting, wait until the container is running`, {});
    if (paused && c.State.Paused) throw new TabdockError('CONFLICT', `Container ${c.Id} is already paused`, {});
    if (!paused && !c.State.Paused) throw new TabdockError('CONFLICT', `Container ${c.Id} is not paused`, {});
    const runtime = await this.deps.runtimes.runtime(this.deps.runtimes.forContainer(c));
    const act = paused ? runtime.pause : runtime.resume;
    if (!act) throw new TabdockError('UNSUPPORTED', `${paused ? 'pause' : 'unpause'} is not available for ${c.Driver} containers: their runtime has no freezer`, {});
    await act.call(runtime, c);
    // moby updateHealthMonitor: no probes while paused (the stopped monitor says `unhealthy`), again after.
    const stopped = paused && (await this.health.stop(c.Id));
    // Read again: only the pause changes here (an exit saved meanwhile stays).
    const fresh = (await this.store.get(c.Id)) ?? c;
    if (!this.live.has(c.Id)) return;
    fresh.State = { ...fresh.State, Paused: paused, Status: paused ? 'paused' : RUNNING };
    if (stopped && fresh.State.Health) fresh.State.Health = { ...fresh.State.Health, Status: 'unhealthy' };
    await this.store.save(fresh);
    if (!paused) this.health.start(fresh);
    this.publish(paused ? 'pause' : 'unpause', fresh);
  }

  /** Whether a running container is frozen (exec is refused then). */
  async isPaused(id: string): Promise<boolean> {
    return this.live.has(id) && ((await this.store.get(id))?.State.Paused ?? false);
  }

  /**
   * `docker rename` (moby `daemon/rename.go`): the same name is refused, the new one must be
   * valid and free; a running container's names on its user networks (their DNS) follow.
   */
  async rename(ref: string, newName: string): Promise<void> {
    const c = await this.store.find(ref);
    const wanted = newName.startsWith('/') ? newName : `/${newName}`;
    if (wanted === c.Name) throw new TabdockError('INVALID_NAME', 'Renaming a container with the same name as its current name', {});
    const allocating = (e: TabdockError) => new TabdockError(e.code, `Error when allocating new name: ${e.message}`, e.data);
    try {
      validateContainerName(wanted.slice(1));
    } catch (e) {
      if (TabdockError.is(e)) throw allocating(new TabdockError(e.code, `Invalid container name (${wanted}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`, e.data));
      throw e;
    }
    const other = (await this.store.list()).find((o) => o.Name === wanted);
    if (other) throw allocating(new TabdockError('CONFLICT', `Conflict. The container name "${wanted}" is already in use by container "${other.Id}". You have to remove (or rename) that container to be able to reuse that name.`, {}));
    const oldName = c.Name;
    c.Name = wanted;
    for (const es of Object.values(c.NetworkSettings?.Networks ?? {})) {
      if (es.DNSNames) es.DNSNames = es.DNSNames.map((n) => (n === oldName.slice(1) ? wanted.slice(1) : n));
    }
    await this.store.save(c);
    this.deps.network?.renamed(c.Id, wanted.slice(1));
    this.announce(c, { action: 'rename', oldName });
  }

  /**
   * `docker update` (moby `daemon/update.go`): the rules in engine/spec (`applyUpdate`); a
   * running container's cgroup gets the new limits first (crun, as at its start), then the
   * record keeps them for every later start. A new restart policy counts from its next exit.
   */
  async update(ref: string, u: ContainerUpdate): Promise<void> {
    const c = await this.store.find(ref);
    const next = applyUpdate(c.Id, c.RunOptions, u, { autoRemove: c.HostConfig.AutoRemove, cpuCount: 1 });
    const limits = u.memory || u.memorySwap || u.nanoCpus || u.pidsLimit !== undefined;
    if (limits && this.live.has(c.Id)) {
      const runtime = await this.deps.runtimes.runtime(this.deps.runtimes.forContainer(c));
      if (!runtime.updateResources) throw new TabdockError('UNSUPPORTED', `Cannot update container ${c.Id}: ${c.Driver} containers have no cgroup limits to change while they run`, {});
      await runtime.updateResources(c, limitResources(next));
    }
    const fresh = (await this.store.get(c.Id)) ?? c;
    fresh.RunOptions = next;
    fresh.HostConfig = {
      ...fresh.HostConfig, Memory: next.memory ?? 0, MemorySwap: next.memorySwap ?? 0, NanoCpus: next.nanoCpus ?? 0,
      PidsLimit: fresh.HostConfig.PidsLimit === null ? null : effectivePidsLimit(next.pidsLimit), RestartPolicy: next.restart,
    };
    await this.store.save(fresh);
    this.publish('update', fresh);
  }

  async remove(ref: string, opts: { force?: boolean; volumes?: boolean } = {}): Promise<string> {
    const c = await this.store.find(ref);
    // Marked at once (no await since the lookup): a start either came first and is waited
    // for here, or comes later and is refused.
    if (this.removing.has(c.Id)) throw new TabdockError('CONFLICT', `removal of container ${c.Id.slice(0, 12)} is already in progress`, {});
    this.removing.add(c.Id);
    let volumes = opts.volumes ?? false;
    try {
      if (this.restarts.has(c.Id)) {
        if (!opts.force) throw new TabdockError('CONFLICT', `You cannot remove a restarting container ${c.Id}. Stop the container before attempting removal or force remove`, {});
        this.cancelRestart(c.Id);
      }
      await this.starting.get(c.Id)?.catch(() => {});
      if (this.live.has(c.Id)) {
        // moby daemon/delete.go: a paused container is named as such.
        if (!opts.force && c.State.Paused) throw new TabdockError('CONFLICT', `cannot remove container "${c.Name}": container is paused and must be unpaused first`, {});
        if (!opts.force) throw new TabdockError('CONFLICT', `cannot remove container "${c.Name}": container is running: stop the container before removing or force remove`, {});
        // Its own exit's auto-removal is refused while this one runs: this one does its work.
        volumes ||= c.HostConfig.AutoRemove;
        this.exitOnNext.add(c.Id);
        // moby's ContainerRm with force: daemon.Kill, so a `kill` event (signal 9) before the die.
        const l = this.live.get(c.Id);
        if (l) await this.signal(c, l, 9).catch(() => {});
        await this.live.get(c.Id)?.exited;
      }
      await this.deps.filesystems.remove(c);
      await this.logs.remove(c.Id);
      this.early.forget(c.Id);
      await this.store.delete(c.Id);
      this.attachEnds.get(c.Id)?.forEach((f) => f());
      this.attachEnds.delete(c.Id);
      this.publish('destroy', c);
    } finally {
      this.removing.delete(c.Id);
    }
    // `rm -v` and `run --rm` take the container's anonymous volumes with it; named ones stay.
    if (volumes) await this.removeAnonymousVolumes(c);
    return c.Id;
  }

  private async volumeMounts(ic: Parameters<typeof volumeMounts>[1], o: RunOptions): Promise<MountPoint[]> {
    return this.deps.volumes ? volumeMounts(this.deps.volumes, ic, o) : [];
  }

  private async removeAnonymousVolumes(c: ContainerRecord): Promise<void> {
    if (this.deps.volumes) await removeAnonymousVolumes(this.deps.volumes, c);
  }

  async readLogs(ref: string): Promise<LogEntry[]> {
    return this.logs.read((await this.store.find(ref)).Id);
  }

  /** Running containers, and those waiting to restart (a daemon must not idle out under them). */
  get runningCount(): number {
    return this.live.size + this.restarts.size;
  }

  isRunning(id: string): boolean {
    return this.live.has(id);
  }

  /** A running container's process handle, for exec and stats. */
  process(id: string): RuntimeProcess | undefined {
    return this.live.get(id)?.proc;
  }

  /** Waits for every running container's exit (after the runtimes were disposed: their exits are saved). */
  async exitedAll(): Promise<void> {
    await Promise.allSettled([...this.live.values()].map((l) => l.exited));
  }
}

export { randomHex };


/** The record's `--restart` (records made before restart policies have none: `no`). */
function restartPolicyOf(c: ContainerRecord): RestartPolicy {
  return c.HostConfig.RestartPolicy ?? NO_RESTART;
}

/**
 * moby's warning when an image of another platform than the host's is run without
 * --platform (daemon/create.go); the host here is the guest, linux/386.
 */
function platformWarnings(platform: Platform, requested: string | undefined): string[] {
  const p = normalizePlatform(platform);
  if (requested || platformMatches(DEFAULT_PLATFORM, p) || isWasmPlatform(p)) return [];
  return [`The requested image's platform (${formatPlatform(p)}) does not match the detected host platform (${formatPlatform(DEFAULT_PLATFORM)}) and no specific platform was requested`];
}
