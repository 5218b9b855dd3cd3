/**
 * Host side of the guest agent's control channel (guest->host on the console port, host->guest on the bulk port): requests and
 * responses, multiplexed process streams, and the two kinds of flow control (link ACKs in
 * LinkWriter, per-stream credits in GuestProcess). The wire format is in protocol.ts.
 */
import { TabdockError } from '../shared/errors.ts';
import { GuestProcess, type StreamHost } from './guest-process.ts';
import { GuestSocket, type SocketHost } from './guest-socket.ts';
import { LinkWriter } from './link-writer.ts';
import {
  FrameDecoder, FrameType, decodeDatagram, decodeFields, encodeDatagram, encodeFieldList, encodeFields, encodeFrame, readU32,
  type Datagram, type Frame,
} from './protocol.ts';

export type { Datagram } from './protocol.ts';

/** The byte pipe under the client: virtio-console ports of the emulator (Guest picks which). */
export interface AgentTransport {
  send(bytes: Uint8Array): void;
  /**
   * Subscribe to bytes from the guest; returns the unsubscribe function. `port` names the
   * virtio port they came on when there are several: each port's bytes are whole frames
   * in order, but a frame never spans two ports, so each is decoded on its own.
   */
  onReceive(listener: (bytes: Uint8Array, port?: number) => void): () => void;
  /** Receive buffers the guest has posted now, if the emulator can tell (see LinkWriter). */
  buffersPosted?: () => number | undefined;
  /** Bytes the next posted receive buffer holds, if the emulator can tell (see LinkWriter). */
  nextBufferSize?: () => number | undefined;
}

export interface AgentInfo {
  version: string;
  proto: number;
  kernel: string;
  machine?: string;
  /** Guest uptime when the agent started (READY only): the kernel + init share of a boot. */
  uptimeMs?: number;
  /** The plain virtio port the agent reads host->guest frames on (0: none, console only). */
  bulk?: number;
  /** The port its frames to the host take after READY (2: the bulk port; 1: the console port). */
  out?: number;
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
  /**
   * The whole OCI process as JSON (`crun exec --process`): what crun's flags cannot say, such
   * as the user's supplementary groups. With it, args/env/cwd/user are the JSON's and not sent.
   */
  process?: string;
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

/** A bridge network in the guest (net-create). */
export interface NetCreateOptions {
  bridge: string;
  /** CIDR, e.g. 172.18.0.0/16 */
  subnet: string;
  gateway: string;
  /** no way out: no egress REDIRECT from this bridge */
  internal: boolean;
}

/** One endpoint: a veth from `bridge` into netns `id`, named `ifname` there. */
export interface NetAttachOptions {
  id: string;
  bridge: string;
  ifname: string;
  /** CIDR, e.g. 172.18.0.2/16 */
  ip: string;
  mac: string;
  gateway: string;
  defaultRoute: boolean;
}

/** A container's TCP connection the guest redirected to the egress listener. */
export interface OpenRequest {
  src: string;
  sport: number;
  dst: string;
  dport: number;
}

export type OpenHandler = (req: OpenRequest, accept: () => GuestSocket, refuse: (errno: number, message: string) => void) => void;

type Fields = ReadonlyArray<readonly [string, string | number]>;

/** Linux errno for a refusal when nobody handles OPEN. */
const ECONNREFUSED = 111;

export class AgentClient implements StreamHost, SocketHost {
  private readonly link: LinkWriter;
  /** One decoder per port the guest writes on (its READY on the console port, then the bulk port). */
  private readonly decoders = new Map<number, FrameDecoder>();
  private readonly unsubscribe: () => void;
  private readonly pending = new Map<number, { op: string; resolve: (f: Map<string, string[]>) => void; reject: (e: Error) => void }>();
  private readonly processes = new Map<number, GuestProcess>();
  private readonly sockets = new Map<number, GuestSocket>();
  private openHandler: OpenHandler | undefined;
  private datagramHandler: ((d: Datagram) => void) | undefined;
  private nextRequest = 1;
  private nextStream = 1;
  private readyWaiters: Array<(info: AgentInfo) => void> = [];
  private readyInfo: AgentInfo | undefined;
  private disposed = false;

  constructor(transport: AgentTransport, private readonly onProtocolError: (e: TabdockError) => void = () => {}) {
    this.link = new LinkWriter({
      send: (b) => transport.send(b),
      ...(transport.buffersPosted ? { buffersPosted: transport.buffersPosted } : {}),
      ...(transport.nextBufferSize ? { nextBufferSize: transport.nextBufferSize } : {}),
    });
    this.unsubscribe = transport.onReceive((bytes, port = 0) => {
      let d = this.decoders.get(port);
      if (!d) this.decoders.set(port, (d = new FrameDecoder((f) => this.handleFrame(f), (e) => this.onProtocolError(e))));
      d.push(bytes);
    });
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
    const info: AgentInfo = { version: one(f, 'version'), proto: Number(one(f, 'proto')), kernel: one(f, 'kernel'), machine: one(f, 'machine'), bulk: Number(one(f, 'bulk') || 0), out: Number(one(f, 'out') || 1) };
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
    if (o.process) return this.startProcess('exec', o, [...fields, ['process', o.process]]);
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

  // ---- networking (README "Networking requests") ----

  /** Create a bridge with its gateway address and rules (idempotent for the same settings). */
  async netCreate(o: NetCreateOptions): Promise<void> {
    await this.request('net-create', [['bridge', o.bridge], ['subnet', o.subnet], ['gateway', o.gateway], ['internal', o.internal ? 1 : 0]]);
  }

  /** Delete a bridge, its endpoints and its rules. */
  async netRemove(bridge: string): Promise<void> {
    await this.request('net-remove', [['bridge', bridge]]);
  }

  /** A new network namespace (`lo` up) at /run/netns/ID; with dns, a relay socket on 127.0.0.11:53 in it. */
  async netnsCreate(id: string, o: { dns: boolean }): Promise<{ path: string }> {
    const f = await this.request('netns-create', [['id', id], ['dns', o.dns ? 1 : 0]]);
    return { path: one(f, 'path') };
  }

  /** Give namespace `id` the embedded DNS socket (127.0.0.11:53) if it was made without one. */
  async netnsDns(id: string): Promise<void> {
    await this.request('netns-dns', [['id', id]]);
  }

  /** Close its DNS socket, remove its veths, unmount and delete it. */
  async netnsDelete(id: string): Promise<void> {
    await this.request('netns-delete', [['id', id]]);
  }

  async netAttach(o: NetAttachOptions): Promise<void> {
    await this.request('net-attach', [
      ['id', o.id], ['bridge', o.bridge], ['ifname', o.ifname], ['ip', o.ip], ['mac', o.mac], ['gateway', o.gateway], ['default', o.defaultRoute ? 1 : 0],
    ]);
  }

  async netDetach(id: string, ifname: string): Promise<void> {
    await this.request('net-detach', [['id', id], ['ifname', ifname]]);
  }

  /** Whether egress exists: down, a container's connect() off its network fails at once (ENETUNREACH). */
  async netLink(up: boolean): Promise<void> {
    await this.request('net-link', [['up', up ? 1 : 0]]);
  }

  /** Ingress: a TCP connection from the guest's root namespace to ip:port. Rejects with the agent's errno (data.errno). */
  async connect(ip: string, port: number): Promise<GuestSocket> {
    const sid = this.nextStream++;
    const socket = new GuestSocket(this, sid);
    this.sockets.set(sid, socket); // bytes may follow the response at once
    try {
      await this.request('connect', [['sid', sid], ['ip', ip], ['port', port]]);
    } catch (e) {
      this.sockets.delete(sid);
      throw e;
    }
    return socket;
  }

  /** Egress: who answers a container's connection (without a handler, every OPEN is refused). */
  onOpen(handler: OpenHandler): void {
    this.openHandler = handler;
  }

  /** DNS queries containers sent (UDP/53, or 127.0.0.11:53 in a netns made with dns). */
  onDatagram(handler: (d: Datagram) => void): void {
    this.datagramHandler = handler;
  }

  /** A reply: src/dst swapped from the query; the agent sends it from the socket that took the query. */
  sendDatagram(d: Datagram): void {
    this.sendFrame(FrameType.Dgram, 0, encodeDatagram(d));
  }

  /** @internal SocketHost: a socket stream is gone */
  release(sid: number): void {
    this.sockets.delete(sid);
  }

  /** Socket streams open now (egress and ingress). */
  get activeSockets(): number {
    return this.sockets.size;
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
    for (const s of [...this.sockets.values()]) s.abandon();
    this.sockets.clear();
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
        this.markReady({ version: one(fields, 'version'), proto: Number(one(fields, 'proto')), kernel: one(fields, 'kernel'), uptimeMs: Number(one(fields, 'uptime_ms')), bulk: Number(one(fields, 'bulk') || 0), out: Number(one(fields, 'out') || 1) });
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
      case FrameType.Exit: {
        const socket = this.sockets.get(f.id);
        if (socket) socket.handleFrame(f);
        else this.processes.get(f.id)?.handleFrame(f);
        return;
      }
      case FrameType.Close:
        this.sockets.get(f.id)?.handleFrame(f);
        return;
      case FrameType.Open:
        this.handleOpen(f);
        return;
      case FrameType.Dgram: {
        const d = decodeDatagram(f.payload);
        if (d) this.datagramHandler?.(d);
        return;
      }
      default:
        this.onProtocolError(new TabdockError('EMULATOR_BAD_FRAME', `The guest agent sent an unknown frame type ${f.type}.`, { type: f.type }));
    }
  }

  private handleOpen(f: Frame): void {
    const fields = decodeFields(f.payload);
    const req: OpenRequest = { src: one(fields, 'src'), sport: Number(one(fields, 'sport')), dst: one(fields, 'dst'), dport: Number(one(fields, 'dport')) };
    let answered = false;
    const refuse = (errno: number, message: string): void => {
      if (answered) return;
      answered = true;
      this.sendFrame(FrameType.Opened, f.id, encodeFieldList([['errno', errno], ['message', message.replace(/\0/g, '')]]), 1);
    };
    const accept = (): GuestSocket => {
      if (answered) throw new TabdockError('EMULATOR_SOCKET_CLOSED', 'This connection was already answered.', { sid: f.id });
      answered = true;
      const socket = new GuestSocket(this, f.id);
      this.sockets.set(f.id, socket);
      this.sendFrame(FrameType.Opened, f.id);
      return socket;
    };
    if (!this.openHandler || one(fields, 'kind') !== 'tcp') {
      refuse(ECONNREFUSED, 'no egress for this connection');
      return;
    }
    this.openHandler(req, accept, refuse);
  }

  private guestRestarted(): void {
    const err = new TabdockError('EMULATOR_GUEST_RESTARTED', 'The guest restarted (a kernel panic reboots it); its running containers are gone.', {});
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
    for (const p of this.processes.values()) p.abandon(-1);
    this.processes.clear();
    for (const s of [...this.sockets.values()]) s.abandon();
    this.sockets.clear();
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
