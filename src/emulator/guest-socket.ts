/**
 * One TCP connection in the guest as seen from the host (README "Socket streams"): a
 * container's egress connection the agent announced with OPEN, or an ingress `connect`.
 *
 * Flow control as for process streams: the agent may send INITIAL_STREAM_CREDIT bytes and
 * then waits for our CREDIT, which we grant as bytes are delivered to a listener (never
 * while paused or while nobody listens); we may send that much and then wait for the
 * agent's CREDIT, which it grants as the guest socket takes the bytes. An empty DATA is a
 * FIN in either direction. CLOSE aborts (or, from the agent, releases a stream whose two
 * FINs have both passed): the stream is gone on sending or receiving it.
 */
import { TabdockError } from '../shared/errors.ts';
import { FrameType, HEADER_LENGTH, INITIAL_STREAM_CREDIT, u32Payload, readU32, type Frame } from './protocol.ts';

/** What a socket needs from the client that owns it. */
export interface SocketHost {
  sendFrame(type: FrameType, id: number, payload?: Uint8Array, flags?: number): void;
  /** The stream is gone (CLOSE sent or received): forget its id. */
  release(sid: number): void;
}

const GRANT_BATCH = 32768;
/** A DATA frame with its header fills one 32 KiB port buffer (kernel/patches/0002): one send each. */
export const DATA_FRAME = 32768 - HEADER_LENGTH;

interface Queued {
  bytes: Uint8Array;
  done?: () => void;
  fail?: (e: Error) => void;
}

export class GuestSocket {
  /** Resolves when the stream is gone: CLOSE received or sent (or the guest went away). */
  readonly closed: Promise<void>;
  private resolveClosed!: () => void;
  private readonly dataListeners = new Set<(chunk: Uint8Array) => void>();
  private readonly endListeners = new Set<() => void>();
  private readonly early: Uint8Array[] = [];
  private peerEnded = false;
  private endDelivered = false;
  private ungranted = 0;
  private credit = INITIAL_STREAM_CREDIT;
  private readonly queue: Queued[] = [];
  /** Bytes in `queue` (its FIN aside). */
  private queuedBytes = 0;
  private pumpQueued = false;
  private ended = false; // our FIN is queued or sent
  private finSent = false;
  private isClosed = false;
  private paused = false;
  /** true when the stream ended by an abort (CLOSE before both FINs) rather than cleanly */
  aborted = false;

  constructor(private readonly host: SocketHost, readonly sid: number) {
    this.closed = new Promise((resolve) => (this.resolveClosed = resolve));
  }

  /** Bytes from the guest, in order. Bytes that came before the first listener are replayed to it. */
  onData(listener: (chunk: Uint8Array) => void): () => void {
    this.dataListeners.add(listener);
    if (this.early.length > 0) {
      for (const chunk of this.early.splice(0)) this.deliver(chunk);
    }
    this.maybeDeliverEnd();
    return () => this.dataListeners.delete(listener);
  }

  /** The guest side shut down its sending direction (FIN); called after its last data. */
  onEnd(listener: () => void): () => void {
    this.endListeners.add(listener);
    if (this.endDelivered) void Promise.resolve().then(() => listener());
    return () => this.endListeners.delete(listener);
  }

  /** Send bytes; resolves when they are all within the agent's credit (handed to the link). */
  write(data: Uint8Array): Promise<void> {
    if (this.isClosed) return Promise.reject(new TabdockError('EMULATOR_SOCKET_CLOSED', 'This guest connection is closed.', { sid: this.sid }));
    if (this.ended) return Promise.reject(new TabdockError('EMULATOR_SOCKET_CLOSED', 'This guest connection was already ended for writing.', { sid: this.sid }));
    if (data.length === 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.queue.push({ bytes: data, done: resolve, fail: reject });
      this.queuedBytes += data.length;
      this.pumpSoon();
    });
  }

  /** FIN: no more bytes from us (after those queued). */
  end(): void {
    if (this.ended || this.isClosed) return;
    this.ended = true;
    this.queue.push({ bytes: new Uint8Array(0) });
    this.pump();
  }

  /** Abort: CLOSE (the guest side sees a reset). */
  close(): void {
    if (this.isClosed) return;
    this.host.sendFrame(FrameType.Close, this.sid);
    this.finish(true);
  }

  /** Stop granting credit: the agent stops reading the guest socket once its credit is spent. */
  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    this.grant(0);
  }

  /** @internal a frame for this stream arrived from the agent */
  handleFrame(frame: Frame): void {
    if (this.isClosed) return;
    switch (frame.type) {
      case FrameType.Data:
        if (frame.payload.length === 0) {
          this.peerEnded = true;
          this.maybeDeliverEnd();
        } else if (this.dataListeners.size === 0) {
          this.early.push(frame.payload);
        } else {
          this.deliver(frame.payload);
        }
        break;
      case FrameType.Credit:
        this.credit += readU32(frame.payload);
        this.pump();
        break;
      case FrameType.Close:
        // the agent's release after both FINs, or its abort (an error, a reset)
        this.finish(!(this.peerEnded && this.finSent));
        break;
    }
  }

  /** @internal the guest or the client went away */
  abandon(): void {
    this.finish(true);
  }

  private deliver(chunk: Uint8Array): void {
    for (const l of this.dataListeners) l(chunk);
    this.grant(chunk.length);
  }

  private maybeDeliverEnd(): void {
    if (!this.peerEnded || this.endDelivered || this.early.length > 0) return;
    this.endDelivered = true;
    for (const l of this.endListeners) l();
  }

  private grant(delivered: number): void {
    this.ungranted += delivered;
    if (this.paused || this.isClosed || this.peerEnded || this.ungranted === 0) return;
    if (this.ungranted >= GRANT_BATCH || delivered === 0) {
      this.host.sendFrame(FrameType.Credit, this.sid, u32Payload(this.ungranted));
      this.ungranted = 0;
    }
  }

  /** Writes made in one turn go out together, in whole frames. */
  private pumpSoon(): void {
    if (this.pumpQueued) return;
    this.pumpQueued = true;
    queueMicrotask(() => {
      this.pumpQueued = false;
      this.pump();
    });
  }

  private pump(): void {
    while (this.queue.length > 0 && !this.isClosed) {
      if (this.queue[0]!.bytes.length === 0) {
        this.host.sendFrame(FrameType.Data, this.sid);
        this.finSent = true;
        this.queue.shift();
        continue;
      }
      // Whole frames while more is queued (a sender's silly-window avoidance): with less
      // credit than that, more than a frame's worth is in flight, and its CREDIT comes.
      const n = Math.min(this.queuedBytes, DATA_FRAME);
      if (this.credit < n) return;
      this.host.sendFrame(FrameType.Data, this.sid, this.take(n));
      this.credit -= n;
    }
  }

  /** The next n queued bytes (n <= queuedBytes), across writes: each write resolves once all of it is taken. */
  private take(n: number): Uint8Array {
    const head = this.queue[0]!;
    if (head.bytes.length >= n) {
      const out = head.bytes.subarray(0, n);
      this.consume(head, n);
      return out;
    }
    const out = new Uint8Array(n);
    for (let filled = 0; filled < n; ) {
      const h = this.queue[0]!;
      const k = Math.min(h.bytes.length, n - filled);
      out.set(h.bytes.subarray(0, k), filled);
      filled += k;
      this.consume(h, k);
    }
    return out;
  }

  private consume(head: Queued, k: number): void {
    this.queuedBytes -= k;
    if (k < head.bytes.length) {
      head.bytes = head.bytes.subarray(k);
      return;
    }
    this.queue.shift();
    head.done?.();
  }

  private finish(aborted: boolean): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.aborted = aborted;
    const err = new TabdockError('EMULATOR_SOCKET_CLOSED', 'The guest connection closed before these bytes were sent.', { sid: this.sid });
    for (const q of this.queue.splice(0)) q.fail?.(err);
    this.queuedBytes = 0;
    this.host.release(this.sid);
    this.resolveClosed();
  }
}
