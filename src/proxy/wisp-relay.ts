/// <reference path="../shared/wisp-js.d.ts" />
/// <reference path="./ws.d.ts" />
import type { IncomingMessage } from 'node:http';
import { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { logging, server as wisp, type WispSocketLike } from '@mercuryworkshop/wisp-js/server';
import { WebSocketServer, type WebSocket } from 'ws';
import { originAllowed } from './cors.ts';
import { ClientLimits, destinationPolicy, type DestinationPolicy } from './relay-policy.ts';
import { DEFAULT_RELAY_CONNECT_TIMEOUT_MS, RELAY_PATH, type RelayOptions } from './relay-options.ts';

/**
 * The Wisp relay (TCP over one WebSocket, https://github.com/MercuryWorkshop/wisp-protocol):
 * wisp-js's server speaks the protocol (handshake, CONTINUE flow control, framing); every
 * decision about where a stream may go is made here, because its own filter does not hold:
 * its address check swallows DNS errors and allows, checks one answer and then resolves
 * again to connect (rebinding), lets IPv4-mapped and unique-local IPv6 through, counts the
 * new stream against its own limit, and its options are one object for the whole process.
 * So `create_stream` is replaced: the policy resolves and checks, then the socket connects
 * to the checked address literally. wisp-js's module-global options are only set to the
 * same values by every relay (no UDP), so two relays in a process cannot disagree.
 */

/** Wisp close reasons (protocol section "CLOSE"). */
const REASON = { Voluntary: 0x02, NetworkError: 0x03, UnreachableHost: 0x42, NoResponse: 0x43, ConnRefused: 0x44, HostBlocked: 0x48, ConnThrottled: 0x49 } as const;
const TCP = 0x01;
/** TCP reads queued before the socket is paused (wisp-js reads one per DATA packet). */
const QUEUE_HIGH = 64;
/** The most bytes of queued reads joined into one DATA packet (a WebSocket message). */
const DATA_MAX = 512 * 1024;
/** WebSockets one client (IP) may hold (a class behind one NAT: a tab each). */
export const MAX_CONNECTIONS_PER_CLIENT = 64;

export interface WispRelay {
  /** Take an HTTP upgrade for `/wisp/`; false (and nothing done) for any other path. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean;
  /** Close every relay connection (their streams and sockets go with them). */
  close(): void;
}

export function createWispRelay(o: RelayOptions = {}): WispRelay {
  const log = o.log ?? (() => {});
  const resolve = o.resolveHost ?? lookupAll;
  const policy = destinationPolicy(o, resolve);
  const limits = new ClientLimits(o, o.now ?? Date.now);
  const timeoutMs = o.connectTimeoutMs ?? DEFAULT_RELAY_CONNECT_TIMEOUT_MS;
  // Process-wide in wisp-js; every relay sets the same values. It would log each stream.
  wisp.options['allow_udp_streams'] = false;
  logging.set_level(logging.NONE);
  // A Wisp packet carries at most what a client chooses; 1 MiB bounds one frame's memory.
  const wss = new WebSocketServer({ noServer: true, maxPayload: 1024 * 1024 });
  const open = new Set<WebSocket>();
  const perClient = new Map<string, number>();

  return {
    handleUpgrade(req, socket, head) {
      const path = (req.url ?? '').split('?')[0];
      if (path !== RELAY_PATH) return false;
      const origin = typeof req.headers.origin === 'string' ? req.headers.origin : null;
      if (!originAllowed(o.allowedOrigins ?? '*', origin)) {
        log(`relay: refused a page from ${origin}`);
        socket.end('HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
        return true;
      }
      // The peer address, never X-Forwarded-For (as the proxy's rate limiter).
      const ip = req.socket.remoteAddress ?? 'unknown';
      const version = req.headers['sec-websocket-protocol'] ? 2 : 1;
      const held = perClient.get(ip) ?? 0;
      if (held >= MAX_CONNECTIONS_PER_CLIENT) {
        log(`relay: ${ip} refused: ${held} relay connections open`);
        socket.end('HTTP/1.1 429 Too Many Requests\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
        return true;
      }
      perClient.set(ip, held + 1);
      let counted = true;
      const release = () => {
        if (!counted) return;
        counted = false;
        const n = (perClient.get(ip) ?? 1) - 1;
        if (n > 0) perClient.set(ip, n);
        else perClient.delete(ip);
      };
      socket.once('close', release);
      wss.handleUpgrade(req, socket, head, (ws) => {
        open.add(ws);
        ws.on('close', () => (open.delete(ws), release()));
        ws.binaryType = 'arraybuffer';
        const conn = new RelayConnection(ws, version, { ip, policy, limits, timeoutMs, log });
        void conn
          .setup()
          .then(() => conn.run())
          .catch(() => ws.close());
      });
      return true;
    },
    close() {
      for (const ws of open) ws.terminate();
      open.clear();
      wss.close();
    },
  };
}

async function lookupAll(hostname: string): Promise<string[]> {
  const { lookup } = await import('node:dns/promises');
  return (await lookup(hostname, { all: true, verbatim: true })).map((a) => a.address);
}

interface Context {
  ip: string;
  policy: DestinationPolicy;
  limits: ClientLimits;
  timeoutMs: number;
  log: (message: string) => void;
}

class RelayConnection extends wisp.ServerConnection {
  private readonly counted = new Set<string>();
  private readonly closing = new Set<string>();

  constructor(ws: WebSocket, version: number, private readonly cx: Context) {
    super(ws, RELAY_PATH, { wisp_version: version });
  }

  override create_stream(stream_id: number, type: number, hostname: string, port: number): void {
    const { cx } = this;
    if (this.streams[stream_id]) return; // a second CONNECT for a live id: ignored
    if (type !== TCP) return void this.sendClose(stream_id, REASON.HostBlocked);
    const limited = cx.limits.openStream(cx.ip);
    if (limited) {
      cx.log(`relay: ${cx.ip} -> ${hostname}:${port} refused: ${limited}`);
      return void this.sendClose(stream_id, REASON.ConnThrottled);
    }
    this.counted.add(String(stream_id));
    const socket = new RelayTcpSocket(hostname, port, {
      timeoutMs: cx.timeoutMs,
      take: (n) => cx.limits.take(cx.ip, n),
      // A zero-length DATA before any byte: "connected" (Wisp has no such packet; tabdock's
      // link waits for it so a refused or closed port fails connect() itself).
      connected: () => void this.ws.send(packetBytes(0x02, stream_id)),
      overLimit: () => {
        cx.log(`relay: ${cx.ip} -> ${hostname}:${port} closed: byte budget used`);
        void this.close_stream(stream_id, REASON.ConnThrottled);
      },
    });
    const stream = new wisp.ServerStream(stream_id, this, socket);
    this.streams[stream_id] = stream;
    void (async () => {
      const d = await cx.policy.check(hostname, port);
      if (this.streams[stream_id] !== stream) return; // closed by the client meanwhile
      if (!d.ok) {
        cx.log(`relay: ${cx.ip} -> ${hostname}:${port} refused: ${d.message}`);
        await this.close_stream(stream_id, d.why === 'dns' || d.why === 'name' ? REASON.UnreachableHost : REASON.HostBlocked);
        return;
      }
      socket.address = d.address;
      try {
        await stream.setup();
      } catch (e) {
        await this.close_stream(stream_id, reasonFor(e));
      }
    })();
  }

  override async close_stream(stream_id: number, reason: number | null = null, quiet = false): Promise<void> {
    const key = String(stream_id);
    if (this.closing.has(key)) return;
    this.closing.add(key);
    if (this.counted.delete(key)) this.cx.limits.closeStream(this.cx.ip);
    try {
      await super.close_stream(stream_id, reason, quiet);
    } finally {
      this.closing.delete(key);
    }
  }

  private sendClose(stream_id: number, reason: number): Promise<void> {
    return this.ws.send(packetBytes(0x04, stream_id, [reason]));
  }
}

/** A Wisp packet: type u8, stream id u32 little-endian, payload. */
function packetBytes(type: number, streamId: number, payload: readonly number[] = []): Uint8Array {
  const b = new Uint8Array(5 + payload.length);
  b[0] = type;
  new DataView(b.buffer).setUint32(1, streamId, true);
  b.set(payload, 5);
  return b;
}

function reasonFor(e: unknown): number {
  switch ((e as { code?: string } | undefined)?.code) {
    case 'ECONNREFUSED': return REASON.ConnRefused;
    case 'ETIMEDOUT': return REASON.NoResponse;
    case 'EHOSTUNREACH': case 'ENETUNREACH': return REASON.UnreachableHost;
    default: return REASON.NetworkError;
  }
}

interface SocketHooks {
  timeoutMs: number;
  take(n: number): number;
  connected(): void;
  overLimit(): void;
}

/**
 * The destination socket wisp-js's ServerStream drives (connect / recv / send / close /
 * pause / resume). It connects only to `address`, set after the policy checked it; reads
 * and writes are charged to the client's byte budget.
 */
class RelayTcpSocket implements WispSocketLike {
  address: string | undefined;
  private socket: Socket | undefined;
  private readonly queue: Uint8Array[] = [];
  private waiter: ((d: Uint8Array | null) => void) | undefined;
  private done = false;
  private overAfterThis = false;
  private wsBusy = false;
  private handing = false;

  constructor(readonly hostname: string, readonly port: number, private readonly hooks: SocketHooks) {}

  connect(): Promise<void> {
    return new Promise((resolve, reject) => {
      const address = this.address;
      if (address === undefined || this.done) return reject(new Error('stream closed before it connected'));
      const s = new Socket();
      this.socket = s;
      let connected = false;
      const timer = setTimeout(() => s.destroy(Object.assign(new Error('connect timed out'), { code: 'ETIMEDOUT' })), this.hooks.timeoutMs);
      s.setNoDelay(true);
      s.once('connect', () => {
        connected = true;
        clearTimeout(timer);
        this.hooks.connected();
        resolve();
      });
      s.on('error', (e) => {
        clearTimeout(timer);
        if (!connected) reject(e);
      });
      s.on('data', (d: Buffer) => this.push(new Uint8Array(d.buffer, d.byteOffset, d.byteLength)));
      // Wisp has no half-close: the destination's FIN ends the stream once its bytes are out.
      s.on('end', () => this.finish());
      s.on('close', () => this.finish());
      s.connect({ host: address, port: this.port });
    });
  }

  private push(d: Uint8Array): void {
    this.queue.push(d);
    if (this.queue.length >= QUEUE_HIGH) this.socket?.pause();
    if (this.waiter && !this.handing) {
      // Hand the reads over after this turn of the event loop: the reads that are ready
      // now (libuv reads up to 32 a turn) go as one DATA packet, one WebSocket message.
      this.handing = true;
      setImmediate(() => {
        this.handing = false;
        const w = this.waiter;
        if (!w || this.queue.length === 0) return;
        this.waiter = undefined;
        w(this.charge(this.take()));
      });
    }
  }

  /** Queued reads, joined, up to DATA_MAX bytes (a single larger read whole). */
  private take(): Uint8Array {
    let n = 0;
    let k = 0;
    while (k < this.queue.length && (k === 0 || n + this.queue[k]!.byteLength <= DATA_MAX)) n += this.queue[k++]!.byteLength;
    const parts = this.queue.splice(0, k);
    if (this.queue.length < QUEUE_HIGH / 2 && !this.wsBusy) this.socket?.resume();
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts, n);
  }

  private finish(): void {
    this.done = true;
    // Reads still queued are handed over first (push's hand-over is on its way).
    if (this.queue.length > 0 && !this.overAfterThis) return;
    const w = this.waiter;
    this.waiter = undefined;
    w?.(null);
  }

  /** The part of `d` the budget allows; the stream closes on the next read after a short one. */
  private charge(d: Uint8Array): Uint8Array | null {
    if (this.overAfterThis) return this.over();
    const granted = this.hooks.take(d.byteLength);
    if (granted < d.byteLength) {
      if (granted === 0) return this.over();
      this.overAfterThis = true;
      return d.subarray(0, granted);
    }
    return d;
  }

  private over(): null {
    this.hooks.overLimit();
    return null;
  }

  recv(): Promise<Uint8Array | null> {
    if (this.overAfterThis) return Promise.resolve(this.over());
    if (this.queue.length > 0) return Promise.resolve(this.charge(this.take()));
    if (this.done) return Promise.resolve(null);
    return new Promise((resolve) => (this.waiter = resolve));
  }

  async send(data: Uint8Array): Promise<void> {
    const s = this.socket;
    if (!s || this.done) return;
    const granted = this.hooks.take(data.byteLength);
    if (granted > 0) await new Promise<void>((resolve) => s.write(data.subarray(0, granted), () => resolve()));
    if (granted < data.byteLength) this.hooks.overLimit();
  }

  close(): void {
    this.done = true;
    this.queue.length = 0;
    this.socket?.destroy();
    this.finish();
  }

  // ServerStream pauses reading while it hands one read to the WebSocket.
  pause(): void {
    this.wsBusy = true;
    this.socket?.pause();
  }

  resume(): void {
    this.wsBusy = false;
    if (this.queue.length < QUEUE_HIGH) this.socket?.resume();
  }
}
