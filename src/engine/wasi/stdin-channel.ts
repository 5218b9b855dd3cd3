/**
 * Live stdin for a module that reads it synchronously: a single-producer single-consumer
 * byte ring in a SharedArrayBuffer. The engine writes what arrives; the worker's `fd_read`
 * takes what is there, or blocks in `Atomics.wait` until more comes or stdin closes.
 *
 * Layout: four Int32 counters, then the ring. `W` and `R` count bytes written and read
 * (wrapping Int32: only their difference matters, and it never exceeds the capacity);
 * `SEQ` changes on every write and on close, and is what a reader waits on, so a close
 * or a write between its check and its wait is never missed.
 */
const W = 0;
const R = 1;
const CLOSED = 2;
const SEQ = 3;
const HEAD = 16;
export const STDIN_CAPACITY = 64 * 1024;

/** Whether this thread can share memory with a worker (Node: yes; a page: only cross-origin isolated). */
export function canShareMemory(): boolean {
  return typeof SharedArrayBuffer === 'function' && typeof Atomics === 'object';
}

export function createStdinBuffer(capacity = STDIN_CAPACITY): SharedArrayBuffer {
  if (capacity & (capacity - 1)) throw new RangeError('capacity must be a power of two');
  return new SharedArrayBuffer(HEAD + capacity);
}

/** The engine's end: writes what fits, returns the rest (write it again after a drain). */
export class StdinWriter {
  private readonly ctl: Int32Array;
  private readonly ring: Uint8Array;

  constructor(buffer: SharedArrayBuffer) {
    this.ctl = new Int32Array(buffer, 0, 4);
    this.ring = new Uint8Array(buffer, HEAD);
  }

  write(data: Uint8Array): Uint8Array {
    const cap = this.ring.length;
    const w = Atomics.load(this.ctl, W);
    const used = (w - Atomics.load(this.ctl, R)) | 0;
    const n = Math.min(cap - used, data.length);
    const at = w & (cap - 1);
    const first = Math.min(n, cap - at);
    this.ring.set(data.subarray(0, first), at);
    this.ring.set(data.subarray(first, n), 0);
    Atomics.store(this.ctl, W, (w + n) | 0);
    this.wake();
    return data.subarray(n);
  }

  close(): void {
    Atomics.store(this.ctl, CLOSED, 1);
    this.wake();
  }

  private wake(): void {
    Atomics.add(this.ctl, SEQ, 1);
    Atomics.notify(this.ctl, SEQ);
  }
}

/** The worker's end. */
export class StdinReader {
  private readonly ctl: Int32Array;
  private readonly ring: Uint8Array;

  constructor(buffer: SharedArrayBuffer) {
    this.ctl = new Int32Array(buffer, 0, 4);
    this.ring = new Uint8Array(buffer, HEAD);
  }

  /** Bytes ready now (0 at end of file or when nothing came yet). */
  available(): number {
    return (Atomics.load(this.ctl, W) - Atomics.load(this.ctl, R)) | 0;
  }

  get closed(): boolean {
    return Atomics.load(this.ctl, CLOSED) === 1;
  }

  /** Up to `max` bytes, waiting for some; an empty array is end of file. */
  read(max: number): Uint8Array {
    for (;;) {
      const seq = Atomics.load(this.ctl, SEQ);
      const n = Math.min(this.available(), max);
      if (n > 0) return this.take(n);
      if (this.closed) return new Uint8Array(0);
      Atomics.wait(this.ctl, SEQ, seq);
    }
  }

  /** Waits until a read would not block, or `ms` passed; true when readable. */
  waitReadable(ms: number): boolean {
    const end = performance.now() + ms;
    for (;;) {
      const seq = Atomics.load(this.ctl, SEQ);
      if (this.available() > 0 || this.closed) return true;
      const left = end - performance.now();
      if (left <= 0) return false;
      Atomics.wait(this.ctl, SEQ, seq, left);
    }
  }

  private take(n: number): Uint8Array {
    const cap = this.ring.length;
    const r = Atomics.load(this.ctl, R);
    const at = r & (cap - 1);
    const out = new Uint8Array(n);
    const first = Math.min(n, cap - at);
    out.set(this.ring.subarray(at, at + first));
    out.set(this.ring.subarray(0, n - first), first);
    Atomics.store(this.ctl, R, (r + n) | 0);
    return out;
  }
}
