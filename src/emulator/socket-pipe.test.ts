// pipeSocket between a GuestSocket (its frames recorded, CREDIT given by hand as the agent
// would) and another end that records pause/resume: the other side keeps up to 256 KiB
// waiting in the guest socket, so a CREDIT is answered at once with the next whole frames.
import { describe, expect, it } from 'vitest';
import { DATA_FRAME, GuestSocket, type SocketHost } from './guest-socket.ts';
import { FrameType, INITIAL_STREAM_CREDIT, u32Payload } from './protocol.ts';
import { pipeSocket, type PipeEnd } from './socket-pipe.ts';

const settled = () => new Promise((r) => setTimeout(r, 0));

function ends() {
  const data: number[] = [];
  const h: SocketHost = {
    sendFrame: (type, _id, payload = new Uint8Array(0)) => void (type === FrameType.Data && data.push(payload.length)),
    release: () => {},
  };
  const guest = new GuestSocket(h, 7);
  let onData!: (c: Uint8Array) => void;
  const other = {
    paused: false,
    write: () => {},
    end: () => {},
    destroy: () => {},
    onData: (l: (c: Uint8Array) => void) => void (onData = l),
    onEnd: () => {},
    pause() {
      this.paused = true;
    },
    resume() {
      this.paused = false;
    },
  } satisfies PipeEnd & { paused: boolean };
  pipeSocket(guest, other);
  const credit = (n: number) => guest.handleFrame({ type: FrameType.Credit, flags: 0, id: 7, payload: u32Payload(n) });
  return { guest, other, data, push: (n: number) => onData(new Uint8Array(n)), credit };
}

describe('pipeSocket', () => {
  it('keeps up to 256 KiB waiting in the guest socket, then pauses the other side until CREDIT drains it', async () => {
    const { other, data, push, credit } = ends();
    for (let i = 0; i < 3; i++) push(64 * 1024);
    await settled();
    expect(other.paused).toBe(false); // 192 KiB given, 64 KiB of it sent
    push(64 * 1024);
    await settled();
    expect(other.paused).toBe(true); // 256 KiB given: the queue is full
    expect(data).toEqual([DATA_FRAME, DATA_FRAME]);
    // The agent's CREDIT is answered in the same turn with whole frames from the queue.
    credit(INITIAL_STREAM_CREDIT);
    expect(data).toEqual([DATA_FRAME, DATA_FRAME, DATA_FRAME, DATA_FRAME]);
    await settled();
    expect(other.paused).toBe(false); // 128 KiB of 256 sent: below the mark again
  });
});
