import { gzipSync } from 'node:zlib';
import { expect, it } from 'vitest';
import { nodeGunzip } from './node.ts';

const inflate = (parts: Uint8Array[]) => {
  const src = new ReadableStream<Uint8Array>({ start(c) { for (const p of parts) c.enqueue(p); c.close(); } });
  const out: Uint8Array[] = [];
  return src.pipeThrough(nodeGunzip('layer x')).pipeTo(new WritableStream({ write: (c) => void out.push(c) })).then(() => Buffer.concat(out));
};

const data = new Uint8Array(300_000).map((_, i) => (i * 7) % 251);
const gz = new Uint8Array(gzipSync(data));

it('inflates gzip in pieces', async () => {
  expect(new Uint8Array(await inflate([gz.subarray(0, 1000), gz.subarray(1000)]))).toEqual(data);
});

it.each([
  ['not gzip at all', () => [new TextEncoder().encode('this is not gzip')]],
  ['flipped bytes mid-stream', () => { const b = gz.slice(); b[Math.floor(b.length / 2)]! ^= 0xff; return [b.subarray(0, 500), b.subarray(500)]; }],
  ['a wrong CRC', () => { const b = gz.slice(); b[b.length - 6]! ^= 0xff; return [b]; }],
  ['trailing garbage', () => [gz, new TextEncoder().encode('garbage after the end')]],
  ['truncated', () => [gz.subarray(0, gz.length - 20)]],
  ['empty', () => [new Uint8Array(0)]],
])('fails with LAYER_CORRUPT, never hangs: %s', async (_name, parts) => {
  await expect(inflate(parts())).rejects.toMatchObject({ code: 'LAYER_CORRUPT' });
});
