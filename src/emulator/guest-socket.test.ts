import { describe, expect, it } from 'vitest';
import { GuestSocket, type SocketHost } from './guest-socket.ts';
import { FrameType, INITIAL_STREAM_CREDIT, readU32, u32Payload, type Frame } from './protocol.ts';

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
  it('sends no more than the agent\'s credit, and the rest when CREDIT comes', async () => {
    const { h, sent } = host();
    const s = new GuestSocket(h, 5);
    let done = false;
    void s.write(new Uint8Array(INITIAL_STREAM_CREDIT + 1000)).then(() => (done = true));
    await Promise.resolve();
    const bytes = () => sent.filter((f) => f.type === FrameType.Data).reduce((n, f) => n + f.payload.length, 0);
    expect(bytes()).toBe(INITIAL_STREAM_CREDIT);
    expect(done).toBe(false);
    s.handleFrame(frame(FrameType.Credit, u32Payload(1000)));
    await Promise.resolve();
    expect(bytes()).toBe(INITIAL_STREAM_CREDIT + 1000);
    expect(done).toBe(true);
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
