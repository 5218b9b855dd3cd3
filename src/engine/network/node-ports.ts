/**
 * Published ports in Node (Node-only; cli/context.ts passes it to createEngine): a TCP
 * server on the host address and port (Docker binds 0.0.0.0 unless `-p IP:...`), and each
 * connection it accepts piped to a new connection to the container's port in the guest.
 * Closing it stops the listener and ends what it forwarded, so no stale listener stays.
 */
import { createServer, type Socket } from 'node:net';
import { pipeSocket, type GuestSocket } from '../../emulator/index.ts';
import { TabdockError } from '../../shared/errors.ts';
import { nodePipeEnd } from './node-socket.ts';
import type { PortBinding, PortPublisher, PublishedPort } from './ports.ts';

export class NodePorts implements PortPublisher {
  async publish(b: PortBinding, open: () => Promise<GuestSocket>): Promise<PublishedPort> {
    if (b.protocol !== 'tcp') {
      throw new TabdockError('UNSUPPORTED', `publishing ${b.protocol} ports is not supported: the guest carries TCP streams only`, {}, { exitCode: 125 });
    }
    const conns = new Set<Socket>();
    const server = createServer({ allowHalfOpen: true, pauseOnConnect: true }, (sock) => {
      conns.add(sock);
      sock.on('close', () => conns.delete(sock));
      sock.on('error', () => {});
      open().then(
        (guest) => {
          if (sock.destroyed) return guest.close();
          pipeSocket(guest, nodePipeEnd(sock));
          sock.resume();
        },
        // Docker's proxy resets a client when the container refuses: so do we.
        () => sock.resetAndDestroy(),
      );
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', (e: NodeJS.ErrnoException) => {
        if (e.code === 'EADDRINUSE') {
          reject(new TabdockError('PORT_ALLOCATED', `Bind for ${b.hostIp}:${b.hostPort} failed: port is already allocated`, { hostIp: b.hostIp, hostPort: b.hostPort }, { exitCode: 125 }));
        } else {
          reject(new TabdockError('PORT_ALLOCATED', `Bind for ${b.hostIp}:${b.hostPort} failed: ${e.message}`, { hostIp: b.hostIp, hostPort: b.hostPort }, { exitCode: 125 }));
        }
      });
      server.listen({ host: b.hostIp, port: b.hostPort, exclusive: true }, resolve);
    });
    const addr = server.address();
    const port = typeof addr === 'object' && addr ? addr.port : b.hostPort;
    let closing: Promise<void> | undefined;
    return {
      hostIp: b.hostIp,
      hostPort: port,
      close: () => (closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of conns) s.destroy();
      })),
    };
  }
}
