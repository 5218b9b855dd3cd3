import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { TabdockError } from '../shared/errors.ts';
import { decompressor } from './decompress.ts';

/** Compressed by the real `zstd` tool (Debian's), with its flags. */
const zstd = (data: Uint8Array, ...flags: string[]) => new Uint8Array(execFileSync('zstd', ['-q', '-c', ...flags], { input: data, maxBuffer: 64 << 20 }));

/** Feeds `input` in pieces of `piece` bytes and reads all that comes out. */
async function inflate(input: Uint8Array, piece = 4096): Promise<Uint8Array> {
  const t = decompressor('zstd', 'layer x');
  const w = t.writable.getWriter();
  void (async () => {
    for (let i = 0; i < input.byteLength; i += piece) await w.write(input.subarray(i, i + piece));
    await w.close();
  })().catch(() => {});
  return new Uint8Array(await new Response(t.readable).arrayBuffer());
}

/** Byte equality without the matcher's element-by-element diff (megabytes of it are slow). */
const same = (a: Uint8Array, b: Uint8Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));

async function failure(p: Promise<unknown>): Promise<TabdockError> {
  const e = await p.then(() => undefined, (x: unknown) => x);
  expect(e).toBeInstanceOf(TabdockError);
  return e as TabdockError;
}

const text = new TextEncoder().encode('tabdock '.repeat(50_000));
const random = new Uint8Array(randomBytes(3 * 1024 * 1024 + 17));

describe('zstd layers, a block at a time', () => {
  it.each([
    ['text', text, [] as string[]],
    ['random (raw blocks)', random, []],
    ['with a checksum', text, ['--check']],
    ['without a checksum', text, ['--no-check']],
    ['long window', random, ['--long=27']],
    ['empty', new Uint8Array(0), []],
    ['one byte', new Uint8Array([7]), []],
  ])('inflates what zstd made: %s', async (_, data, flags) => {
    const z = zstd(data, ...flags);
    expect(same(await inflate(z), data)).toBe(true);
    // Byte by byte where that stays quick: every split of frames and blocks is met.
    expect(same(await inflate(z, z.byteLength < 65_536 ? 1 : 65_536), data)).toBe(true);
  }, 60_000);

  it('inflates several frames and skips skippable ones', async () => {
    const skippable = new Uint8Array([0x50, 0x2a, 0x4d, 0x18, 5, 0, 0, 0, 1, 2, 3, 4, 5]);
    const all = new Uint8Array([...zstd(text), ...skippable, ...zstd(random.subarray(0, 100_000)), ...zstd(new Uint8Array(0))]);
    expect(same(await inflate(all, 333), new Uint8Array([...text, ...random.subarray(0, 100_000)]))).toBe(true);
  });

  it('refuses truncated and foreign data as LAYER_CORRUPT', async () => {
    const z = zstd(text);
    expect((await failure(inflate(z.subarray(0, z.byteLength - 5)))).code).toBe('LAYER_CORRUPT');
    expect((await failure(inflate(new TextEncoder().encode('not zstd at all')))).code).toBe('LAYER_CORRUPT');
  });

  it('refuses a frame that asks for a 1.9 GiB window before allocating it', async () => {
    // Frame header: magic, descriptor (no single segment, no checksum), window descriptor
    // 2^30 * (1 + 7/8) = 1.875 GiB; then one small raw block.
    const wd = (20 << 3) | 7;
    const frame = new Uint8Array([0x28, 0xb5, 0x2f, 0xfd, 0x00, wd, 0x19, 0x00, 0x00, 0x61, 0x62, 0x63]);
    const before = process.memoryUsage().arrayBuffers;
    const e = await failure(inflate(frame));
    expect(e.code).toBe('LAYER_UNSAFE');
    expect(e.message).toBe('layer x: a zstd frame asks for a 1920 MiB window, over the 128 MiB zstd decoders accept; refusing the layer');
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(64 * 1024 * 1024);
  });

  it('a bomb of RLE blocks inflates only as fast as it is read', async () => {
    // 16,384 RLE blocks of 128 KiB each: 64 KiB that would become 2 GiB at once.
    const blocks = 16_384;
    const bomb = new Uint8Array(6 + blocks * 4);
    bomb.set([0x28, 0xb5, 0x2f, 0xfd, 0x00, 7 << 3]); // window 128 KiB
    for (let i = 0; i < blocks; i++) {
      const last = i === blocks - 1 ? 1 : 0;
      const bh = (131072 * 8) | (1 << 1) | last;
      bomb.set([bh & 0xff, (bh >> 8) & 0xff, (bh >> 16) & 0xff, 0x41], 6 + i * 4);
    }
    const t = decompressor('zstd', 'bomb');
    const w = t.writable.getWriter();
    void w.write(bomb).then(() => w.close()).catch(() => {});
    const r = t.readable.getReader();
    const before = process.memoryUsage().arrayBuffers;
    let got = 0;
    while (got < 16 * 1024 * 1024) {
      const { value } = await r.read();
      expect(value!.every((b) => b === 0x41)).toBe(true);
      got += value!.byteLength;
    }
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(96 * 1024 * 1024);
    await r.cancel();
  });
});
