/// <reference path="../../shared/wisp-js.d.ts" />
/**
 * The page's network link (net-contract.md, "NetworkLink"): containers' TCP leaves the
 * guest as streams on the control channel, and here each becomes a Wisp TCP stream over
 * one WebSocket to the relay (`/wisp/` beside the page by default; src/proxy/README.md).
 * DNS is fake-ip (fake-ip-dns.ts): the relay resolves the name when the container connects.
 *
 * wisp-js's client speaks the protocol; it takes the WebSocket constructor from its
 * environment (the browser's global; `ws` under Node), so tests run it in Node unchanged.
 */
import { client as wisp, type ClientConnection, type ClientStream } from '@mercuryworkshop/wisp-js/client';
import { FakeIpDns, isFakeIp } from './fake-ip-dns.ts';
import { LinkConnectError, type LinkSocket, type NetworkLink } from '../network/link.ts';

export { LinkConnectError, type LinkSocket, type NetworkLink };

export interface WispLinkOptions {
  /** The relay's URL, `ws(s)://.../wisp/` (must end with `/`). */
  url: string;
  /** Container-side addresses that mean "the host" (docker0's 172.17.0.1 and every bridge gateway). */
  isHostGateway?: (ip: string) => boolean;
  /** How long to wait for the relay's handshake before calling it absent (default 10 s). */
  handshakeTimeoutMs?: number;
  /** Told once, the first time the relay cannot be reached: a sentence for the page. */
  onUnavailable?: (sentence: string) => void;
}

const CLOSE = { Voluntary: 0x02, UnreachableHost: 0x42, NoResponse: 0x43, ConnRefused: 0x44, HostBlocked: 0x48, ConnThrottled: 0x49 } as const;
/** Largest DATA packet we send (the relay accepts frames up to 1 MiB). */
const MAX_PACKET = 32 * 1024;
/** Bytes the WebSocket may hold unsent before write() waits. */
const WS_HIGH_WATER = 1024 * 1024;

export function unavailableSentence(url: string): string {
  return `No network relay answers at ${url}, so containers in this page have no network access (connections fail with "network unreachable"); run \`tabdock proxy\` or \`npm run dev\`, which serve one.`;
}

export class WispLink implements NetworkLink {
  private conn: ClientConnection | undefined;
  private opening: Promise<ClientConnection | undefined> | undefined;
  private state: 'unknown' | 'up' | 'down' = 'unknown';
  private told = false;
  readonly dns = new FakeIpDns();

  constructor(private readonly o: WispLinkOptions) {
    if (!o.url.endsWith('/')) throw new TypeError(`the relay URL must end with "/": ${o.url}`);
  }

  /** True once the relay has answered, false when it could not be reached (and until then). */
  get available(): boolean {
    return this.state === 'up';
  }

  /** Reach the relay now (the engine asks before `net-link up=`); true when it answered. */
  async probe(): Promise<boolean> {
    return (await this.connection()) !== undefined;
  }

  async resolve(query: Uint8Array): Promise<Uint8Array> {
    if (this.state === 'unknown') await this.probe();
    const a = this.dns.answer(query, this.available);
    if (!a) throw new LinkConnectError('EHOSTUNREACH', 113, 'not a DNS query');
    return a;
  }

  async connect(dst: string, port: number): Promise<LinkSocket> {
    let host = dst;
    if (isFakeIp(dst)) {
      const name = this.dns.nameFor(dst);
      if (!name) throw new LinkConnectError('EHOSTUNREACH', 113, `${dst} is not an address this page's DNS handed out`);
      host = name;
    } else if ((this.o.isHostGateway ?? ((ip) => ip === '172.17.0.1'))(dst)) {
      host = '127.0.0.1'; // the host side of the link: the relay's loopback policy decides
    }
    const conn = await this.connection();
    if (!conn) throw new LinkConnectError('ENETUNREACH', 101, unavailableSentence(this.o.url));
    return openStream(conn, host, port);
  }

  dispose(): void {
    this.conn?.close();
    this.conn = undefined;
  }

  private connection(): Promise<ClientConnection | undefined> {
    if (this.conn?.connected) return Promise.resolve(this.conn);
    this.opening ??= new Promise<ClientConnection | undefined>((resolve) => {
      let conn: ClientConnection;
      const done = (ok: boolean) => {
        clearTimeout(timer);
        this.opening = undefined;
        if (ok) {
          this.conn = conn;
          this.state = 'up';
          resolve(conn);
          return;
        }
        this.state = 'down';
        try {
          conn?.close();
        } catch {
          // never opened
        }
        if (!this.told) {
          this.told = true;
          this.o.onUnavailable?.(unavailableSentence(this.o.url));
        }
        resolve(undefined);
      };
      const timer = setTimeout(() => done(false), this.o.handshakeTimeoutMs ?? 10_000);
      try {
        conn = new wisp.ClientConnection(this.o.url);
      } catch {
        return done(false);
      }
      conn.onopen = () => done(true);
      conn.onerror = () => done(false);
      conn.onclose = () => {
        if (this.conn === conn) this.conn = undefined; // the next connect opens a new one
        if (this.opening) done(false);
      };
    });
    return this.opening;
  }
}

function refusal(reason: number, host: string, port: number): LinkConnectError {
  const where = `${host}:${port}`;
  switch (reason) {
    case CLOSE.HostBlocked:
      return new LinkConnectError('ECONNREFUSED', 111, `the network relay refused ${where}: it allows public addresses and its listed ports only`);
    case CLOSE.ConnThrottled:
      return new LinkConnectError('ECONNREFUSED', 111, `the network relay refused ${where}: this page is at its limit of connections or bytes`);
    case CLOSE.ConnRefused:
      return new LinkConnectError('ECONNREFUSED', 111, `${where} refused the connection`);
    case CLOSE.NoResponse:
      return new LinkConnectError('ETIMEDOUT', 110, `${where} did not answer`);
    default:
      return new LinkConnectError('EHOSTUNREACH', 113, `${where} is unreachable from the network relay`);
  }
}

function openStream(conn: ClientConnection, host: string, port: number): Promise<LinkSocket> {
  const stream: ClientStream = conn.create_stream(host, port, 'tcp');
  return new Promise((resolve, reject) => {
    const dataListeners = new Set<(c: Uint8Array) => void>();
    const endListeners = new Set<() => void>();
    const held: Uint8Array[] = [];
    let paused = false;
    let connected = false;
    let ended = false;
    let creditWaiters: (() => void)[] = [];
    // `closed` settles only once the bytes held by pause() and the end have been handed
    // over (or on destroy): a consumer that tears down on `closed` loses nothing.
    let onClosed!: (r: number) => void;
    const closed = new Promise<number>((r) => (onClosed = r));

    const deliver = (c: Uint8Array) => {
      if (paused || held.length > 0) held.push(c);
      else for (const l of dataListeners) l(c);
    };
    const finish = () => {
      if (ended) return;
      if (paused || held.length > 0) return; // after the held bytes, in resume()
      ended = true;
      for (const l of endListeners) l();
      if (closedReason !== undefined) onClosed(closedReason);
    };
    let closedReason: number | undefined;

    // CONTINUE from the relay: wake writers waiting on credit.
    const continued = stream.continue_received.bind(stream);
    stream.continue_received = (n) => {
      continued(n);
      const w = creditWaiters;
      creditWaiters = [];
      w.forEach((f) => f());
    };

    const socket: LinkSocket = {
      async write(data) {
        for (let i = 0; i < data.byteLength; i += MAX_PACKET) {
          while (stream.open && closedReason === undefined && (stream.buffer_size <= 0 || conn.ws.bufferedAmount > WS_HIGH_WATER)) {
            if (stream.buffer_size <= 0) await new Promise<void>((r) => creditWaiters.push(r));
            else await new Promise<void>((r) => setTimeout(r, 5)); // a WebSocket has no drain event
          }
          if (closedReason !== undefined || !stream.open) throw new LinkConnectError('EHOSTUNREACH', 113, 'the stream was closed');
          stream.send(data.subarray(i, Math.min(data.byteLength, i + MAX_PACKET)));
        }
      },
      end() {
        // Wisp has no half-close (README): keep the stream; the destination ends it.
      },
      destroy() {
        if (closedReason !== undefined) return;
        closedReason = CLOSE.Voluntary;
        stream.close(CLOSE.Voluntary);
        onClosed(CLOSE.Voluntary);
        creditWaiters.splice(0).forEach((f) => f());
      },
      onData(l) {
        dataListeners.add(l);
        return () => dataListeners.delete(l);
      },
      onEnd(l) {
        endListeners.add(l);
        return () => endListeners.delete(l);
      },
      pause() {
        paused = true;
      },
      resume() {
        paused = false;
        while (!paused && held.length > 0) {
          const c = held.shift()!;
          for (const l of dataListeners) l(c);
        }
        if (!paused && closedReason !== undefined) finish();
      },
      closed,
    };

    stream.onmessage = (data) => {
      if (!connected) {
        connected = true;
        resolve(socket);
        if (data.byteLength === 0) return; // the relay's "connected"
      }
      if (data.byteLength > 0) deliver(new Uint8Array(data));
    };
    stream.onclose = (reason) => {
      if (closedReason === undefined) closedReason = reason;
      creditWaiters.splice(0).forEach((f) => f());
      if (!connected) {
        onClosed(reason);
        return reject(refusal(reason, host, port));
      }
      finish(); // settles `closed` now, or after resume() hands over the held bytes
    };
  });
}
