import { describe, expect, it } from 'vitest';
import { sha256, verifier } from './verify.ts';

async function drain(bytes: Uint8Array, t: TransformStream<Uint8Array, Uint8Array>): Promise<number> {
  let n = 0;
  const r = new Blob([bytes]).stream().pipeThrough(t).getReader();
  for (;;) {
    const { done, value } = await r.read();
    if (done) return n;
    n += value.byteLength;
  }
}

describe('verifier', () => {
  const data = new TextEncoder().encode('hello tabdock');
  it('passes matching bytes', async () => {
    const digest = await sha256(data);
    expect(await drain(data, await verifier({ digest, size: data.length }, 'blob'))).toBe(data.length);
  });
  it('rejects different bytes of the same size', async () => {
    const digest = await sha256(data);
    const bad = data.slice();
    bad[0] = 0x48;
    await expect(drain(bad, await verifier({ digest, size: data.length }, 'blob'))).rejects.toMatchObject({ code: 'DIGEST_MISMATCH' });
  });
  it('rejects a short or a long stream', async () => {
    const digest = await sha256(data);
    await expect(drain(data.slice(0, 5), await verifier({ digest, size: data.length }, 'blob'))).rejects.toMatchObject({ code: 'SIZE_MISMATCH' });
    await expect(drain(data, await verifier({ digest, size: 4 }, 'blob'))).rejects.toMatchObject({ code: 'SIZE_MISMATCH' });
  });
});
