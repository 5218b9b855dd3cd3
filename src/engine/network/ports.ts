import type { GuestSocket } from '../../emulator/index.ts';

/**
 * Published ports (`-p`, `-P`): platform-neutral. The Node daemon's publisher listens on
 * host ports (node-ports.ts); the page records bindings and opens them from preview URLs
 * (../browser/page-ports.ts). `open`
 * makes one connection to the container's port in the guest (the agent's `connect`).
 */
export interface PortBinding {
  /** `0.0.0.0` unless `-p IP:...` named one (Docker binds every address by default). */
  hostIp: string;
  /** 0: any free port (`-p 80`, `-P`). */
  hostPort: number;
  protocol: 'tcp' | 'udp';
  /** Whose port it forwards to (the full container ID) and which: the page opens a preview by these. */
  container: string;
  containerPort: number;
}

export interface PublishedPort {
  hostIp: string;
  /** The port bound (the one chosen when 0 was asked). */
  hostPort: number;
  /** Stops listening and ends the connections it forwarded. */
  close(): Promise<void>;
}

export interface PortPublisher {
  /** Rejects with PORT_ALLOCATED (Docker's "Bind for IP:PORT failed: port is already allocated") when the port is taken. */
  publish(b: PortBinding, open: () => Promise<GuestSocket>): Promise<PublishedPort>;
}
