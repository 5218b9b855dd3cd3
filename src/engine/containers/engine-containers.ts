import { TabdockError } from '../../shared/errors.ts';
import { parseSignal } from '../spec/signals.ts';
import { apiTimestampNanos, rfc3339Nanos } from '../spec/timestamp.ts';
import type { ContainerApi, ContainerStats, ContainerSummary, ContainerUpdate, ExecRequest, LogOptions, TopResult } from '../api.ts';
import { topRows } from './top.ts';
import { copyIn, copyOut, diff, statPath, writableSize, type Change, type CopyEntry, type PathStat } from './container-files.ts';
import type { LogEntry } from './logs.ts';
import type { ContainerFilesystems } from './filesystems.ts';
import type { ContainerRecord } from './record.ts';
import type { Runtimes } from './runtimes.ts';
import type { ContainerService, CreateRequest } from './service.ts';
import { STREAM_END } from '../rpc-contract.ts';
import { inspectContainer } from '../inspect.ts';

/** The container half of the engine's RPC contract, over the container service. */
export class EngineContainers implements ContainerApi {
  constructor(private readonly svc: ContainerService, private readonly fss: ContainerFilesystems, private readonly runtimes: Runtimes) {}

  createContainer(req: CreateRequest) {
    return this.svc.create(req);
  }

  startContainer(ref: string, opts: { cols?: number; rows?: number } = {}) {
    return this.svc.start(ref, opts);
  }

  attachContainer(ref: string, onOutput: (chunk: Uint8Array, fd: 1 | 2) => void) {
    return this.svc.attach(ref, onOutput);
  }

  waitContainer(ref: string) {
    return this.svc.wait(ref);
  }

  async stopContainer(ref: string, timeoutSeconds?: number) {
    const c = await this.svc.store.find(ref);
    await this.svc.stop(c.Id, timeoutSeconds);
    return c.Id;
  }

  async killContainer(ref: string, signal = 'KILL') {
    const c = await this.svc.store.find(ref);
    await this.svc.kill(c.Id, parseSignal(signal).number);
    return c.Id;
  }

  restartContainer(ref: string, timeoutSeconds?: number) {
    return this.svc.restart(ref, timeoutSeconds);
  }

  removeContainer(ref: string, opts: { force?: boolean; volumes?: boolean }) {
    return this.svc.remove(ref, opts);
  }

  async listContainers(opts: { all?: boolean; size?: boolean }): Promise<ContainerSummary[]> {
    const list = (await this.svc.store.list()).filter((c) => opts.all || c.State.Running);
    return Promise.all(list.map(async (c) => ({
        Id: c.Id, Names: [c.Name], Image: c.Config.Image, ImageID: c.Image, Command: summaryCommand(c.Path, c.Args),
        Created: c.Created, State: c.State.Status, Status: c.State.Status, StartedAt: c.State.StartedAt, FinishedAt: c.State.FinishedAt, ExitCode: c.State.ExitCode,
        Ports: c.State.Running ? summaryPorts(c.NetworkSettings?.Ports ?? {}) : [],
        Labels: c.Config.Labels ?? {},
        Mounts: c.Mounts.map((m) => ({ Type: m.Type, ...(m.Name ? { Name: m.Name } : {}), Source: m.Source, Destination: m.Destination, ...(m.Type === 'volume' ? { Driver: 'local' } : {}), RW: m.RW })),
        Networks: Object.keys(c.NetworkSettings?.Networks ?? {}).sort(),
        ...(opts.size ? { SizeRw: await this.fss.tree(c).then(writableSize, () => 0) } : {}),
        ...(c.Emulated ? { Emulated: c.Emulated } : {}),
        ...(c.State.Health ? { Health: c.State.Health.Status } : {}),
      })));
  }

  async inspectContainer(ref: string): Promise<Record<string, unknown>> {
    const c = await this.svc.store.find(ref);
    const reg = this.runtimes.forContainer(c);
    return inspectContainer(c, { ...(reg.filesDir ? { filesDir: reg.filesDir(c.Id) } : {}), execIds: this.svc.execs.ids(c.Id) });
  }

  async containerLogs(ref: string, opts: LogOptions, onEntry: (stream: 'stdout' | 'stderr', data: Uint8Array, time: string) => void): Promise<void> {
    const c = await this.svc.store.find(ref);
    // moby's json-file reader: the tail is cut first, then entries before `since` are
    // skipped and those after `until` end the stream; `-f` follows only while `until` is ahead.
    const bound = (name: string, v: string | undefined) => {
      if (v === undefined) return undefined;
      const n = apiTimestampNanos(v);
      if (n === undefined) throw new TabdockError('INVALID_ARGUMENT', `invalid value for "${name}": ${v} is not SECONDS[.NANOSECONDS]`, {});
      return n;
    };
    const since = bound('since', opts.since);
    const until = bound('until', opts.until);
    const nowNanos = BigInt(Date.now()) * 1_000_000n;
    const follow = opts.follow === true && (until === undefined || until > nowNanos);
    let ended = false;
    const emit = (e: LogEntry) => {
      if (ended) return;
      const t = since !== undefined || until !== undefined ? rfc3339Nanos(e.time) : 0n;
      if (since !== undefined && t < since) return;
      if (until !== undefined && t > until) return void (ended = true);
      onEntry(e.stream, e.data, e.time);
    };
    const live: LogEntry[] = [];
    let streaming = false;
    const stopFollow = follow ? this.svc.logs.follow(c.Id, (e) => (streaming ? emit(e) : live.push(e))) : () => {};
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      let stored = await this.svc.logs.read(c.Id);
      if (opts.tail !== undefined) stored = tailLines(stored, opts.tail);
      for (const e of stored) emit(e);
      const last = stored.at(-1)?.n ?? 0;
      for (const e of live) if (e.n > last) emit(e);
      streaming = true;
      if (follow && !ended && this.svc.isRunning(c.Id)) {
        const exited = this.svc.wait(c.Id);
        if (until === undefined) await exited;
        else await Promise.race([exited, new Promise<void>((r) => (timer = setTimeout(r, Number((until - nowNanos) / 1_000_000n) + 1)))]);
      }
    } finally {
      clearTimeout(timer);
      stopFollow();
    }
  }

  async containerChanges(ref: string): Promise<Change[]> {
    return diff(await this.settledTree(ref));
  }

  async statContainerPath(ref: string, path: string, opts: { followLink?: boolean } = {}): Promise<PathStat | undefined> {
    return statPath(await this.settledTree(ref), path, opts.followLink);
  }

  async copyFromContainer(ref: string, path: string, onEntry: (e: CopyEntry) => Promise<unknown> | void, opts: { followLink?: boolean } = {}): Promise<void> {
    const c = await this.svc.store.find(ref);
    await copyOut(await this.settledTree(c), path, onEntry, opts.followLink);
    this.svc.announce(c, { action: 'archive-path' });
  }

  async copyToContainer(ref: string, path: string, next: () => Promise<CopyEntry | null | undefined>, opts: { keepOwner?: boolean } = {}): Promise<void> {
    const c = await this.svc.store.find(ref);
    if (c.HostConfig.ReadonlyRootfs && this.svc.isRunning(c.Id)) throw new TabdockError('READ_ONLY', 'container rootfs is marked read-only', {});
    // Its own writes land first (none may overwrite the copy later), and it sees the copy after.
    const tree = await this.settledTree(c);
    try {
      await copyIn(tree, path, next, opts);
    } finally {
      await this.runtimeFiles(c, 'refresh');
    }
    this.svc.announce((await this.svc.store.get(c.Id)) ?? c, { action: 'extract-to-dir' });
  }

  /**
   * The container's tree as its processes left it: a running container's writes still held
   * by its runtime (the guest's page cache) are written to it first.
   */
  async settledTree(ref: string | ContainerRecord) {
    const c = typeof ref === 'string' ? await this.svc.store.find(ref) : ref;
    await this.runtimeFiles(c, 'flush');
    return this.fss.tree(c);
  }

  private async runtimeFiles(c: ContainerRecord, what: 'flush' | 'refresh'): Promise<void> {
    if (!this.svc.isRunning(c.Id)) return;
    const runtime = await this.runtimes.runtime(this.runtimes.forContainer(c));
    await (what === 'flush' ? runtime.flushFiles?.(c) : runtime.refreshFiles?.(c));
  }

  /** `docker container prune`: every container not running, with its writable layer's size. */
  async pruneContainers(): Promise<{ deleted: string[]; reclaimed: number }> {
    const out = { deleted: [] as string[], reclaimed: 0 };
    for (const c of await this.svc.store.list()) {
      if (c.State.Running || this.svc.isRunning(c.Id)) continue;
      const size = await this.fss.tree(c).then(writableSize, () => 0);
      await this.svc.remove(c.Id);
      out.deleted.push(c.Id);
      out.reclaimed += size;
    }
    return out;
  }

  renameContainer(ref: string, newName: string): Promise<void> {
    return this.svc.rename(ref, newName);
  }

  pauseContainer(ref: string): Promise<void> {
    return this.svc.pause(ref, true);
  }

  unpauseContainer(ref: string): Promise<void> {
    return this.svc.pause(ref, false);
  }

  /** moby `daemon/top_unix.go`: a running container's processes; a stopped or restarting one is refused. */
  async topContainer(ref: string, psArgs: string[]): Promise<TopResult> {
    const c = await this.svc.store.find(ref);
    if (!this.svc.isRunning(c.Id)) throw new TabdockError('CONFLICT', `Container ${c.Id} is not running`, {});
    const runtime = await this.runtimes.runtime(this.runtimes.forContainer(c));
    if (!runtime.processes) throw new TabdockError('UNSUPPORTED', `top is not available for ${c.Driver} containers: their runtime has no processes to list`, {});
    const rows = topRows(await runtime.processes(c), psArgs, new Date());
    this.svc.announce(c, { action: 'top' });
    return rows;
  }

  async updateContainer(ref: string, update: ContainerUpdate): Promise<{ Warnings: string[] }> {
    await this.svc.update(ref, update);
    return { Warnings: [] };
  }

  private async tree(ref: string) {
    return this.fss.tree(await this.svc.store.find(ref));
  }

  async containerStats(ref: string): Promise<ContainerStats> {
    const c = await this.svc.store.find(ref);
    const running = this.svc.isRunning(c.Id);
    const runtime = running ? await this.runtimes.runtime(this.runtimes.forContainer(c)) : undefined;
    let error: string | undefined;
    const s = running && runtime?.stats ? await runtime.stats(c).catch((e: unknown) => void (error = e instanceof Error ? e.message : String(e))) : undefined;
    return {
      id: c.Id, name: c.Name, read: new Date().toISOString(), running, ...(error ? { error } : {}),
      cpu_stats: { cpu_usage: { total_usage: s?.cpuUsageNs ?? 0 }, system_cpu_usage: Math.round(performance.now() * 1e6), online_cpus: 1 },
      memory_stats: { usage: s?.memoryBytes ?? 0, limit: s ? (s.memoryLimit ?? s.machineMemory) : 0 },
      pids_stats: { current: s?.pids ?? 0, ...(s?.pidsLimit !== undefined ? { limit: s.pidsLimit } : {}) },
      blkio_stats: { io_service_bytes_recursive: s?.blockIo ? [{ op: 'read', value: s.blockIo.read }, { op: 'write', value: s.blockIo.write }] : null },
      ...(s?.networks ? { networks: s.networks } : {}),
    };
  }

  async execContainer(ref: string, req: ExecRequest, onOutput: (chunk: Uint8Array, fd: 1 | 2) => void) {
    const c = await this.svc.store.find(ref);
    if (!this.svc.isRunning(c.Id)) throw new TabdockError('CONFLICT', `container ${c.Id} is not running`, {});
    // moby getActiveContainer: a frozen container would hold the exec's start forever.
    if (await this.svc.isPaused(c.Id)) throw new TabdockError('CONFLICT', `Container ${c.Id} is paused, unpause the container before exec`, {});
    const { execId, proc } = await this.svc.execs.start(c, req);
    const off = proc.onOutput(onOutput);
    let attached = true;
    return {
      // The exec's stream ends with its process.
      [STREAM_END]: proc.exit.then(() => {}, () => {}),
      write: (d: Uint8Array) => proc.write(d),
      closeStdin: async () => proc.closeStdin(),
      resize: (cols: number, rows: number) => proc.resize(cols, rows),
      // The process goes on (docker exec proxies no signals); its output stops coming here.
      detach: async (o?: { escape?: boolean }) => {
        off();
        if (o?.escape && attached) this.svc.announce(c, { action: 'exec_detach', execId });
        attached = false;
      },
      wait: async () => (await proc.exit).code,
    };
  }
}

/** `NetworkSettings.Ports` as the API's list (one entry per binding; an exposed port alone has no PublicPort). */
/** moby's container list `Command`: the path, then the arguments, one with a space in it in single quotes. */
function summaryCommand(path: string, args: string[]): string {
  return [path, ...args.map((a) => (a.includes(' ') ? `'${a}'` : a))].filter(Boolean).join(' ');
}

function summaryPorts(ports: Record<string, Array<{ HostIp: string; HostPort: string }> | null>): ContainerSummary['Ports'] {
  return Object.entries(ports).flatMap(([k, bs]) => {
    const [port, type] = k.split('/') as [string, string];
    if (!bs?.length) return [{ PrivatePort: Number(port), Type: type }];
    return bs.map((b) => ({ IP: b.HostIp, PrivatePort: Number(port), PublicPort: Number(b.HostPort), Type: type }));
  });
}

/** The last `n` lines of a log, split where the output had newlines (json-file keeps lines). */
function tailLines(entries: LogEntry[], n: number): LogEntry[] {
  if (n < 0) return entries;
  const lines: LogEntry[] = [];
  for (const e of entries) {
    let start = 0;
    for (let i = 0; i < e.data.length; i++) {
      if (e.data[i] === 10) {
        lines.push({ ...e, data: e.data.subarray(start, i + 1) });
        start = i + 1;
      }
    }
    if (start < e.data.length) lines.push({ ...e, data: e.data.subarray(start) });
  }
  return n === 0 ? [] : lines.slice(-n);
}
