import { expect, it } from 'vitest';
import { boundedTee } from './bounded-tee.ts';

const KIB = 1024;

/** A source of `n` 64 KiB pieces that counts how many were read from it. */
function source(n: number, fail?: Error): { stream: ReadableStream<Uint8Array>; read: () => number; cancelled: () => unknown } {
  let i = 0;
  let why: unknown;
  const stream = new ReadableStream<Uint8Array>({
    pull(c) {
      if (i === n) return fail ? c.error(fail) : c.close();
      c.enqueue(new Uint8Array(64 * KIB).fill(i++ & 0xff));
    },
    cancel(r) {
      why = r ?? 'cancelled';
    },
  }, { highWaterMark: 0 });
  return { stream, read: () => i, cancelled: () => why };
}

async function drain(s: ReadableStream<Uint8Array>): Promise<number> {
  let n = 0;
  const r = s.getReader();
  for (let x = await r.read(); !x.done; x = await r.read()) n += x.value.byteLength;
  return n;
}

it('gives both branches every byte', async () => {
  const src = source(40);
  const [a, b] = boundedTee(src.stream, 256 * KIB);
  expect(await Promise.all([drain(a), drain(b)])).toEqual([40 * 64 * KIB, 40 * 64 * KIB]);
});

it('reads the source no further ahead of the slower branch than its high-water mark', async () => {
  const src = source(100);
  const [fast, slow] = boundedTee(src.stream, 256 * KIB);
  const done = drain(fast);
  // Whenever the slow branch has taken k pieces, at most k + 4 (256 KiB) + 1 were read.
  const r = slow.getReader();
  let k = 0;
  for (let x = await r.read(); !x.done; x = await r.read()) {
    k++;
    expect(src.read()).toBeLessThanOrEqual(k + 5);
    // A slow consumer: the fast branch gets every chance to run ahead meanwhile.
    await new Promise((resolve) => setImmediate(resolve));
  }
  expect(k).toBe(100);
  expect(await done).toBe(100 * 64 * KIB);
});

it('errors both branches when the source errors, and cancels the source when both cancel', async () => {
  const bad = source(3, new Error('cut'));
  const [a, b] = boundedTee(bad.stream, 256 * KIB);
  await expect(drain(a)).rejects.toThrow('cut');
  await expect(drain(b)).rejects.toThrow('cut');

  const src = source(100);
  const [x, y] = boundedTee(src.stream, 256 * KIB);
  await x.cancel('no');
  expect(src.cancelled()).toBeUndefined();
  expect(await drain(y)).toBe(100 * 64 * KIB);
  const again = source(100);
  const [p, q] = boundedTee(again.stream, 256 * KIB);
  await p.cancel('no');
  await q.cancel('no');
  expect(again.cancelled()).toBe('no');
});
