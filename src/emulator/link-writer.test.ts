import { describe, expect, it } from 'vitest';
import { LinkWriter } from './link-writer.ts';

function bytes(n: number, seed = 0): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => (i + seed) & 0xff);
}

describe('LinkWriter', () => {
  it('cuts sends at the chunk size, keeps at most maxInFlight outstanding, preserves order', () => {
    const sent: Uint8Array[] = [];
    const w = new LinkWriter({ send: (b) => sent.push(b), chunkSize: 4096, maxInFlight: 8 });
    const data = bytes(100_000);
    w.write(data.subarray(0, 30_000));
    w.write(data.subarray(30_000));
    expect(sent.length).toBe(8);
    expect(sent.every((s) => s.length <= 4096)).toBe(true);
    let acked = 0;
    while (!w.idle) {
      // the agent reads everything sent so far
      const total = sent.reduce((n, s) => n + s.length, 0);
      w.ack(total - acked);
      acked = total;
    }
    const joined = Uint8Array.from(sent.flatMap((s) => [...s]));
    expect(joined).toEqual(data);
  });

  it('retires a send only when the ACKs cover its last byte', () => {
    const sent: Uint8Array[] = [];
    const w = new LinkWriter({ send: (b) => sent.push(b), chunkSize: 10, maxInFlight: 1 });
    w.write(bytes(25));
    expect(sent.length).toBe(1);
    w.ack(9);
    expect(sent.length).toBe(1);
    w.ack(1);
    expect(sent.length).toBe(2);
  });

  it('fills each send up to the size of the buffer the guest posted next', () => {
    const sent: Uint8Array[] = [];
    const sizes = [32768, 32768, 4096];
    const w = new LinkWriter({ send: (b) => sent.push(b), nextBufferSize: () => sizes[sent.length], maxInFlight: 8 });
    const data = bytes(80_000);
    w.write(data);
    expect(sent.map((s) => s.length)).toEqual([32768, 32768, 4096, 4096, 4096, 2176]);
    expect(Uint8Array.from(sent.flatMap((s) => [...s]))).toEqual(data);
  });

  it('waits while the guest has no receive buffer posted', () => {
    const sent: Uint8Array[] = [];
    let posted = 0;
    const timers: Array<() => void> = [];
    const w = new LinkWriter({ send: (b) => sent.push(b), buffersPosted: () => posted, schedule: (fn) => timers.push(fn) });
    w.write(bytes(10));
    expect(sent.length).toBe(0);
    posted = 1;
    timers.shift()!();
    expect(sent.length).toBe(1);
  });

  it('resolves whenIdle after the last ACK, and reset() drops what nobody will ACK', async () => {
    const w = new LinkWriter({ send: () => {} });
    w.write(bytes(5000));
    let idle = false;
    void w.whenIdle().then(() => (idle = true));
    w.ack(4096);
    await Promise.resolve();
    expect(idle).toBe(false);
    w.ack(904);
    await Promise.resolve();
    expect(idle).toBe(true);
    w.write(bytes(10));
    w.reset();
    expect(w.idle).toBe(true);
  });
});
