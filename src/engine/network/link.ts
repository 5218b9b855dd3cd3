/**
 * The link out of the guest (issue 14, "The link out"): what the engine needs from the
 * platform to carry containers' traffic past the guest. The Node daemon passes a
 * `NodeLink` (node-link.ts: host sockets and the host's resolver), the page a `WispLink`
 * (../browser/wisp-link.ts: a Wisp relay over WebSocket). Both implement this one type.
 *
 * Containers' TCP leaves the guest as OPEN frames (the agent's egress listener) and their
 * DNS as DGRAM frames (the guest's relays); `serveLink` (serve-link.ts) joins those to a link.
 */

/** One TCP stream to a destination outside the guest: what `pipeSocket(guest, other)` drives. */
export interface LinkSocket {
  /** Resolves when the link has room for it. */
  write(data: Uint8Array): Promise<void>;
  /** FIN (a link that cannot half-close keeps the stream until the destination ends it). */
  end(): void;
  /** Abort. */
  destroy(): void;
  onData(l: (chunk: Uint8Array) => void): () => void;
  /** The destination ended the stream (after its last byte), or it failed. */
  onEnd(l: () => void): () => void;
  pause(): void;
  resume(): void;
  /**
   * Settles when the stream is gone (with a link-specific reason): after the bytes held
   * by pause() and the end have been handed over, or at destroy(). A consumer that tears
   * down on it (socket-pipe) must lose nothing.
   */
  readonly closed: Promise<number>;
}

/**
 * The contract (net-contract.md "NetworkLink"). `connect` is given the destination the
 * container asked for, except that every bridge gateway (the host side, as Docker's
 * `host-gateway`) arrives as `127.0.0.1`: the engine maps it, so each link decides once
 * what the host's loopback means (Node: the machine; the page: the relay's policy).
 */
export interface NetworkLink {
  connect(dst: string, port: number): Promise<LinkSocket>;
  /** A DNS query (wire format) in, the answer out (SERVFAIL/NXDOMAIN as DNS says, not a throw). */
  resolve(query: Uint8Array): Promise<Uint8Array>;
  /** Whether the link can carry traffic now (false: the guest is told `net-link up=0`, so connections fail at once). */
  readonly available: boolean;
  /**
   * Sends a query to a DNS server of the container's choosing (`--dns`) and returns its
   * answer. A link without it resolves names itself, and `--dns` is refused at create.
   */
  resolveVia?(query: Uint8Array, server: string): Promise<Uint8Array>;
  /** Reach out now to learn `available` (the page's relay); asked before each guest is told whether the link is up. */
  probe?(): Promise<boolean>;
}

/** A refused or failed connect, as a socket would say it (Linux errno). */
export class LinkConnectError extends Error {
  constructor(readonly code: 'ECONNREFUSED' | 'EHOSTUNREACH' | 'ENETUNREACH' | 'ETIMEDOUT', readonly errno: number, message: string) {
    super(message);
    this.name = 'LinkConnectError';
  }
}
