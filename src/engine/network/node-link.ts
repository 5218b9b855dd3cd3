/**
 * The Node daemon's link (Node-only; cli/context.ts passes it to createEngine): Docker's
 * default on a host, containers reach what the host reaches. A container's TCP connection
 * is a host socket (`net.connect`; the bridge gateways arrive as 127.0.0.1, the engine
 * maps them), and DNS is the host's resolver (`dns.lookup`, so /etc/hosts and
 * nsswitch count as for any program on the host), parsed and answered with dns-packet.
 */
import { lookup } from 'node:dns/promises';
import { createSocket } from 'node:dgram';
import { connect, isIPv6, type Socket } from 'node:net';
import dnsPacket from 'dns-packet';
import { LinkConnectError, type LinkSocket, type NetworkLink } from './link.ts';

/** A connection that neither connects nor fails within this is given up (ETIMEDOUT). */
const CONNECT_TIMEOUT_MS = 30_000;

export class NodeLink implements NetworkLink {
  readonly available = true;

  connect(dst: string, port: number): Promise<LinkSocket> {
    return new Promise((resolve, reject) => {
      const s = connect({ host: dst, port, allowHalfOpen: true });
      s.setNoDelay(true);
      const timer = setTimeout(() => {
        s.destroy();
        reject(new LinkConnectError('ETIMEDOUT', 110, `${dst}:${port} did not answer`));
      }, CONNECT_TIMEOUT_MS);
      s.once('connect', () => {
        clearTimeout(timer);
        s.off('error', fail);
        resolve(socketLink(s));
      });
      const fail = (e: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        const [code, errno] = e.code === 'ECONNREFUSED' ? ['ECONNREFUSED', 111] as const
          : e.code === 'ENETUNREACH' ? ['ENETUNREACH', 101] as const
            : e.code === 'ETIMEDOUT' ? ['ETIMEDOUT', 110] as const : ['EHOSTUNREACH', 113] as const;
        reject(new LinkConnectError(code, errno, `${dst}:${port}: ${e.message}`));
      };
      s.once('error', fail);
    });
  }

  /** `--dns SERVER`: the query as the container sent it, over UDP from this host (port 53 unless `server` is `IP:PORT`). */
  resolveVia(query: Uint8Array, server: string): Promise<Uint8Array> {
    const m = /^(.*):(\d+)$/.exec(server);
    const [addr, port] = m && !isIPv6(server) ? [m[1]!, Number(m[2])] : [server, 53];
    return new Promise((resolve, reject) => {
      const s = createSocket(isIPv6(addr) ? 'udp6' : 'udp4');
      const timer = setTimeout(() => (s.close(), reject(new LinkConnectError('ETIMEDOUT', 110, `the DNS server ${server} did not answer`))), 5000);
      s.on('message', (msg) => {
        // the answer to this query (its ID), nothing else
        if (msg.length < 2 || msg[0] !== query[0] || msg[1] !== query[1]) return;
        clearTimeout(timer);
        s.close();
        resolve(new Uint8Array(msg));
      });
      s.on('error', (e) => (clearTimeout(timer), s.close(), reject(new LinkConnectError('EHOSTUNREACH', 113, e.message))));
      s.send(query, port, addr);
    });
  }

  async resolve(query: Uint8Array): Promise<Uint8Array> {
    let q: dnsPacket.Packet;
    try {
      q = dnsPacket.decode(Buffer.from(query));
    } catch {
      throw new LinkConnectError('EHOSTUNREACH', 113, 'not a DNS query');
    }
    const question = q.questions?.[0];
    const reply = (rcode: number, answers: dnsPacket.Answer[] = []) => new Uint8Array(dnsPacket.encode({
      type: 'response', id: q.id ?? 0,
      flags: ((q.flags ?? 0) & dnsPacket.RECURSION_DESIRED) | dnsPacket.RECURSION_AVAILABLE | rcode,
      questions: q.questions ?? [], answers,
    }));
    if (!question) return reply(1); // FORMERR
    if (question.type !== 'A' && question.type !== 'AAAA') return reply(0); // no records of other kinds from getaddrinfo
    try {
      const found = await lookup(question.name, { family: question.type === 'A' ? 4 : 6, all: true });
      return reply(0, found.map((a) => ({ type: question.type as 'A' | 'AAAA', name: question.name, ttl: 60, data: a.address })));
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      // ENOTFOUND: no such name (NXDOMAIN); ENODATA: the name exists without this family (NOERROR, empty)
      return reply(code === 'ENOTFOUND' ? 3 : code === 'ENODATA' ? 0 : 2);
    }
  }
}

function socketLink(s: Socket): LinkSocket {
  let closedResolve!: (r: number) => void;
  const closed = new Promise<number>((r) => (closedResolve = r));
  s.on('close', (hadError) => closedResolve(hadError ? 1 : 0));
  s.on('error', () => {}); // reported through 'close'
  return {
    write: (b) => new Promise<void>((resolve, reject) => {
      if (s.destroyed) return reject(new Error('socket closed'));
      if (s.write(b)) return resolve();
      const done = () => {
        s.off('close', gone);
        resolve();
      };
      const gone = () => {
        s.off('drain', done);
        reject(new Error('socket closed'));
      };
      s.once('drain', done);
      s.once('close', gone);
    }),
    end: () => void s.end(),
    destroy: () => void s.destroy(),
    onData: (l) => {
      s.on('data', l);
      return () => void s.off('data', l);
    },
    onEnd: (l) => {
      s.on('end', l);
      return () => void s.off('end', l);
    },
    pause: () => void s.pause(),
    resume: () => void s.resume(),
    closed,
  };
}
