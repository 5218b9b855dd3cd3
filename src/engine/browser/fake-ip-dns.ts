/**
 * DNS for containers in the page, where nothing can resolve a name (no UDP, no DNS API):
 * fake-ip, as transparent proxies do it. An A query is answered with an address from
 * 198.18.0.0/15 (RFC 2544 benchmarking space: never routed, and the relay refuses it), kept
 * in a name <-> address map; when a container connects to that address, the link sends
 * the NAME to the relay, which resolves it there and checks what it resolved to.
 *
 * Consequences (README): a name that does not exist still gets an address here and fails
 * at connect (EHOSTUNREACH) instead of NXDOMAIN; AAAA and other types get an empty answer
 * (NOERROR, no records: the client falls back to A); PTR of a fake address answers its name.
 * A mapping stays as long as the pool allows (131,070 names; then the oldest is reused),
 * so a container keeping an answer past its TTL still connects.
 *
 * The wire format is the engine network's (dns-wire.ts).
 */
import { CLASS_IN, encodeName, questionAt, RCODE, reply as wireReply, TYPE_A, TYPE_PTR, type Question } from '../network/dns-wire.ts';

const POOL_BASE = (198 << 24) | (18 << 16); // 198.18.0.0
const POOL_SIZE = 1 << 17; // /15
export const FAKE_IP_TTL = 60;


export function isFakeIp(ip: string): boolean {
  const m = /^198\.(18|19)\.(\d{1,3})\.(\d{1,3})$/.exec(ip);
  return m !== null && Number(m[2]) <= 255 && Number(m[3]) <= 255;
}

export class FakeIpDns {
  private readonly byName = new Map<string, number>();
  private readonly byIndex = new Map<number, string>();
  private next = 1; // skips 198.18.0.0

  /** The name behind a fake address, if one was handed out. */
  nameFor(ip: string): string | undefined {
    if (!isFakeIp(ip)) return undefined;
    const [a, b, c, d] = ip.split('.').map(Number) as [number, number, number, number];
    return this.byIndex.get((((a << 24) | (b << 16) | (c << 8) | d) - POOL_BASE) >>> 0);
  }

  /** The fake address for a name (allocated on first ask). */
  addressFor(name: string): string {
    const key = name.toLowerCase().replace(/\.$/, '');
    let i = this.byName.get(key);
    if (i === undefined) {
      i = this.next;
      this.next = this.next + 1 >= POOL_SIZE - 1 ? 1 : this.next + 1;
      const old = this.byIndex.get(i);
      if (old !== undefined) this.byName.delete(old);
      this.byName.set(key, i);
      this.byIndex.set(i, key);
    }
    const n = (POOL_BASE + i) >>> 0;
    return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
  }

  /**
   * Answer one query (raw DNS message in, raw out). `available` false: SERVFAIL, so a
   * container's resolver fails at once when the page has no relay. Undefined for input
   * too short to carry an id (nothing to answer).
   */
  answer(query: Uint8Array, available = true): Uint8Array | undefined {
    if (query.byteLength < 12) return undefined;
    const v = new DataView(query.buffer, query.byteOffset, query.byteLength);
    const flags = v.getUint16(2);
    const opcode = (flags >> 11) & 0xf;
    if (flags & 0x8000) return undefined; // a response, not a query
    const q = readQuestion(query);
    if (v.getUint16(4) !== 1 || !q) return reply(query, RCODE.FORMERR, undefined);
    if (opcode !== 0) return reply(query, RCODE.NOTIMP, q);
    if (!available) return reply(query, RCODE.SERVFAIL, q);
    if (q.qclass !== CLASS_IN) return reply(query, RCODE.NOERROR, q);
    if (q.qtype === TYPE_A) {
      const addr = this.addressFor(q.name).split('.').map(Number);
      return reply(query, RCODE.NOERROR, q, { type: TYPE_A, data: Uint8Array.from(addr) });
    }
    if (q.qtype === TYPE_PTR) {
      const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\.in-addr\.arpa$/.exec(q.name);
      const name = m ? this.nameFor(`${m[4]}.${m[3]}.${m[2]}.${m[1]}`) : undefined;
      if (name) return reply(query, RCODE.NOERROR, q, { type: TYPE_PTR, data: encodeName(name) });
    }
    return reply(query, RCODE.NOERROR, q); // NODATA: AAAA, HTTPS, MX, ...
  }
}

/** The question after the header; names longer than DNS allows (253) are malformed. */
function readQuestion(msg: Uint8Array): Question | undefined {
  const q = questionAt(msg, 12);
  return q && q.name.length <= 253 ? q : undefined;
}

function reply(query: Uint8Array, rcode: number, q: Question | undefined, answer?: { type: number; data: Uint8Array }): Uint8Array {
  return wireReply(query, rcode, q, answer ? [answer] : [], FAKE_IP_TTL);
}
