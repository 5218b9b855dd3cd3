/**
 * Literal-address checks for the proxy's "no literal or private addresses" rule
 * (DESIGN.md, security model). Hosts arrive here already canonicalised by the WHATWG URL
 * parser, so IPv4 is dotted-quad and IPv6 is bracketed, lower-case and compressed.
 */

/** Whether `hostname` (as in `URL.hostname`) is an IPv4 or bracketed IPv6 literal. */
export function isIpLiteral(hostname: string): boolean {
  return parseIpv4(hostname) !== undefined || hostname.startsWith('[');
}

/**
 * Whether an address (IPv4 dotted-quad, or IPv6 with or without brackets) is one a
 * public proxy must not reach: loopback, private, link-local, CGNAT, unspecified,
 * multicast, reserved, or an IPv6 form that embeds such an IPv4 address.
 * Anything we cannot parse counts as private: refusing is the safe side.
 */
export function isPrivateAddress(address: string): boolean {
  const v4 = parseIpv4(address);
  if (v4) return isPrivateIpv4(v4);
  const v6 = parseIpv6(address.replace(/^\[|\]$/g, ''));
  if (!v6) return true;
  return isPrivateIpv6(v6);
}

function isPrivateIpv4([a, b]: readonly number[]): boolean {
  if (a === undefined || b === undefined) return true;
  return (
    a === 0 || // "this network"
    a === 10 ||
    a === 127 ||
    (a === 100 && b >= 64 && b <= 127) || // CGNAT, RFC 6598
    (a === 169 && b === 254) || // link-local, cloud metadata endpoints live here
    (a === 172 && b >= 16 && b <= 31) ||
    (a === 192 && b === 168) ||
    (a === 192 && b === 0) || // IETF protocol assignments / documentation
    (a === 198 && (b === 18 || b === 19)) || // benchmarking, RFC 2544
    a >= 224 // multicast, reserved, broadcast
  );
}

function isPrivateIpv6(w: readonly number[]): boolean {
  const [w0 = 0, , , , , w5 = 0, w6 = 0, w7 = 0] = w;
  const zeroPrefix = w.slice(0, 5).every((x) => x === 0);
  if (zeroPrefix && w5 === 0 && w6 === 0 && (w7 === 0 || w7 === 1)) return true; // :: and ::1
  // IPv4-mapped (::ffff:a.b.c.d) and IPv4-compatible (::a.b.c.d): judge the IPv4 inside.
  if (zeroPrefix && (w5 === 0xffff || w5 === 0)) return isPrivateIpv4([w6 >> 8, w6 & 0xff]);
  // NAT64 (64:ff9b::/96) also embeds an IPv4 address.
  if (w0 === 0x64 && w[1] === 0xff9b) return isPrivateIpv4([w6 >> 8, w6 & 0xff]);
  return (
    (w0 & 0xfe00) === 0xfc00 || // unique local fc00::/7
    (w0 & 0xffc0) === 0xfe80 || // link-local fe80::/10
    (w0 & 0xffc0) === 0xfec0 || // deprecated site-local
    (w0 & 0xff00) === 0xff00 || // multicast
    w0 === 0x2001 && w[1] === 0x0db8 // documentation
  );
}

function parseIpv4(s: string): number[] | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (!m) return undefined;
  const parts = m.slice(1).map(Number);
  return parts.every((p) => p <= 255) ? parts : undefined;
}

/** Eight 16-bit words, or undefined. Accepts a trailing dotted IPv4 part. */
function parseIpv6(s: string): number[] | undefined {
  let text = s.toLowerCase();
  const zone = text.indexOf('%');
  if (zone >= 0) text = text.slice(0, zone);
  const tail: number[] = [];
  const lastColon = text.lastIndexOf(':');
  const v4 = parseIpv4(text.slice(lastColon + 1));
  if (v4) {
    tail.push(((v4[0] ?? 0) << 8) | (v4[1] ?? 0), ((v4[2] ?? 0) << 8) | (v4[3] ?? 0));
    const head = text.slice(0, lastColon + 1); // keeps a "::" that precedes the IPv4 part
    text = head.endsWith('::') ? head : head.slice(0, -1);
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const words = (part: string | undefined): number[] | undefined => {
    if (!part) return [];
    const out: number[] = [];
    for (const h of part.split(':')) {
      if (!/^[0-9a-f]{1,4}$/.test(h)) return undefined;
      out.push(parseInt(h, 16));
    }
    return out;
  };
  const head = words(halves[0]);
  const rest = words(halves[1]);
  if (!head || !rest) return undefined;
  const fill = 8 - tail.length - head.length - rest.length;
  if (halves.length === 1 ? fill !== 0 : fill < 0) return undefined;
  return [...head, ...new Array<number>(halves.length === 1 ? 0 : fill).fill(0), ...rest, ...tail];
}

/** An address as bits: IPv4 as 4 bytes; IPv6 as 16 bytes (IPv4-mapped IPv6 becomes IPv4). */
export interface IpBits {
  family: 4 | 6;
  bytes: readonly number[];
}

/** Parse an IPv4 dotted-quad or an IPv6 address (brackets allowed); undefined otherwise. */
export function parseIp(text: string): IpBits | undefined {
  const v4 = parseIpv4(text);
  if (v4) return { family: 4, bytes: v4 };
  const w = parseIpv6(text.replace(/^\[|\]$/g, ''));
  if (!w) return undefined;
  // ::ffff:a.b.c.d is that IPv4 address (a socket connected to it reaches the IPv4 host).
  if (w.slice(0, 5).every((x) => x === 0) && w[5] === 0xffff) {
    return { family: 4, bytes: [w[6]! >> 8, w[6]! & 0xff, w[7]! >> 8, w[7]! & 0xff] };
  }
  return { family: 6, bytes: w.flatMap((x) => [x >> 8, x & 0xff]) };
}

/** `a.b.c.d/n`, `v6/n`, or a bare address (a /32 or /128). */
export interface Cidr {
  text: string;
  base: IpBits;
  prefix: number;
}

export function parseCidr(text: string): Cidr | undefined {
  const slash = text.lastIndexOf('/');
  const base = parseIp(slash >= 0 ? text.slice(0, slash) : text);
  if (!base) return undefined;
  const max = base.family === 4 ? 32 : 128;
  const prefixText = slash >= 0 ? text.slice(slash + 1) : String(max);
  if (!/^\d{1,3}$/.test(prefixText)) return undefined;
  const prefix = Number(prefixText);
  if (prefix > max) return undefined;
  return { text, base, prefix };
}

/** Whether `address` lies inside `cidr` (same family after IPv4-mapped normalisation). */
export function cidrContains(cidr: Cidr, address: IpBits): boolean {
  if (cidr.base.family !== address.family) return false;
  let bits = cidr.prefix;
  for (let i = 0; bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if (((cidr.base.bytes[i] ?? 0) & mask) !== ((address.bytes[i] ?? 0) & mask)) return false;
  }
  return true;
}
