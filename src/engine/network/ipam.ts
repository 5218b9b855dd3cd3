/**
 * IPv4 address management as Docker's default IPAM does it (libnetwork `ipams/defaultipam`):
 * subnets as parsed values, the next free /16 of Docker's default pools for a new network
 * (172.17.0.0/16 is the default bridge's; user networks take 172.18, 172.19, ... 172.31,
 * then 192.168.0.0/20, 192.168.16.0/20, ...), and one address per endpoint, never two alike.
 */
export interface Subnet {
  /** network address as a 32-bit number */
  base: number;
  prefix: number;
}

export function ipToNum(ip: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(ip);
  if (!m) return undefined;
  const parts = m.slice(1).map(Number);
  if (parts.some((p) => p > 255)) return undefined;
  return ((parts[0]! << 24) | (parts[1]! << 16) | (parts[2]! << 8) | parts[3]!) >>> 0;
}

export function numToIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

const mask = (prefix: number) => (prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0);

/** `A.B.C.D/N`, host bits cleared as Docker reports it (undefined when malformed). */
export function parseSubnet(cidr: string): Subnet | undefined {
  const m = /^([\d.]+)\/(\d{1,2})$/.exec(cidr);
  if (!m) return undefined;
  const ip = ipToNum(m[1]!);
  const prefix = Number(m[2]);
  if (ip === undefined || prefix > 32) return undefined;
  return { base: (ip & mask(prefix)) >>> 0, prefix };
}

export const formatSubnet = (s: Subnet) => `${numToIp(s.base)}/${s.prefix}`;

export function contains(s: Subnet, ip: number): boolean {
  return ((ip & mask(s.prefix)) >>> 0) === s.base;
}

export function overlaps(a: Subnet, b: Subnet): boolean {
  const p = Math.min(a.prefix, b.prefix);
  return ((a.base & mask(p)) >>> 0) === ((b.base & mask(p)) >>> 0);
}

/** Docker's default address pools, in order (libnetwork `ipamutils`: 172.17-31/16, then 192.168.0.0/16 in /20s). */
function* defaultPools(): Generator<Subnet> {
  for (let b = 17; b <= 31; b++) yield { base: ((172 << 24) | (b << 16)) >>> 0, prefix: 16 };
  for (let c = 0; c < 256; c += 16) yield { base: ((192 << 24) | (168 << 16) | (c << 8)) >>> 0, prefix: 20 };
}

/** The first default pool that overlaps none of `used`, or undefined when all are taken. */
export function nextFreePool(used: readonly Subnet[]): Subnet | undefined {
  for (const p of defaultPools()) if (!used.some((u) => overlaps(u, p))) return p;
  return undefined;
}

/** The gateway Docker picks: the first address of the subnet. */
export const firstHost = (s: Subnet) => numToIp(s.base + 1);

/** The lowest address of `s` that is not the network, the broadcast, nor in `taken`. */
export function allocate(s: Subnet, taken: ReadonlySet<string>): string | undefined {
  const size = 2 ** (32 - s.prefix);
  for (let i = 1; i < size - 1; i++) {
    const ip = numToIp(s.base + i);
    if (!taken.has(ip)) return ip;
  }
  return undefined;
}

/** Docker's MAC for an address (02:42 + the four bytes), as older Docker versions derive it. */
export function macFor(ip: string): string {
  const n = ipToNum(ip)!;
  return ['02', '42', ...[n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].map((b) => b.toString(16).padStart(2, '0'))].join(':');
}

/** An IPv4 address as its four bytes. */
export function ipBytes(ip: string): Uint8Array {
  const n = ipToNum(ip) ?? 0;
  return Uint8Array.of(n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255);
}
