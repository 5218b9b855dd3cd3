import { Decompress } from 'fzstd';
import { TabdockError } from '../shared/errors.ts';

/**
 * zstd layers, inflated with fzstd one block at a time, as the consumer reads.
 *
 * fzstd allocates each frame's window as its header declares it and decodes all it is
 * given at once. A hostile layer of a few KiB can declare a 2 GiB window, or carry RLE
 * blocks that each expand 4 bytes into 128 KiB. So the compressed stream is walked here
 * first (RFC 8878 section 3.1: frames, skippable frames, block headers): a frame whose
 * window is over WINDOW_LIMIT is refused before anything is allocated (zstd's own
 * decoders refuse windows over 2^27 by default: ZSTD_WINDOWLOG_LIMIT_DEFAULT), skippable
 * frames are dropped as they stream past, and fzstd gets one whole block per step, which
 * yields at most 128 KiB (Block_Maximum_Size), only when the reader pulls.
 */
export const WINDOW_LIMIT = 2 ** 27;
const BLOCK_MAX = 128 * 1024;
const MAGIC = 0xfd2fb528;

type Step =
  | { kind: 'feed'; bytes: Uint8Array; last?: boolean }
  | { kind: 'need' }
  | { kind: 'end' };

/** Bytes received and not yet handed on, and where the walk is in the frame structure. */
class FrameWalker {
  private chunks: Uint8Array[] = [];
  private length = 0;
  /** Inside a frame: blocks to read until the last; then the checksum's size. */
  private inFrame = false;
  private checksum = 0;
  /** Bytes of a skippable frame still to drop. */
  private skip = 0;

  constructor(private readonly what: string) {}

  push(b: Uint8Array): void {
    if (b.byteLength) {
      this.chunks.push(b);
      this.length += b.byteLength;
    }
  }

  /** The next whole unit to feed fzstd, or what is missing. `done`: no more input comes. */
  next(done: boolean): Step {
    for (;;) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, this.length);
        this.take(n);
        this.skip -= n;
        if (this.skip > 0) return done ? this.truncated() : { kind: 'need' };
      }
      if (!this.inFrame) {
        if (this.length === 0) return done ? { kind: 'end' } : { kind: 'need' };
        if (this.length < 8) return done ? this.truncated() : { kind: 'need' };
        const head = this.peek(Math.min(this.length, 18));
        const magic = (head[0]! | (head[1]! << 8) | (head[2]! << 16) | (head[3]! << 24)) >>> 0;
        if ((magic & 0xfffffff0) === 0x184d2a50) {
          this.take(8);
          this.skip = (head[4]! | (head[5]! << 8) | (head[6]! << 16) | (head[7]! << 24)) >>> 0;
          continue;
        }
        if (magic !== MAGIC) throw this.corrupt('not a zstd frame');
        const size = headerSize(head[4]!);
        if (this.length < size) return done ? this.truncated() : { kind: 'need' };
        const window = windowSize(this.peek(size));
        if (window > WINDOW_LIMIT) {
          throw new TabdockError('LAYER_UNSAFE', `${this.what}: a zstd frame asks for a ${Math.round(window / 1048576)} MiB window, over the ${WINDOW_LIMIT / 1048576} MiB zstd decoders accept; refusing the layer`, { what: this.what, window });
        }
        this.inFrame = true;
        this.checksum = (head[4]! >> 2) & 1 ? 4 : 0;
        return { kind: 'feed', bytes: this.take(size) };
      }
      if (this.length < 3) return done ? this.truncated() : { kind: 'need' };
      const h = this.peek(3);
      const bh = h[0]! | (h[1]! << 8) | (h[2]! << 16);
      const type = (bh >> 1) & 3;
      const size = bh >>> 3;
      if (type === 3) throw this.corrupt('reserved block type');
      if (size > BLOCK_MAX) throw this.corrupt(`a block of ${size} bytes, over the ${BLOCK_MAX} allowed`);
      const whole = 3 + (type === 1 ? 1 : size) + (bh & 1 ? this.checksum : 0);
      if (this.length < whole) return done ? this.truncated() : { kind: 'need' };
      if (bh & 1) this.inFrame = false;
      return { kind: 'feed', bytes: this.take(whole), last: (bh & 1) === 1 };
    }
  }

  private truncated(): never {
    throw this.corrupt('unexpected end of data');
  }

  private corrupt(why: string): TabdockError {
    return new TabdockError('LAYER_CORRUPT', `${this.what}: the zstd data is truncated or corrupt (${why})`, { what: this.what });
  }

  private peek(n: number): Uint8Array {
    if (this.chunks[0]!.byteLength >= n) return this.chunks[0]!.subarray(0, n);
    const out = new Uint8Array(n);
    let o = 0;
    for (const c of this.chunks) {
      const part = c.subarray(0, n - o);
      out.set(part, o);
      o += part.byteLength;
      if (o === n) break;
    }
    return out;
  }

  private take(n: number): Uint8Array {
    const out = this.peek(n);
    let left = n;
    while (left > 0) {
      const c = this.chunks[0]!;
      if (c.byteLength <= left) {
        this.chunks.shift();
        left -= c.byteLength;
      } else {
        this.chunks[0] = c.subarray(left);
        left = 0;
      }
    }
    this.length -= n;
    return out;
  }
}

/** Frame_Header size from its descriptor byte (RFC 8878 3.1.1.1). */
function headerSize(fhd: number): number {
  const fcsFlag = fhd >> 6;
  const single = (fhd >> 5) & 1;
  const dictBytes = [0, 1, 2, 4][fhd & 3]!;
  const fcsBytes = fcsFlag === 0 ? single : [0, 2, 4, 8][fcsFlag]!;
  return 4 + 1 + (single ? 0 : 1) + dictBytes + fcsBytes;
}

/** The window a frame needs: from its Window_Descriptor, or its content size when single-segment. */
function windowSize(h: Uint8Array): number {
  const fhd = h[4]!;
  if (!((fhd >> 5) & 1)) {
    const wd = h[5]!;
    const base = 2 ** (10 + (wd >> 3));
    return base + (base / 8) * (wd & 7);
  }
  const fcsFlag = fhd >> 6;
  const at = 5 + [0, 1, 2, 4][fhd & 3]!;
  const n = fcsFlag === 0 ? 1 : [0, 2, 4, 8][fcsFlag]!;
  let v = 0;
  for (let i = n - 1; i >= 0; i--) v = v * 256 + h[at + i]!;
  return fcsFlag === 1 ? v + 256 : v;
}

/** A zstd-inflating stream pair that decodes only as fast as its readable side is read. */
export function zstdStream(what: string): TransformStream<Uint8Array, Uint8Array> {
  const input = new TransformStream<Uint8Array, Uint8Array>();
  const reader = input.readable.getReader();
  const walker = new FrameWalker(what);
  let inputDone = false;
  let ended = false;
  const out: Uint8Array[] = [];
  const z = new Decompress((chunk) => {
    if (chunk.byteLength) out.push(chunk);
  });
  const readable = new ReadableStream<Uint8Array>({
    async pull(ctl) {
      try {
        while (out.length === 0) {
          if (ended) return ctl.close();
          const step = walker.next(inputDone);
          if (step.kind === 'end') {
            // fzstd holds back a frame shorter than its 18-byte look-ahead until told the end.
            z.push(new Uint8Array(0), true);
            ended = true;
            continue;
          }
          if (step.kind === 'need') {
            const r = await reader.read();
            if (r.done) inputDone = true;
            else walker.push(r.value);
            continue;
          }
          z.push(step.bytes);
        }
        ctl.enqueue(out.shift()!);
      } catch (e) {
        const err = TabdockError.is(e) ? e : new TabdockError('LAYER_CORRUPT', `${what}: the zstd data is truncated or corrupt (${e instanceof Error ? e.message : String(e)})`, { what });
        ctl.error(err);
        await reader.cancel(err).catch(() => {});
      }
    },
    cancel: (r) => reader.cancel(r),
  }, { highWaterMark: 0 });
  return { writable: input.writable, readable };
}
