/**
 * The embedded DNS of user-defined networks (Docker's 127.0.0.11, libnetwork `resolver.go`):
 * A queries for a container name, a `--network-alias` or a short ID (12 hex) of a container
 * on a network the asking container shares get those containers' addresses; everything
 * else (and every query from the default bridge, which has no name resolution in Docker)
 * goes to the link's resolver as it came.
 * The wire format is dns-wire.ts's.
 */
import { CLASS_IN, questionAt, reply, TYPE_A, TYPE_AAAA, type Question } from './dns-wire.ts';
import { ipBytes } from './ipam.ts';

export type { Question } from './dns-wire.ts';

export interface NameLookup {
  /**
   * Addresses of `name` as seen from the container whose namespace asked (`ns`, its ID),
   * or undefined when the name is none of its networks' (then the query is forwarded).
   */
  (ns: string, name: string): string[] | undefined;
}

/** Docker's embedded DNS answers with a TTL of 600 s. */
const TTL = 600;

/** The first question of a query (undefined when it is not a well-formed standard query). */
export function readQuestion(msg: Uint8Array): Question | undefined {
  if (msg.byteLength < 12 || (msg[2]! & 0x80) !== 0 || ((msg[4]! << 8) | msg[5]!) < 1) return undefined;
  return questionAt(msg, 12);
}

/** An authoritative-for-us answer: the query's id and question, RD echoed, RA set, NOERROR, one A record per address. */
export function answerA(query: Uint8Array, q: Question, addresses: string[]): Uint8Array {
  return reply(query, 0, q, addresses.map((a) => ({ type: TYPE_A, data: ipBytes(a) })), TTL);
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
