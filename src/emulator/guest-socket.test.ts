import { describe, expect, it } from 'vitest';
import { DATA_FRAME, GuestSocket, type SocketHost } from './guest-socket.ts';
import { FrameType, INITIAL_STREAM_CREDIT, readU32, u32Payload, type Frame } from './protocol.ts';

/** Every microtask queued so far has run (the socket pumps on one; writes resolve on others). */
const settled = () => new Promise((r) => setTimeout(r, 0));

function host() {
  const sent: Array<{ type: number; id: number; payload: Uint8Array }> = [];
  const released: number[] = [];
  const h: SocketHost = {
    sendFrame: (type, id, payload = new Uint8Array(0)) => sent.push({ type, id, payload }),
    release: (sid) => released.push(sid),
  };
  return { h, sent, released };
}
const frame = (type: number, payload: Uint8Array = new Uint8Array(0)): Frame => ({ type, flags: 0, id: 5, payload });

describe('GuestSocket', () => {
  it('sends no more than the agent\'s credit, in whole frames across writes, and the rest when CREDIT comes', async () => {
    const { h, sent } = host();
    const s = new GuestSocket(h, 5);
    let done = 0;
    // Three writes whose bytes cross frame boundaries.
    for (const n of [20_000, 40_000, INITIAL_STREAM_CREDIT + 1000 - 60_000]) void s.write(new Uint8Array(n).fill(n & 0xff)).then(() => done++);
    await settled();
    const data = () => sent.filter((f) => f.type === FrameType.Data).map((f) => f.payload.length);
    // Two whole frames (32 KiB with the header); the 24 bytes of credit left are not spent on a sliver.
    expect(data()).toEqual([DATA_FRAME, DATA_FRAME]);
    expect(done).toBe(2);
    s.handleFrame(frame(FrameType.Credit, u32Payload(500)));
    await settled();
    expect(data()).toHaveLength(2);
    s.handleFrame(frame(FrameType.Credit, u32Payload(500)));
    await settled();
    expect(data()).toEqual([DATA_FRAME, DATA_FRAME, INITIAL_STREAM_CREDIT + 1000 - 2 * DATA_FRAME]);
    expect(done).toBe(3);
    // The bytes arrive in order, each write's where it was.
    const all = new Uint8Array(sent.filter((f) => f.type === FrameType.Data).flatMap((f) => [...f.payload]));
    expect([all[19_999], all[20_000], all[59_999], all[60_000], all.length]).toEqual([20_000 & 0xff, 40_000 & 0xff, 40_000 & 0xff, (INITIAL_STREAM_CREDIT + 1000 - 60_000) & 0xff, INITIAL_STREAM_CREDIT + 1000]);
  });

  it('replays early data to the first listener, then the FIN, and grants credit only as delivered, not while paused', () => {
    const { h, sent } = host();
    const s = new GuestSocket(h, 5);
    s.handleFrame(frame(FrameType.Data, new Uint8Array(40000)));
    expect(sent).toEqual([]); // nobody has the bytes yet: no credit
    const got: number[] = [];
    let ended = false;
    s.onEnd(() => (ended = true));
    s.onData((c) => got.push(c.length));
    expect(got).toEqual([40000]);
    const credits = sent.filter((f) => f.type === FrameType.Credit).map((f) => readU32(f.payload));
    expect(credits).toEqual([40000]);
    s.pause();
    s.handleFrame(frame(FrameType.Data, new Uint8Array(40000)));
    expect(sent.filter((f) => f.type === FrameType.Credit)).toHaveLength(1);
    s.resume();
    expect(sent.filter((f) => f.type === FrameType.Credit).map((f) => readU32(f.payload))).toEqual([40000, 40000]);
    s.handleFrame(frame(FrameType.Data)); // FIN
    expect(ended).toBe(true);
  });

  it('is released cleanly by the agent\'s CLOSE after both FINs, and aborted by an earlier one', async () => {
    const a = host();
    const clean = new GuestSocket(a.h, 5);
    clean.end();
    expect(a.sent.at(-1)).toMatchObject({ type: FrameType.Data, payload: new Uint8Array(0) });
    clean.handleFrame(frame(FrameType.Data));
    clean.handleFrame(frame(FrameType.Close));
    await clean.closed;
    expect(clean.aborted).toBe(false);
    expect(a.released).toEqual([5]);
    expect(a.sent.filter((f) => f.type === FrameType.Close)).toEqual([]); // nothing answers a CLOSE

    const b = host();
    const reset = new GuestSocket(b.h, 5);
    const pending = reset.write(new Uint8Array(INITIAL_STREAM_CREDIT + 1));
    reset.handleFrame(frame(FrameType.Close));
    await expect(pending).rejects.toThrow(/closed before these bytes were sent/);
    expect(reset.aborted).toBe(true);
    await expect(reset.write(new Uint8Array(1))).rejects.toMatchObject({ code: 'EMULATOR_SOCKET_CLOSED' });
  });

  it('close() sends CLOSE once and frees the stream', async () => {
    const { h, sent, released } = host();
    const s = new GuestSocket(h, 5);
    s.close();
    s.close();
    await s.closed;
    expect(sent.filter((f) => f.type === FrameType.Close)).toHaveLength(1);
    expect(released).toEqual([5]);
  });
});
