import { describe, expect, it } from 'vitest';
import { AgentClient } from './agent-client.ts';
import { BULK_PORT, CONTROL_PORT } from './guest.ts';
import { encodeFieldList, encodeFrame, FrameType } from './protocol.ts';

describe('AgentClient', () => {
  it('decodes each port\'s bytes apart: a frame cut on the console port survives a whole one on the bulk port between its halves', async () => {
    let deliver: (bytes: Uint8Array, port?: number) => void = () => {};
    const agent = new AgentClient({ send: () => {}, onReceive: (l) => ((deliver = l), () => {}) });
    const fields = (out: number) => encodeFieldList([['version', '0.1.0'], ['proto', 1], ['kernel', 'k'], ['machine', 'i686'], ['bulk', BULK_PORT], ['out', out]]);
    const first = agent.ping(); // request 1
    const second = agent.ping(); // request 2
    const one = encodeFrame(FrameType.Res, 1, fields(CONTROL_PORT));
    deliver(one.subarray(0, 20), CONTROL_PORT);
    deliver(encodeFrame(FrameType.Res, 2, fields(BULK_PORT)), BULK_PORT);
    deliver(one.subarray(20), CONTROL_PORT);
    expect(await second).toMatchObject({ bulk: BULK_PORT, out: BULK_PORT });
    expect(await first).toMatchObject({ out: CONTROL_PORT });
    agent.dispose();
  });
});
