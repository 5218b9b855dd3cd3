/**
 * Names resolved over DNS-over-HTTPS (the JSON form, `application/dns-json`), for a runtime
 * with no resolver of its own (the edge worker): the proxy then checks the answer as the
 * Node adapter checks `dns.lookup`'s (a name that resolves to a private address is refused
 * unless an exact allow-list entry names it). A and AAAA are asked at once; answers are
 * kept for their TTL (at most `maxTtlSeconds`).
 */
export interface DohResolverOptions {
  /** The DoH endpoint, e.g. `https://cloudflare-dns.com/dns-query`. */
  url: string;
  fetch?: (url: string, init: RequestInit) => Promise<Response>;
  maxTtlSeconds?: number;
  now?: () => number;
}

interface DohAnswer {
  type: number;
  data: string;
  TTL?: number;
}

const A = 1;
const AAAA = 28;
const MAX_BODY = 64 * 1024;

export function dohResolver(o: DohResolverOptions): (hostname: string) => Promise<readonly string[]> {
  const get = o.fetch ?? ((url: string, init: RequestInit) => globalThis.fetch(url, init));
  const maxTtl = o.maxTtlSeconds ?? 300;
  const now = o.now ?? (() => Date.now());
  const cache = new Map<string, { until: number; addresses: readonly string[] }>();

  const ask = async (name: string, type: number): Promise<{ addresses: string[]; ttl: number }> => {
    const u = new URL(o.url);
    u.searchParams.set('name', name);
    u.searchParams.set('type', type === A ? 'A' : 'AAAA');
    const res = await get(u.href, { headers: { accept: 'application/dns-json' } });
    const text = await res.text();
    if (!res.ok) throw new Error(`the DNS-over-HTTPS server answered ${res.status}`);
    if (text.length > MAX_BODY) throw new Error('the DNS-over-HTTPS answer is too large');
    const body = JSON.parse(text) as { Status?: number; Answer?: DohAnswer[] };
    // Status is the DNS RCODE: 3 (NXDOMAIN) is "no such name", anything else but 0 a failure.
    if (body.Status !== 0 && body.Status !== 3) throw new Error(`DNS answered with status ${body.Status}`);
    const answers = (body.Answer ?? []).filter((a) => a.type === type);
    return { addresses: answers.map((a) => a.data), ttl: Math.min(maxTtl, ...answers.map((a) => a.TTL ?? maxTtl)) };
  };

  return async (hostname) => {
    const name = hostname.toLowerCase();
    const hit = cache.get(name);
    if (hit && hit.until > now()) return hit.addresses;
    const [v4, v6] = await Promise.all([ask(name, A), ask(name, AAAA)]);
    const addresses = [...v4.addresses, ...v6.addresses];
    if (addresses.length === 0) throw new Error(`${hostname} has no address`);
    cache.set(name, { until: now() + Math.min(v4.ttl, v6.ttl) * 1000, addresses });
    return addresses;
  };
}
