/**
 * One process in the guest (a container's `crun run`, a `crun exec`, or a plain guest
 * command) as seen from the host: its output, its stdin, its exit status.
 *
 * Credits (README "Stream flow control"): the agent may send INITIAL_STREAM_CREDIT bytes of
 * output and then waits for our CREDIT frames, which we send as output is delivered; we may
 * send that many stdin bytes and then wait for the agent's CREDIT, which it sends as the
 * process reads. A slow reader therefore blocks only its own stream.
 */
import { TabdockError } from '../shared/errors.ts';
import { FrameType, INITIAL_STREAM_CREDIT, u32Payload, type Frame, readU32, readI32 } from './protocol.ts';

export type OutputFd = 1 | 2;
export type OutputListener = (chunk: Uint8Array, fd: OutputFd) => void;

/** What a process needs from the client that owns it. */
export interface StreamHost {
  sendFrame(type: FrameType, id: number, payload?: Uint8Array, flags?: number): void;
  request(op: string, fields: ReadonlyArray<readonly [string, string | number]>): Promise<Map<string, string[]>>;
}

const GRANT_BATCH = 16384;
const STDIN_FRAME = 16384;

export class GuestProcess {
  /** Guest pid of the process the agent started (crun itself for run/exec). */
  pid = 0;
  /** Resolves with the exit status: the code, or 128 + signal (OOM kill -> 137). */
  readonly exit: Promise<number>;
  private resolveExit!: (status: number) => void;
  private readonly listeners = new Set<OutputListener>();
  private readonly early: Array<[Uint8Array, OutputFd]> = [];
  private ungranted = 0;
  private stdinCredit = INITIAL_STREAM_CREDIT;
  private readonly stdinQueue: Array<{ bytes: Uint8Array; done?: () => void }> = [];
  private stdinClosed = false;
  private exited = false;
  private paused = false;

  constructor(private readonly host: StreamHost, readonly sid: number, readonly tty: boolean) {
    this.exit = new Promise((resolve) => (this.resolveExit = resolve));
  }

  /** Output chunks in order per fd (a tty has only fd 1). Output that came before the first listener is replayed to it. */
  onOutput(listener: OutputListener): () => void {
    this.listeners.add(listener);
    for (const [chunk, fd] of this.early.splice(0)) listener(chunk, fd);
    return () => this.listeners.delete(listener);
  }

  /** Queue stdin bytes; resolves when they are all handed to the link. */
  write(data: Uint8Array | string): Promise<void> {
    const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
    if (this.stdinClosed) return Promise.reject(new TabdockError('EMULATOR_STDIN_CLOSED', 'This process\'s stdin is already closed.', { sid: this.sid }));
    if (bytes.length === 0 || this.exited) return Promise.resolve();
    return new Promise((resolve) => {
      this.stdinQueue.push({ bytes, done: resolve });
      this.pumpStdin();
    });
  }

  /** End of input: the agent closes the pipe (a tty gets its EOF character). */
  closeStdin(): void {
    if (this.stdinClosed) return;
    this.stdinClosed = true;
    this.stdinQueue.push({ bytes: new Uint8Array(0) });
    this.pumpStdin();
  }

  /**
   * Stop granting output credit: the agent stops reading the process's output once the
   * credit it has is spent (at most INITIAL_STREAM_CREDIT more bytes arrive), so the
   * process blocks on write. For a consumer that cannot keep up (a terminal, a slow sink).
   */
  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    this.grant(0);
  }

  /** Resize the pseudo-terminal (tty processes only). */
  async resize(rows: number, cols: number): Promise<void> {
    await this.host.request('resize', [['sid', this.sid], ['rows', rows], ['cols', cols]]);
  }

  /** Signal the process (for a container's main process: the container, via `crun kill`). */
  async kill(signal = 15): Promise<void> {
    await this.host.request('kill', [['sid', this.sid], ['sig', signal]]);
  }

  /** Collect all output until exit (for short commands and tests). */
  async output(): Promise<{ status: number; stdout: string; stderr: string }> {
    const out: Uint8Array[] = [];
    const err: Uint8Array[] = [];
    const off = this.onOutput((chunk, fd) => (fd === 1 ? out : err).push(chunk));
    const status = await this.exit;
    off();
    const text = new TextDecoder();
    return { status, stdout: text.decode(concat(out)), stderr: text.decode(concat(err)) };
  }

  /** @internal a frame for this stream arrived from the agent */
  handleFrame(frame: Frame): void {
    switch (frame.type) {
      case FrameType.Data: {
        const fd: OutputFd = frame.flags === 2 ? 2 : 1;
        if (this.listeners.size === 0) this.early.push([frame.payload, fd]);
        else for (const l of this.listeners) l(frame.payload, fd);
        this.grant(frame.payload.length);
        break;
      }
      case FrameType.Credit:
        this.stdinCredit += readU32(frame.payload);
        this.pumpStdin();
        break;
      case FrameType.Exit:
        this.exited = true;
        for (const q of this.stdinQueue.splice(0)) q.done?.();
        this.resolveExit(readI32(frame.payload));
        break;
    }
  }

  /** @internal the client is going away */
  abandon(reason: number): void {
    if (this.exited) return;
    this.exited = true;
    for (const q of this.stdinQueue.splice(0)) q.done?.();
    this.resolveExit(reason);
  }

  /** Give back delivered output as credit, in batches, unless paused. */
  private grant(delivered: number): void {
    this.ungranted += delivered;
    if (this.paused || this.exited || this.ungranted === 0) return;
    if (this.ungranted >= GRANT_BATCH || delivered === 0) {
      this.host.sendFrame(FrameType.Credit, this.sid, u32Payload(this.ungranted));
      this.ungranted = 0;
    }
  }

  private pumpStdin(): void {
    while (this.stdinQueue.length > 0) {
      const head = this.stdinQueue[0]!;
      if (head.bytes.length === 0) {
        this.host.sendFrame(FrameType.Data, this.sid);
        this.stdinQueue.shift();
        continue;
      }
      if (this.stdinCredit <= 0) return;
      const n = Math.min(head.bytes.length, this.stdinCredit, STDIN_FRAME);
      this.host.sendFrame(FrameType.Data, this.sid, head.bytes.subarray(0, n));
      this.stdinCredit -= n;
      if (n === head.bytes.length) {
        this.stdinQueue.shift();
        head.done?.();
      } else {
        head.bytes = head.bytes.subarray(n);
      }
    }
  }
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}
