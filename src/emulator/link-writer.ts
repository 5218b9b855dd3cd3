/**
 * Host->guest byte stream over one virtio-console port (the bulk port, or the console port), without loss.
 *
 * v86 copies each send into one receive buffer the guest has posted, cuts it at that
 * buffer's size (16 per queue; Linux posts PAGE_SIZE = 4 KiB buffers, our kernel 32 KiB
 * ones for ports: kernel/patches), and drops the send when none is posted. So: every send
 * is at most the next posted buffer's size (`nextBufferSize`, else `chunkSize`) bytes, at
 * most `maxInFlight` sends are outstanding, and a send is retired only when the agent's ACKs (bytes it read
 * from the tty) cover its last byte; by then the kernel has re-posted that buffer.
 * When the emulator exposes the queue (`buffersPosted`), that is checked too.
 */
export interface LinkWriterOptions {
  /** One console send (the caller wires it to `virtio-consoleN-input-bytes`). */
  send(bytes: Uint8Array): void;
  /** Receive buffers the guest has posted right now, when the emulator can tell. */
  buffersPosted?: () => number | undefined;
  /** Bytes the next posted receive buffer holds, when the emulator can tell (else `chunkSize`). */
  nextBufferSize?: () => number | undefined;
  chunkSize?: number;
  maxInFlight?: number;
  /** Retry timer when buffersPosted says 0 (injected for tests; setTimeout otherwise). */
  schedule?: (fn: () => void, ms: number) => unknown;
}

export class LinkWriter {
  private readonly queue: Uint8Array[] = [];
  private queueHead = 0; // bytes of queue[0] already sent
  private queued = 0;
  private sentTotal = 0;
  private ackedTotal = 0;
  private readonly inFlightEnds: number[] = [];
  private retryPending = false;
  private idleWaiters: Array<() => void> = [];
  private readonly chunkSize: number;
  private readonly maxInFlight: number;

  constructor(private readonly options: LinkWriterOptions) {
    this.chunkSize = options.chunkSize ?? 4096;
    this.maxInFlight = options.maxInFlight ?? 8;
  }

  /** Queue bytes (whole frames) for the guest; they go out in order. */
  write(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    this.queue.push(bytes);
    this.queued += bytes.length;
    this.pump();
  }

  /** The agent read `bytes` more bytes of the link. */
  ack(bytes: number): void {
    this.ackedTotal += bytes;
    while (this.inFlightEnds.length > 0 && (this.inFlightEnds[0] ?? Infinity) <= this.ackedTotal) this.inFlightEnds.shift();
    this.pump();
  }

  /** Forget everything queued and in flight (the guest restarted: nobody will ACK it). */
  reset(): void {
    this.queue.length = 0;
    this.queueHead = 0;
    this.queued = 0;
    this.sentTotal = 0;
    this.ackedTotal = 0;
    this.inFlightEnds.length = 0;
    this.pump();
  }

  /** Nothing queued and nothing unacknowledged. */
  get idle(): boolean {
    return this.queued === 0 && this.inFlightEnds.length === 0;
  }

  /** Resolves when `idle` (used before saving a snapshot). */
  whenIdle(): Promise<void> {
    if (this.idle) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private pump(): void {
    while (this.queued > 0 && this.inFlightEnds.length < this.maxInFlight) {
      const posted = this.options.buffersPosted?.();
      if (posted !== undefined && posted <= 0) {
        this.retryLater();
        return;
      }
      const chunk = this.take(Math.min(this.options.nextBufferSize?.() || this.chunkSize, this.queued));
      this.sentTotal += chunk.length;
      this.inFlightEnds.push(this.sentTotal);
      this.options.send(chunk);
    }
    if (this.idle && this.idleWaiters.length > 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
  }

  private retryLater(): void {
    if (this.retryPending) return;
    this.retryPending = true;
    const schedule = this.options.schedule ?? ((fn: () => void, ms: number) => setTimeout(fn, ms));
    schedule(() => {
      this.retryPending = false;
      this.pump();
    }, 2);
  }

  private take(n: number): Uint8Array {
    const out = new Uint8Array(n);
    let filled = 0;
    while (filled < n) {
      const head = this.queue[0];
      if (!head) break;
      const part = head.subarray(this.queueHead, this.queueHead + (n - filled));
      out.set(part, filled);
      filled += part.length;
      this.queueHead += part.length;
      if (this.queueHead >= head.length) {
        this.queue.shift();
        this.queueHead = 0;
      }
    }
    this.queued -= filled;
    return out;
  }
}
