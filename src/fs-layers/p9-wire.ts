import type { Inode } from './inode.ts';

/** 9P message types (9P2000.L as Linux v9fs sends them; R = T + 1). */
export const T = {
  lerror: 7, statfs: 8, lopen: 12, lcreate: 14, symlink: 16, mknod: 18, rename: 20, readlink: 22,
  getattr: 24, setattr: 26, xattrwalk: 30, xattrcreate: 32, readdir: 40, fsync: 50, lock: 52,
  getlock: 54, link: 70, mkdir: 72, renameat: 74, unlinkat: 76, version: 100, auth: 102,
  attach: 104, flush: 108, walk: 110, read: 116, write: 118, clunk: 120, remove: 122,
} as const;

const enc = new TextEncoder();
const dec = new TextDecoder();

/** Reads little-endian fields of one request body (after size[4] type[1] tag[2]). */
export class WireReader {
  private off = 7;
  private readonly v: DataView;

  constructor(readonly buf: Uint8Array) {
    this.v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  u8(): number {
    return this.v.getUint8(this.off++);
  }
  u16(): number {
    const x = this.v.getUint16(this.off, true);
    this.off += 2;
    return x;
  }
  u32(): number {
    const x = this.v.getUint32(this.off, true);
    this.off += 4;
    return x;
  }
  u64(): number {
    const lo = this.v.getUint32(this.off, true);
    const hi = this.v.getUint32(this.off + 4, true);
    this.off += 8;
    return hi * 2 ** 32 + lo;
  }
  str(): string {
    const n = this.u16();
    return dec.decode(this.bytes(n));
  }
  bytes(n: number): Uint8Array {
    if (this.off + n > this.buf.byteLength) throw new RangeError('short message');
    const b = this.buf.subarray(this.off, this.off + n);
    this.off += n;
    return b;
  }
}

/** Builds one reply: fields appended little-endian, header filled in by `finish`. */
export class WireWriter {
  private buf: Uint8Array;
  private v: DataView;
  private off = 7;

  /** `scratch`: a buffer to write into instead of a new one (see `P9Server.handle9p`). */
  constructor(scratch?: Uint8Array) {
    this.buf = scratch ?? new Uint8Array(256);
    this.v = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
  }

  /** The buffer written into: the scratch given, or a larger one it outgrew into. */
  get buffer(): Uint8Array {
    return this.buf;
  }

  /** Moves what is written so far into a buffer of the writer's own, so the scratch it
   * was given can serve another reply while this one waits. */
  detach(): void {
    const b = new Uint8Array(Math.max(256, this.off));
    b.set(this.buf.subarray(0, this.off));
    this.buf = b;
    this.v = new DataView(b.buffer);
  }

  private room(n: number): void {
    if (this.off + n <= this.buf.byteLength) return;
    let size = this.buf.byteLength * 2;
    while (size < this.off + n) size *= 2;
    const b = new Uint8Array(size);
    b.set(this.buf.subarray(0, this.off));
    this.buf = b;
    this.v = new DataView(b.buffer);
  }

  /** Makes room for `n` more bytes up front (large read replies: one allocation). */
  reserve(n: number): this {
    this.room(n);
    return this;
  }

  get length(): number {
    return this.off;
  }

  /** The next `n` bytes of the reply, for the caller to fill in place (a read's data). */
  take(n: number): Uint8Array {
    this.room(n);
    const b = this.buf.subarray(this.off, this.off + n);
    this.off += n;
    return b;
  }

  u8(x: number): this {
    this.room(1);
    this.v.setUint8(this.off++, x);
    return this;
  }
  u16(x: number): this {
    this.room(2);
    this.v.setUint16(this.off, x, true);
    this.off += 2;
    return this;
  }
  u32(x: number): this {
    this.room(4);
    this.v.setUint32(this.off, x >>> 0, true);
    this.off += 4;
    return this;
  }
  u64(x: number): this {
    this.room(8);
    const n = Math.max(0, Math.floor(x));
    this.v.setUint32(this.off, n % 2 ** 32, true);
    this.v.setUint32(this.off + 4, Math.floor(n / 2 ** 32), true);
    this.off += 8;
    return this;
  }
  str(s: string): this {
    const b = enc.encode(s);
    this.u16(b.byteLength);
    return this.bytes(b);
  }
  bytes(b: Uint8Array): this {
    this.room(b.byteLength);
    this.buf.set(b, this.off);
    this.off += b.byteLength;
    return this;
  }
  qid(n: Inode, base = 0): this {
    // type: high byte of the mode (QTDIR 0x80, QTSYMLINK 0x02); version 0; path = inode
    // (offset per tree, so trees sharing one mount never share an inode number).
    return this.u8(n.kind === 'd' ? 0x80 : n.kind === 'l' ? 0x02 : 0).u32(0).u64(base + n.ino);
  }

  finish(type: number, tag: number): Uint8Array {
    this.v.setUint32(0, this.off, true);
    this.v.setUint8(4, type);
    this.v.setUint16(5, tag, true);
    // A view, not a copy: a large reply (a read) was sized up front, so little is held
    // beyond the frame.
    return this.buf.subarray(0, this.off);
  }
}

export const QID_SIZE = 13;
