/**
 * The DNS wire format (RFC 1035 section 4.1) for the one question a stub resolver sends,
 * shared by the embedded DNS (dns.ts) and the page's fake-ip DNS (browser/fake-ip-dns.ts).
 * Written here, not with dns-packet: that library needs Node's Buffer, which the page's
 * worker does not have.
 */

export const TYPE_A = 1;
export const TYPE_PTR = 12;
export const TYPE_AAAA = 28;
export const CLASS_IN = 1;
export const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NOTIMP: 4 } as const;

export interface Question {
  name: string;
  qtype: number;
  qclass: number;
  /** The question's bytes as sent, echoed in the answer. */
  raw: Uint8Array;
}

/** The question starting at `at` (lower-cased name), or undefined when it is malformed or compressed. */
export function questionAt(msg: Uint8Array, at: number): Question | undefined {
  const labels: string[] = [];
  let i = at;
  for (;;) {
    const len = msg[i];
    if (len === undefined || len > 63) return undefined; // compression has no place in a question
    i++;
    if (len === 0) break;
    if (i + len > msg.byteLength) return undefined;
    labels.push(String.fromCharCode(...msg.subarray(i, i + len)).toLowerCase());
    i += len;
  }
  if (i + 4 > msg.byteLength) return undefined;
  return { name: labels.join('.'), qtype: (msg[i]! << 8) | msg[i + 1]!, qclass: (msg[i + 2]! << 8) | msg[i + 3]!, raw: msg.subarray(at, i + 4) };
}

/** A name in wire form (labels, then the root's zero). */
export function encodeName(name: string): Uint8Array {
  const out: number[] = [];
  for (const p of name.split('.').filter((p) => p.length > 0)) out.push(p.length, ...Array.from(p, (c) => c.charCodeAt(0) & 0xff));
  out.push(0);
  return Uint8Array.from(out);
}

/**
 * The reply to `query`: its id, its opcode and RD echoed, QR and RA set, `rcode`, the
 * question echoed (when there is one) and one IN record per answer, named by a pointer
 * to the question's name.
 */
export function reply(query: Uint8Array, rcode: number, q: Question | undefined, answers: readonly { type: number; data: Uint8Array }[] = [], ttl = 0): Uint8Array {
  const size = answers.reduce((n, a) => n + 12 + a.data.byteLength, 12 + (q?.raw.byteLength ?? 0));
  const out = new Uint8Array(size);
  const v = new DataView(out.buffer);
  const qflags = (query[2]! << 8) | query[3]!;
  v.setUint16(0, (query[0]! << 8) | query[1]!);
  v.setUint16(2, 0x8000 | (qflags & 0x7900) | 0x0080 | rcode);
  v.setUint16(4, q ? 1 : 0);
  v.setUint16(6, q ? answers.length : 0);
  if (!q) return out;
  out.set(q.raw, 12);
  let i = 12 + q.raw.byteLength;
  for (const a of answers) {
    v.setUint16(i, 0xc00c);
    v.setUint16(i + 2, a.type);
    v.setUint16(i + 4, CLASS_IN);
    v.setUint32(i + 6, ttl);
    v.setUint16(i + 10, a.data.byteLength);
    out.set(a.data, i + 12);
    i += 12 + a.data.byteLength;
  }
  return out;
}
