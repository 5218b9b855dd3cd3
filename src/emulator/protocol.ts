/**
 * The control-channel wire format: the host-side mirror of kernel/agent/proto.h
 * (README "Control channel" is the one written definition; change all three together).
 *
 * Frame = 12-byte header (little endian) + payload:
 *   0 'T', 1 'D', 2 type, 3 flags, 4..8 u32 id, 8..12 u32 payload length.
 */
import { TabdockError } from '../shared/errors.ts';

export const PROTO_VERSION = 1;
export const HEADER_LENGTH = 12;
export const MAX_PAYLOAD = 65536;
/** DATA either side may send on a new stream before the peer's first CREDIT. */
export const INITIAL_STREAM_CREDIT = 65536;

export const FrameType = {
  /** host->guest request: id = request id, payload = fields */
  Req: 1,
  /** guest->host response: flags 0 ok, 1 error */
  Res: 2,
  /** stream bytes: host->guest stdin (empty = close), guest->host flags 1 stdout / 2 stderr */
  Data: 3,
  /** u32: the peer may send this many more DATA bytes on stream id */
  Credit: 4,
  /** guest->host i32: exit status of stream id (code, or 128 + signal) */
  Exit: 5,
  /** guest->host u32: link bytes the agent read since its last ACK */
  Ack: 6,
  /** guest->host: agent started, fields version= proto= kernel= */
  Ready: 7,
  /** guest->host: a container's TCP connection (egress); id = new stream, bit 31 set; fields kind= src= sport= dst= dport= */
  Open: 8,
  /** host->guest: answer to OPEN; flags 0 accepted, 1 refused (fields errno= message=) */
  Opened: 9,
  /** both: abort or final release of a socket stream; nothing answers it */
  Close: 10,
  /** both, id 0: a datagram (DNS); see encodeDatagram */
  Dgram: 11,
} as const;
export type FrameType = (typeof FrameType)[keyof typeof FrameType];

export interface Frame {
  type: number;
  flags: number;
  id: number;
  payload: Uint8Array;
}

export function encodeFrame(type: FrameType, id: number, payload: Uint8Array = new Uint8Array(0), flags = 0): Uint8Array {
  if (payload.length > MAX_PAYLOAD) {
    throw new TabdockError('EMULATOR_FRAME_TOO_LONG', `A control frame of ${payload.length} bytes exceeds the ${MAX_PAYLOAD}-byte limit.`, { length: payload.length });
  }
  const out = new Uint8Array(HEADER_LENGTH + payload.length);
  const view = new DataView(out.buffer);
  out[0] = 0x54; // 'T'
  out[1] = 0x44; // 'D'
  out[2] = type;
  out[3] = flags;
  view.setUint32(4, id >>> 0, true);
  view.setUint32(8, payload.length, true);
  out.set(payload, HEADER_LENGTH);
  return out;
}

export function u32Payload(value: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, value >>> 0, true);
  return out;
}

export function readU32(payload: Uint8Array): number {
  if (payload.length < 4) return 0;
  return new DataView(payload.buffer, payload.byteOffset, 4).getUint32(0, true);
}

export function readI32(payload: Uint8Array): number {
  if (payload.length < 4) return -1;
  return new DataView(payload.buffer, payload.byteOffset, 4).getInt32(0, true);
}

/**
 * Reassembles frames from the guest's byte stream (console writes arrive in arbitrary
 * pieces). The guest never loses bytes, so a bad magic means a bug: it is reported, not
 * resynchronised silently.
 */
export class FrameDecoder {
  private buf = new Uint8Array(2 * (HEADER_LENGTH + MAX_PAYLOAD));
  private len = 0;

  constructor(private readonly onFrame: (frame: Frame) => void, private readonly onError: (e: TabdockError) => void) {}

  push(bytes: Uint8Array): void {
    if (this.len + bytes.length > this.buf.length) {
      const bigger = new Uint8Array(Math.max(this.buf.length * 2, this.len + bytes.length));
      bigger.set(this.buf.subarray(0, this.len));
      this.buf = bigger;
    }
    this.buf.set(bytes, this.len);
    this.len += bytes.length;
    let off = 0;
    while (this.len - off >= HEADER_LENGTH) {
      const b = this.buf;
      if (b[off] !== 0x54 || b[off + 1] !== 0x44) {
        this.onError(new TabdockError('EMULATOR_BAD_FRAME', 'The guest agent sent a frame with a bad header; the control channel is out of step.', { offset: off, byte: b[off] }));
        off++;
        continue;
      }
      const view = new DataView(b.buffer, b.byteOffset + off, HEADER_LENGTH);
      const length = view.getUint32(8, true);
      if (length > MAX_PAYLOAD) {
        this.onError(new TabdockError('EMULATOR_BAD_FRAME', `The guest agent announced a ${length}-byte frame, over the limit.`, { length }));
        off++;
        continue;
      }
      if (this.len - off < HEADER_LENGTH + length) break;
      const frame: Frame = {
        type: b[off + 2] ?? 0,
        flags: b[off + 3] ?? 0,
        id: view.getUint32(4, true),
        payload: b.slice(off + HEADER_LENGTH, off + HEADER_LENGTH + length),
      };
      off += HEADER_LENGTH + length;
      this.onFrame(frame);
    }
    this.buf.copyWithin(0, off, this.len);
    this.len -= off;
  }
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Request payload: the op, then `key=value` fields, each NUL-terminated (repeat keys for lists). */
export function encodeFields(op: string, fields: ReadonlyArray<readonly [string, string | number]>): Uint8Array {
  const parts = [op, ...fields.map(([k, v]) => `${k}=${v}`)];
  for (const p of parts) {
    if (p.includes('\0')) throw new TabdockError('EMULATOR_BAD_FIELD', 'A request field contains a NUL byte, which the control channel cannot carry.', { field: p.slice(0, 64) });
  }
  return encoder.encode(parts.map((p) => p + '\0').join(''));
}

/** Response fields as a multimap (some keys repeat, e.g. `container=`). */
export function decodeFields(payload: Uint8Array): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const part of decoder.decode(payload).split('\0')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const key = eq < 0 ? part : part.slice(0, eq);
    const value = eq < 0 ? '' : part.slice(eq + 1);
    const list = out.get(key);
    if (list) list.push(value);
    else out.set(key, [value]);
  }
  return out;
}

/** Fields without an op (OPEN, OPENED payloads). */
export function encodeFieldList(fields: ReadonlyArray<readonly [string, string | number]>): Uint8Array {
  const parts = fields.map(([k, v]) => `${k}=${v}`);
  for (const p of parts) {
    if (p.includes('\0')) throw new TabdockError('EMULATOR_BAD_FIELD', 'A field contains a NUL byte, which the control channel cannot carry.', { field: p.slice(0, 64) });
  }
  return encoder.encode(parts.map((p) => p + '\0').join(''));
}

/** A DGRAM frame's payload: which namespace's socket, the addresses, and the datagram. */
export interface Datagram {
  /** netns id of the relay socket ('' = the guest's root namespace) */
  ns: string;
  src: string;
  sport: number;
  dst: string;
  dport: number;
  data: Uint8Array;
}

/** u8 nslen, ns, src ip (4), sport u16be, dst ip (4), dport u16be, datagram. */
export function encodeDatagram(d: Datagram): Uint8Array {
  const ns = encoder.encode(d.ns);
  if (ns.length > 255) throw new TabdockError('EMULATOR_BAD_FIELD', 'A datagram\'s namespace id is over 255 bytes.', { ns: d.ns.slice(0, 64) });
  const head = 1 + ns.length + 12;
  if (head + d.data.length > MAX_PAYLOAD) {
    throw new TabdockError('EMULATOR_FRAME_TOO_LONG', `A ${d.data.length}-byte datagram does not fit one control frame.`, { length: d.data.length });
  }
  const out = new Uint8Array(head + d.data.length);
  const view = new DataView(out.buffer);
  out[0] = ns.length;
  out.set(ns, 1);
  out.set(ipv4Bytes(d.src), 1 + ns.length);
  view.setUint16(1 + ns.length + 4, d.sport);
  out.set(ipv4Bytes(d.dst), 1 + ns.length + 6);
  view.setUint16(1 + ns.length + 10, d.dport);
  out.set(d.data, head);
  return out;
}

export function decodeDatagram(p: Uint8Array): Datagram | undefined {
  const nslen = p[0];
  if (nslen === undefined || p.length < 1 + nslen + 12) return undefined;
  const view = new DataView(p.buffer, p.byteOffset, p.length);
  const at = 1 + nslen;
  return {
    ns: decoder.decode(p.subarray(1, at)),
    src: [...p.subarray(at, at + 4)].join('.'),
    sport: view.getUint16(at + 4),
    dst: [...p.subarray(at + 6, at + 10)].join('.'),
    dport: view.getUint16(at + 10),
    data: p.slice(at + 12),
  };
}

function ipv4Bytes(ip: string): Uint8Array {
  const parts = ip.split('.');
  const bytes = parts.map((x) => (/^\d{1,3}$/.test(x) ? Number(x) : NaN));
  if (bytes.length !== 4 || bytes.some((b) => !(b >= 0 && b <= 255))) {
    throw new TabdockError('EMULATOR_BAD_FIELD', `${JSON.stringify(ip)} is not an IPv4 address.`, { ip });
  }
  return new Uint8Array(bytes);
}
