/**
 * The embedded DNS of user-defined networks (Docker's 127.0.0.11, libnetwork `resolver.go`):
 * A queries for a container name, a `--network-alias` or a short ID (12 hex) of a container
 * on a network the asking container shares get those containers' addresses; everything
 * else (and every query from the default bridge, which has no name resolution in Docker)
 * goes to the link's resolver as it came.
 *
 * Wire format (RFC 1035 4.1) written here for the one question a stub resolver sends: the
 * engine runs in the page's worker too, where dns-packet (it needs Node's Buffer) cannot.
 */
import { ipBytes } from './ipam.ts';

export interface NameLookup {
  /**
   * Addresses of `name` as seen from the container whose namespace asked (`ns`, its ID),
   * or undefined when the name is none of its networks' (then the query is forwarded).
   */
  (ns: string, name: string): string[] | undefined;
}

const TYPE_A = 1;
const TYPE_AAAA = 28;
const CLASS_IN = 1;
/** Docker's embedded DNS answers with a TTL of 600 s. */
const TTL = 600;

export interface Question {
  name: string;
  qtype: number;
  qclass: number;
  /** The question's bytes as sent, echoed in the answer. */
  raw: Uint8Array;
}

/** The first question of a query (undefined when it is not a well-formed standard query). */
export function readQuestion(msg: Uint8Array): Question | undefined {
  if (msg.byteLength < 12 || (msg[2]! & 0x80) !== 0 || ((msg[4]! << 8) | msg[5]!) < 1) return undefined;
  const labels: string[] = [];
  let i = 12;
  for (;;) {
    const len = msg[i];
    if (len === undefined || len > 63) return undefined;
    i++;
    if (len === 0) break;
    if (i + len > msg.byteLength) return undefined;
    labels.push(String.fromCharCode(...msg.subarray(i, i + len)).toLowerCase());
    i += len;
  }
  if (i + 4 > msg.byteLength) return undefined;
  return { name: labels.join('.'), qtype: (msg[i]! << 8) | msg[i + 1]!, qclass: (msg[i + 2]! << 8) | msg[i + 3]!, raw: msg.subarray(12, i + 4) };
}

/** An authoritative-for-us answer: the query's id and question, RD echoed, RA set, NOERROR, one A record per address. */
export function answerA(query: Uint8Array, q: Question, addresses: string[]): Uint8Array {
  const out = new Uint8Array(12 + q.raw.byteLength + addresses.length * 16);
  const v = new DataView(out.buffer);
  v.setUint16(0, (query[0]! << 8) | query[1]!);
  v.setUint16(2, 0x8000 | (((query[2]! << 8) | query[3]!) & 0x7900) | 0x0080);
  v.setUint16(4, 1);
  v.setUint16(6, addresses.length);
  out.set(q.raw, 12);
  let i = 12 + q.raw.byteLength;
  for (const a of addresses) {
    v.setUint16(i, 0xc00c);
    v.setUint16(i + 2, TYPE_A);
    v.setUint16(i + 4, CLASS_IN);
    v.setUint32(i + 6, TTL);
    v.setUint16(i + 10, 4);
    out.set(ipBytes(a), i + 12);
    i += 16;
  }
  return out;
}

export class EmbeddedDns {
  constructor(private readonly lookup: NameLookup, private readonly forward: (query: Uint8Array, from: { ns: string; src: string }) => Promise<Uint8Array>) {}

  /** The reply to a query from netns `ns` ('' = the guest's root relay: no names, forwarded). */
  async answer(ns: string, query: Uint8Array, src = ''): Promise<Uint8Array> {
    const q = ns ? readQuestion(query) : undefined;
    if (q && q.qclass === CLASS_IN && (q.qtype === TYPE_A || q.qtype === TYPE_AAAA)) {
      const found = this.lookup(ns, q.name);
      // A known name has IPv4 addresses only: AAAA gets NOERROR with no records, as Docker's.
      if (found) return answerA(query, q, q.qtype === TYPE_A ? found : []);
    }
    return this.forward(query, { ns, src });
  }
}
