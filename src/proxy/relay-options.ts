import type { AllowedOrigins } from './cors.ts';

/**
 * The Wisp relay's policy (DESIGN.md, security model: "not an open relay"). Everything is
 * optional; the defaults make a public relay that reaches public addresses on ports 80
 * and 443 only.
 */
export interface RelayOptions {
  /**
   * Addresses or CIDRs (`127.0.0.1/32`, `10.1.0.0/16`, `::1`) reachable beyond the public
   * internet. Checked against the RESOLVED address, never the name.
   */
  allow?: readonly string[];
  /** Destination ports: numbers or `from-to` ranges (default 80 and 443). */
  ports?: readonly (number | string)[];
  /** Streams one client (IP address) may hold open at once; 0 = no limit (default 64). */
  maxStreams?: number;
  /**
   * Bytes one client may move, both directions together, per hour (a token bucket that
   * refills continuously); 0 = no limit (default 4 GiB). A stream that reaches it is closed.
   */
  maxBytes?: number;
  /** Page origins that may open the relay (default `'*'`); others get 403. */
  allowedOrigins?: AllowedOrigins;
  /** Give up on a destination that does not accept within this time (default 10 s). */
  connectTimeoutMs?: number;
  /** Resolve a name to its addresses (default: the operating system's resolver, all answers). */
  resolveHost?: (hostname: string) => Promise<readonly string[]>;
  /** Clock in milliseconds, for the byte budget (default `Date.now`). */
  now?: () => number;
  /** One line per refusal (default: silent). */
  log?: (message: string) => void;
}

export const DEFAULT_RELAY_PORTS: readonly number[] = [80, 443];
export const DEFAULT_RELAY_MAX_STREAMS = 64;
export const DEFAULT_RELAY_MAX_BYTES = 4 * 1024 ** 3;
export const DEFAULT_RELAY_CONNECT_TIMEOUT_MS = 10_000;
/** Where every adapter serves the relay. A Wisp endpoint ends with `/` (wisp-js requires it). */
export const RELAY_PATH = '/wisp/';
