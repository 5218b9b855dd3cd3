import { cidrContains, isPrivateAddress, parseCidr, parseIp, type Cidr } from './ip-address.ts';
import {
  DEFAULT_RELAY_MAX_BYTES,
  DEFAULT_RELAY_MAX_STREAMS,
  DEFAULT_RELAY_PORTS,
  type RelayOptions,
} from './relay-options.ts';

/**
 * Where the relay may connect, decided BEFORE any socket opens: the port against the allow
 * list, the name resolved here and every answer classified; the stream then connects to
 * the checked address literally, so nothing resolves twice (no DNS rebinding between the
 * check and the connect).
 */

export type PortRange = readonly [number, number];

/** `80`, `"443"`, `"8000-8100"`; undefined when any entry is not a port or range. */
export function parsePortRanges(entries: readonly (number | string)[]): PortRange[] | undefined {
  const out: PortRange[] = [];
  for (const e of entries) {
    const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(String(e).trim());
    if (!m) return undefined;
    const from = Number(m[1]);
    const to = m[2] === undefined ? from : Number(m[2]);
    if (from < 1 || to > 65535 || from > to) return undefined;
    out.push([from, to]);
  }
  return out;
}

export type Decision =
  | { ok: true; address: string }
  | { ok: false; why: 'port' | 'address' | 'dns' | 'name'; message: string };

export interface DestinationPolicy {
  check(hostname: string, port: number): Promise<Decision>;
  /** Whether an address (literal) may be reached: public, or inside an allowed CIDR. */
  addressAllowed(address: string): boolean;
}

export function destinationPolicy(o: RelayOptions, resolve: (hostname: string) => Promise<readonly string[]>): DestinationPolicy {
  const allow: Cidr[] = (o.allow ?? []).map((text) => {
    const c = parseCidr(text);
    if (!c) throw new TypeError(`relay allow entry "${text}" is not an address or CIDR`);
    return c;
  });
  const ports = parsePortRanges(o.ports ?? DEFAULT_RELAY_PORTS);
  if (!ports) throw new TypeError(`relay ports ${JSON.stringify(o.ports)} are not ports or ranges`);

  const addressAllowed = (address: string): boolean => {
    const bits = parseIp(address);
    if (!bits) return false;
    if (allow.some((c) => cidrContains(c, bits))) return true;
    return !isPrivateAddress(address);
  };

  return {
    addressAllowed,
    async check(hostname, port) {
      if (!Number.isInteger(port) || !ports.some(([a, b]) => port >= a && port <= b)) {
        return { ok: false, why: 'port', message: `port ${port} is not on the relay's port list` };
      }
      const literal = parseIp(hostname) ? hostname.replace(/^\[|\]$/g, '') : undefined;
      if (!literal && !isHostName(hostname)) {
        return { ok: false, why: 'name', message: `"${hostname.slice(0, 64)}" is not a host name` };
      }
      let addresses: readonly string[];
      try {
        addresses = literal ? [literal] : await resolve(hostname);
      } catch (e) {
        return { ok: false, why: 'dns', message: `cannot resolve ${hostname}: ${(e as { code?: string }).code ?? String(e)}` };
      }
      // Only checked addresses are ever connected to; a name whose answers are all
      // refused is refused (the message names one refused answer).
      const usable = addresses.filter(addressAllowed);
      const first = usable[0];
      if (first === undefined) {
        const shown = addresses[0] ?? 'no address';
        return { ok: false, why: addresses.length ? 'address' : 'dns', message: literal ? `${shown} is not a public address` : `${hostname} resolves to ${shown}, not a public address` };
      }
      return { ok: true, address: first };
    },
  };
}

function isHostName(name: string): boolean {
  if (name.length === 0 || name.length > 253) return false;
  return name.replace(/\.$/, '').split('.').every((label) => /^[a-z0-9_-]{1,63}$/i.test(label));
}

/**
 * Per-client (IP address) accounting: streams open now, and a byte budget that refills at
 * `maxBytes` per hour. Entries live while a client has streams or an unfilled budget, so
 * reconnecting does not reset a budget.
 */
export class ClientLimits {
  private readonly clients = new Map<string, { streams: number; tokens: number; at: number }>();
  private readonly maxStreams: number;
  private readonly maxBytes: number;

  constructor(o: RelayOptions, private readonly now: () => number) {
    this.maxStreams = o.maxStreams ?? DEFAULT_RELAY_MAX_STREAMS;
    this.maxBytes = o.maxBytes ?? DEFAULT_RELAY_MAX_BYTES;
  }

  private entry(ip: string) {
    let e = this.clients.get(ip);
    const t = this.now();
    if (!e) {
      e = { streams: 0, tokens: this.maxBytes, at: t };
      this.clients.set(ip, e);
    } else if (this.maxBytes > 0) {
      e.tokens = Math.min(this.maxBytes, e.tokens + ((t - e.at) * this.maxBytes) / 3_600_000);
      e.at = t;
    }
    return e;
  }

  /** Take a stream slot; a sentence when the client is at a limit. */
  openStream(ip: string): string | undefined {
    const e = this.entry(ip);
    if (this.maxStreams > 0 && e.streams >= this.maxStreams) return `this client already has ${e.streams} relay streams open (limit ${this.maxStreams})`;
    if (this.maxBytes > 0 && e.tokens < 1) return `this client has used its relay byte budget (${this.maxBytes} bytes per hour)`;
    e.streams++;
    return undefined;
  }

  closeStream(ip: string): void {
    const e = this.entry(ip);
    e.streams = Math.max(0, e.streams - 1);
    this.sweep();
  }

  /** How many of `n` bytes the client may still move (n when unlimited); takes them. */
  take(ip: string, n: number): number {
    if (this.maxBytes <= 0) return n;
    const e = this.entry(ip);
    const granted = Math.max(0, Math.min(n, Math.floor(e.tokens)));
    e.tokens -= granted;
    return granted;
  }

  private sweep(): void {
    for (const [ip, e] of this.clients) {
      if (e.streams === 0 && (this.maxBytes <= 0 || this.entry(ip).tokens >= this.maxBytes)) this.clients.delete(ip);
    }
  }
}
