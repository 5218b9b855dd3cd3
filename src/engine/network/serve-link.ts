import type { AgentClient, GuestSocket, PipeEnd } from '../../emulator/index.ts';
import { pipeSocket } from '../../emulator/index.ts';
import type { EmbeddedDns } from './dns.ts';
import { LinkConnectError, type LinkSocket, type NetworkLink } from './link.ts';

const ENETUNREACH = 101;
const EHOSTUNREACH = 113;

/** A link's stream as the other end of `pipeSocket`. */
export function linkPipeEnd(s: LinkSocket): PipeEnd {
  return {
    write: (b) => s.write(b),
    end: () => s.end(),
    destroy: () => s.destroy(),
    onData: (l) => void s.onData(l),
    onEnd: (l) => void s.onEnd(l),
    onClose: (l) => void s.closed.then(l, l),
    pause: () => s.pause(),
    resume: () => s.resume(),
  };
}

/**
 * Joins a guest's frames to the link: each OPEN (a container's TCP connection the guest
 * redirected) becomes `link.connect` and the two streams are piped; a connection to a
 * bridge gateway is the host's (`host-gateway`), so it goes to 127.0.0.1. Each DGRAM (a
 * DNS query) is answered by the embedded DNS, which forwards what it does not know to
 * the link's resolver; the reply goes back from the address the query was sent to.
 */
export function serveLink(agent: AgentClient, o: { link: NetworkLink | undefined; isGateway: (ip: string) => boolean; dns: EmbeddedDns }): void {
  agent.onOpen((req, accept, refuse) => {
    const link = o.link;
    if (!link) return refuse(ENETUNREACH, 'this engine has no network link');
    const dst = o.isGateway(req.dst) ? '127.0.0.1' : req.dst;
    link.connect(dst, req.dport).then(
      (s) => {
        let guest: GuestSocket;
        try {
          guest = accept();
        } catch {
          s.destroy();
          return;
        }
        pipeSocket(guest, linkPipeEnd(s));
      },
      (e: unknown) => refuse(e instanceof LinkConnectError ? e.errno : EHOSTUNREACH, e instanceof Error ? e.message : String(e)),
    );
  });
  agent.onDatagram((d) => {
    o.dns.answer(d.ns, d.data, d.src).then(
      (data) => agent.sendDatagram({ ns: d.ns, src: d.dst, sport: d.dport, dst: d.src, dport: d.sport, data }),
      () => {}, // no answer: the client's resolver times out and tries again, as with a lost datagram
    );
  });
}
