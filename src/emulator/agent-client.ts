/**
 * Host side of the guest agent's control channel (one virtio console port): requests and
 * responses, multiplexed process streams, and the two kinds of flow control (link ACKs in
 * LinkWriter, per-stream credits in GuestProcess). The wire format is in protocol.ts.
 */
import { TabdockError } from '../shared/errors.ts';
import { GuestProcess, type StreamHost } from './guest-process.ts';
import { LinkWriter } from './link-writer.ts';
import { FrameDecoder, FrameType, decodeFields, encodeFields, encodeFrame, readU32, type Frame } from './protocol.ts';

/** The byte pipe under the client: one console port of the emulator. */
export interface AgentTransport {
  send(bytes: Uint8Array): void;
  /** Subscribe to bytes from the guest; returns the unsubscribe function. */
  onReceive(listener: (bytes: Uint8Array) => void): () => void;
  /** Receive buffers the guest has posted now, if the emulator can tell (see LinkWriter). */
  buffersPosted?: () => number | undefined;
}

export interface AgentInfo {
  version: string;
  proto: number;
  kernel: string;
  machine?: string;
  /** Guest uptime when the agent started (READY only): the kernel + init share of a boot. */
  uptimeMs?: number;
}

export interface ProcessOptions {
  /** Allocate a pseudo-terminal (stdout and stderr merge into fd 1). */
  tty?: boolean;
  rows?: number;
  cols?: number;
}

export interface RunOptions extends ProcessOptions {
  /** crun container id (unique among running containers). */
  id: string;
  /** Guest path of the OCI bundle (config.json + rootfs), e.g. under a 9P mount. */
  bundle: string;
}

export interface ExecOptions extends ProcessOptions {
  id: string;
  args: string[];
  env?: string[];
  cwd?: string;
  user?: string;
}

export interface MountOptions {
  /** 9P attach name: selects the tree the 9P server serves (e.g. one container's root). */
  aname: string;
  /** Guest mount point (created if missing). */
  path: string;
  msize?: number;
  readOnly?: boolean;
  /** Extra 9p mount options, comma-separated (e.g. `cache=loose`). */
  options?: string;
}

export interface ContainerEntry {
  id: string;
  sid: number;
  status: 'running' | 'exited';
  exitCode: number;
}

type Fields = ReadonlyArray<readonly [string, string | number]>;

export class AgentClient implements StreamHost {
  private readonly link: LinkWriter;
  private readonly decoder: FrameDecoder;
  private readonly unsubscribe: () => void;
  private readonly pending = new Map<number, { op: string; resolve: (f: Map<string, string[]>) => void; reject: (e: Error) => void }>();
  private readonly processes = new Map<number, GuestProcess>();
  private nextRequest = 1;
  private nextStream = 1;
  private readyWaiters: Array<(info: AgentInfo) => void> = [];
  private readyInfo: AgentInfo | undefined;
  private disposed = false;

  constructor(transport: AgentTransport, private readonly onProtocolError: (e: TabdockError) => void = () => {}) {
    this.link = new LinkWriter({
      send: (b) => transport.send(b),
      ...(transport.buffersPosted ? { buffersPosted: transport.buffersPosted } : {}),
    });
    this.decoder = new FrameDecoder((f) => this.handleFrame(f), (e) => this.onProtocolError(e));
    this.unsubscribe = transport.onReceive((bytes) => this.decoder.push(bytes));
  }

  /** What READY (cold boot) or the last ping said. */
  get info(): AgentInfo | undefined {
    return this.readyInfo;
  }

  /** Resolves when the agent announced itself (READY after a cold boot). */
  whenReady(): Promise<AgentInfo> {
    if (this.readyInfo) return Promise.resolve(this.readyInfo);
    return new Promise((resolve) => this.readyWaiters.push(resolve));
  }

  /** Round trip to the agent; also how a restored guest is found ready. */
  async ping(): Promise<AgentInfo> {
    const f = await this.request('ping', []);
    const info: AgentInfo = { version: one(f, 'version'), proto: Number(one(f, 'proto')), kernel: one(f, 'kernel'), machine: one(f, 'machine') };
    this.markReady(info);
    return info;
  }

  /** Mount a 9P tree by attach name: `mount -t 9p -o trans=virtio,version=9p2000.L,aname=...`. */
  async mount(o: MountOptions): Promise<void> {
    const fields: Array<[string, string | number]> = [['path', o.path], ['aname', o.aname], ['msize', o.msize ?? 512 * 1024]];
    if (o.readOnly) fields.push(['ro', 1]);
    if (o.options) fields.push(['options', o.options]);
    await this.request('mount', fields);
  }

  async umount(path: string, lazy = false): Promise<void> {
    await this.request('umount', [['path', path], ['lazy', lazy ? 1 : 0]]);
  }

  /** `crun run --bundle B ID`: the container's main process as a stream. */
  run(o: RunOptions): Promise<GuestProcess> {
    return this.startProcess('run', o, [['id', o.id], ['bundle', o.bundle]]);
  }

  /** `crun exec ID ARGS...` into a running container. */
  exec(o: ExecOptions): Promise<GuestProcess> {
    const fields: Array<[string, string | number]> = [['id', o.id]];
    if (o.cwd) fields.push(['cwd', o.cwd]);
    if (o.user) fields.push(['user', o.user]);
    for (const e of o.env ?? []) fields.push(['env', e]);
    for (const a of o.args) fields.push(['arg', a]);
    return this.startProcess('exec', o, fields);
  }

  /** A command in the guest itself, outside any container (diagnostics, tests). */
  spawn(args: string[], o: ProcessOptions & { env?: string[] } = {}): Promise<GuestProcess> {
    const fields: Array<[string, string | number]> = args.map((a) => ['arg', a]);
    for (const e of o.env ?? []) fields.push(['env', e]);
    return this.startProcess('spawn', o, fields);
  }

  /** Signal a container (`crun kill`); `all` signals every process in it. */
  async kill(id: string, signal = 15, all = false): Promise<void> {
    await this.request('kill', [['id', id], ['sig', signal], ['all', all ? 1 : 0]]);
  }

  async list(): Promise<ContainerEntry[]> {
    const f = await this.request('list', []);
    return (f.get('container') ?? []).map((line) => {
      const [id = '', sid = '0', status = 'exited', code = '-1'] = line.split(' ');
      return { id, sid: Number(sid), status: status === 'running' ? 'running' : 'exited', exitCode: Number(code) };
    });
  }

  /** `crun delete [-f] ID`. */
  async delete(id: string, force = false): Promise<void> {
    await this.request('delete', [['id', id], ['force', force ? 1 : 0]]);
  }

  /** cgroup v2 figures of a running container: memory.current, memory.max, pids.current, ... */
  async stats(id: string): Promise<Record<string, string>> {
    const f = await this.request('stats', [['id', id]]);
    return Object.fromEntries([...f].map(([k, v]) => [k, v[0] ?? '']));
  }

  /** Set the guest clock (a restored snapshot wakes up at the time it was saved). */
  async setTime(epochMs: number): Promise<void> {
    await this.request('time', [['ms', Math.round(epochMs)]]);
  }

  async sync(): Promise<void> {
    await this.request('sync', []);
  }

  /** Processes still running. */
  get activeStreams(): number {
    return this.processes.size;
  }

  /** Resolves when no request is pending and every link byte was read by the agent. */
  async quiesce(): Promise<void> {
    while (this.pending.size > 0) await Promise.race([...this.pending.keys()].map(() => new Promise((r) => setTimeout(r, 5))));
    await this.link.whenIdle();
  }

  /** Send a request; resolves with its response fields, rejects with the agent's error. */
  request(op: string, fields: Fields): Promise<Map<string, string[]>> {
    if (this.disposed) return Promise.reject(new TabdockError('EMULATOR_DISPOSED', 'The guest agent connection is closed.', { op }));
    const id = this.nextRequest++;
    const payload = encodeFields(op, fields);
    return new Promise((resolve, reject) => {
      this.pending.set(id, { op, resolve, reject });
      this.sendFrame(FrameType.Req, id, payload);
    });
  }

  sendFrame(type: FrameType, id: number, payload?: Uint8Array, flags = 0): void {
    if (this.disposed) return;
    this.link.write(encodeFrame(type, id, payload, flags));
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.unsubscribe();
    const gone = new TabdockError('EMULATOR_DISPOSED', 'The guest was shut down before the agent answered.', {});
    for (const p of this.pending.values()) p.reject(gone);
    this.pending.clear();
    for (const p of this.processes.values()) p.abandon(-1);
    this.processes.clear();
  }

  private async startProcess(op: string, o: ProcessOptions, fields: Array<[string, string | number]>): Promise<GuestProcess> {
    const sid = this.nextStream++;
    const proc = new GuestProcess(this, sid, o.tty ?? false);
    // registered before the request: output may follow the response immediately
    this.processes.set(sid, proc);
    try {
      const f = await this.request(op, [['sid', sid], ['tty', o.tty ? 1 : 0], ['rows', o.rows ?? 24], ['cols', o.cols ?? 80], ...fields]);
      proc.pid = Number(one(f, 'pid'));
    } catch (e) {
      this.processes.delete(sid);
      throw e;
    }
    void proc.exit.then(() => this.processes.delete(sid));
    return proc;
  }

  private handleFrame(f: Frame): void {
    switch (f.type) {
      case FrameType.Ack:
        this.link.ack(readU32(f.payload));
        return;
      case FrameType.Ready: {
        // A second READY means the guest rebooted (the kernel reboots on panic): whatever
        // was running is gone, and the link's unacknowledged sends died with it.
        if (this.readyInfo) this.guestRestarted();
        const fields = decodeFields(f.payload);
        this.markReady({ version: one(fields, 'version'), proto: Number(one(fields, 'proto')), kernel: one(fields, 'kernel'), uptimeMs: Number(one(fields, 'uptime_ms')) });
        return;
      }
      case FrameType.Res: {
        const p = this.pending.get(f.id);
        if (!p) return;
        this.pending.delete(f.id);
        const fields = decodeFields(f.payload);
        if (f.flags === 0) p.resolve(fields);
        else {
          const errno = Number(one(fields, 'errno'));
          p.reject(new TabdockError('AGENT_REQUEST_FAILED', `The guest agent could not ${p.op}: ${one(fields, 'message')}`, { op: p.op, errno }));
        }
        return;
      }
      case FrameType.Data:
      case FrameType.Credit:
      case FrameType.Exit:
        this.processes.get(f.id)?.handleFrame(f);
        return;
      default:
        this.onProtocolError(new TabdockError('EMULATOR_BAD_FRAME', `The guest agent sent an unknown frame type ${f.type}.`, { type: f.type }));
    }
  }

  private guestRestarted(): void {
    const err = new TabdockError('EMULATOR_GUEST_RESTARTED', 'The guest restarted (a kernel panic reboots it); its running containers are gone.', {});
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
    for (const p of this.processes.values()) p.abandon(-1);
    this.processes.clear();
    this.link.reset();
    this.onProtocolError(err);
  }

  private markReady(info: AgentInfo): void {
    this.readyInfo = { ...this.readyInfo, ...info };
    for (const w of this.readyWaiters.splice(0)) w(info);
  }
}

function one(f: Map<string, string[]>, key: string): string {
  return f.get(key)?.[0] ?? '';
}
