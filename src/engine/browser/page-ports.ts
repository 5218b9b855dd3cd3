/**
 * Published ports in the page (issue 14, "Published ports"): a tab has no sockets to
 * listen on, so `-p` is a record here. The preview URL (`<origin>/__tabdock/preview/
 * <container12>/<containerPort>/`, preview-protocol.ts) opens a published port of a
 * running container through the same `open` the Node publisher pipes each connection to
 * (the agent's `connect` to the container's address and port).
 *
 * Docker's rules kept: a host port is taken once in this tab (the second is 125, "port is
 * already allocated"; a tab has no addresses, so `-p IP:PORT` takes PORT whatever the IP),
 * `-p 80` and `-P` get a free port from Docker's default ephemeral range, UDP is refused,
 * and stopping or removing the container releases its ports and ends what they opened.
 */
import type { GuestSocket } from '../../emulator/index.ts';
import { TabdockError } from '../../shared/errors.ts';
import type { PortBinding, PortPublisher, PublishedPort } from '../network/ports.ts';

/** Docker's default range for ports it chooses (Linux `ip_local_port_range`). */
const EPHEMERAL = { first: 32768, last: 60999 } as const;

interface Bound {
  binding: PortBinding;
  open: () => Promise<GuestSocket>;
  /** What previews opened through it (ended when the port is released). */
  sockets: Set<GuestSocket>;
}

export class PagePorts implements PortPublisher {
  /** Host port -> its binding. */
  private readonly bound = new Map<number, Bound>();

  async publish(b: PortBinding, open: () => Promise<GuestSocket>): Promise<PublishedPort> {
    if (b.protocol !== 'tcp') {
      throw new TabdockError('UNSUPPORTED', `publishing ${b.protocol} ports is not supported: the guest carries TCP streams only`, {}, { exitCode: 125 });
    }
    const port = b.hostPort || this.freePort(b);
    if (this.bound.has(port)) {
      throw new TabdockError('PORT_ALLOCATED', `Bind for ${b.hostIp}:${port} failed: port is already allocated`, { hostIp: b.hostIp, hostPort: port }, { exitCode: 125 });
    }
    const entry: Bound = { binding: { ...b, hostPort: port }, open, sockets: new Set() };
    this.bound.set(port, entry);
    return {
      hostIp: b.hostIp,
      hostPort: port,
      close: async () => {
        if (this.bound.get(port) === entry) this.bound.delete(port);
        for (const s of entry.sockets) s.close();
        entry.sockets.clear();
      },
    };
  }

  /**
   * One connection to `containerPort` of the running container whose ID starts with
   * `container12`, through one of its bindings; refused with a sentence when that port is
   * not published (as from a host, only published ports are reachable).
   */
  async open(container12: string, containerPort: number): Promise<GuestSocket> {
    const entry = [...this.bound.values()].find((e) => e.binding.container.startsWith(container12) && e.binding.containerPort === containerPort);
    if (!entry) {
      throw new TabdockError('PORT_NOT_PUBLISHED', `no running container of this tab with ID ${container12} publishes port ${containerPort}/tcp (publish it with -p, e.g. -p 8080:${containerPort})`, { container: container12, port: containerPort });
    }
    const s = await entry.open();
    entry.sockets.add(s);
    void s.closed.then(() => entry.sockets.delete(s));
    return s;
  }

  /** The host ports bound now (for tests and the page). */
  ports(): number[] {
    return [...this.bound.keys()].sort((a, b) => a - b);
  }

  private freePort(b: PortBinding): number {
    for (let p = EPHEMERAL.first; p <= EPHEMERAL.last; p++) if (!this.bound.has(p)) return p;
    throw new TabdockError('PORT_ALLOCATED', `Bind for ${b.hostIp}:0 failed: no free port in ${EPHEMERAL.first}-${EPHEMERAL.last}`, { hostIp: b.hostIp, hostPort: 0 }, { exitCode: 125 });
  }
}
