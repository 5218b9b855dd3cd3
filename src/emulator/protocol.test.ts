import { describe, expect, it } from 'vitest';
import { TabdockError } from '../shared/errors.ts';
import { FrameDecoder, FrameType, HEADER_LENGTH, decodeDatagram, decodeFields, encodeDatagram, encodeFields, encodeFrame, type Frame } from './protocol.ts';

describe('frames', () => {
  it('reassemble from arbitrary pieces of the byte stream', () => {
    const frames = [encodeFrame(FrameType.Data, 7, Uint8Array.from([1, 2, 3]), 2), encodeFrame(FrameType.Ack, 0, new Uint8Array(4)), encodeFrame(FrameType.Exit, 7, Uint8Array.from([137, 0, 0, 0]))];
    const stream = Uint8Array.from(frames.flatMap((f) => [...f]));
    const got: Frame[] = [];
    const d = new FrameDecoder((f) => got.push(f), (e) => { throw e; });
    for (let i = 0; i < stream.length; i += 5) d.push(stream.subarray(i, i + 5));
    expect(got.map((f) => [f.type, f.flags, f.id, [...f.payload]])).toEqual([
      [FrameType.Data, 2, 7, [1, 2, 3]],
      [FrameType.Ack, 0, 0, [0, 0, 0, 0]],
      [FrameType.Exit, 0, 7, [137, 0, 0, 0]],
    ]);
  });

  it('have the 12-byte little-endian header of proto.h', () => {
    const f = encodeFrame(FrameType.Req, 0x01020304, Uint8Array.from([9]));
    expect([...f.subarray(0, HEADER_LENGTH)]).toEqual([0x54, 0x44, 1, 0, 4, 3, 2, 1, 1, 0, 0, 0]);
  });

  it('report a bad header instead of guessing', () => {
    const errors: TabdockError[] = [];
    const d = new FrameDecoder(() => {}, (e) => errors.push(e));
    d.push(Uint8Array.from([0x58, ...encodeFrame(FrameType.Ack, 0, new Uint8Array(4))]));
    expect(errors[0]?.code).toBe('EMULATOR_BAD_FRAME');
  });
});

describe('fields', () => {
  it('round-trip, repeated keys as lists', () => {
    const payload = encodeFields('exec', [['id', 'c1'], ['arg', 'sh'], ['arg', '-c'], ['arg', 'echo a=b']]);
    expect(new TextDecoder().decode(payload)).toBe('exec\0id=c1\0arg=sh\0arg=-c\0arg=echo a=b\0');
    const f = decodeFields(new TextEncoder().encode('pid=5\0container=a 1 running -1\0container=b 2 exited 0\0'));
    expect(f.get('pid')).toEqual(['5']);
    expect(f.get('container')).toEqual(['a 1 running -1', 'b 2 exited 0']);
  });

  it('refuse a NUL inside a field', () => {
    expect(() => encodeFields('spawn', [['arg', 'a\0b']])).toThrowError(TabdockError);
  });
});

describe('DGRAM payload', () => {
  it('is u8 nslen, ns, src[4], sport be16, dst[4], dport be16, datagram (proto.h)', () => {
    const d = { ns: 'c2', src: '127.0.0.1', sport: 0x1234, dst: '127.0.0.11', dport: 53, data: Uint8Array.from([7, 8]) };
    const p = encodeDatagram(d);
    expect([...p]).toEqual([2, 0x63, 0x32, 127, 0, 0, 1, 0x12, 0x34, 127, 0, 0, 11, 0, 53, 7, 8]);
    expect(decodeDatagram(p)).toEqual(d);
  });

  it('refuses what is not an IPv4 address, and decodes nothing from a short payload', () => {
    expect(() => encodeDatagram({ ns: '', src: '::1', sport: 1, dst: '1.2.3.4', dport: 2, data: new Uint8Array(0) })).toThrow(TabdockError);
    expect(() => encodeDatagram({ ns: '', src: '1.2.3.256', sport: 1, dst: '1.2.3.4', dport: 2, data: new Uint8Array(0) })).toThrow(/not an IPv4/);
    expect(decodeDatagram(Uint8Array.from([3, 1, 2]))).toBeUndefined();
  });
});
