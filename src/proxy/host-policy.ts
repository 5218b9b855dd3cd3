import { TabdockError } from '../shared/errors.ts';
import { isIpLiteral, isPrivateAddress } from './ip-address.ts';

/**
 * Which upstream hosts the proxy may reach, and over which scheme. `host[:port]` is the
 * unit of identity: `127.0.0.1:5000` and `127.0.0.1:5001` are different hosts, and an
 * entry without a port means the scheme's default port only.
 */

/** Docker Hub, GHCR and Quay: registry, token realm and blob CDN hosts. */
export const DEFAULT_ALLOWED_HOSTS: readonly string[] = [
  'registry-1.docker.io',
  'auth.docker.io',
  'production.cloudflare.docker.com',
  'production.cloudfront.docker.com',
  // Docker Hub's own bucket only: a wildcard over the storage service would let anyone's
  // bucket be fetched (and served from the page's origin) through the proxy.
  'docker-images-prod.6aa30f8b08e16409b46e0173d6de2f56.r2.cloudflarestorage.com',
  'ghcr.io',
  'pkg-containers.githubusercontent.com',
  'quay.io',
  'cdn.quay.io',
  'cdn01.quay.io',
  'cdn02.quay.io',
  'cdn03.quay.io',
  'quayio-production-s3.s3.amazonaws.com',
];

/** A parsed `host[:port]` as the WHATWG URL parser canonicalises it. */
export interface HostPort {
  /** `URL.hostname`: lower case; IPv6 in brackets. */
  hostname: string;
  /** Empty for the default port. */
  port: string;
  /** `hostname[:port]`, the identity compared everywhere. */
  key: string;
}

/**
 * Parse `host[:port]` strictly: anything the URL parser would rewrite (upper case,
 * `2130706433`, `0x7f.1`, trailing dots, userinfo, percent-escapes) is refused rather than
 * silently normalised, so what was checked is exactly what gets fetched.
 */
export function parseHostPort(text: string): HostPort | undefined {
  if (!/^(?:[a-z0-9.-]+|\[[0-9a-f:.]+\])(?::\d{1,5})?$/.test(text)) return undefined;
  let url: URL;
  try {
    url = new URL(`https://${text}/`);
  } catch {
    return undefined;
  }
  const stated = /:(\d+)$/.exec(text)?.[1];
  const port = stated === '443' ? '' : url.port; // https default; URL drops it likewise
  if (url.hostname.endsWith('.') || url.hostname.startsWith('.')) return undefined;
  const expected = port ? `${url.hostname}:${port}` : url.hostname;
  const given = stated === '443' ? text.slice(0, -4) : text;
  if (expected !== given) return undefined;
  return { hostname: url.hostname, port, key: expected };
}

interface Pattern {
  /** Exact hostname, or the suffix (with its leading dot) of a `*.` wildcard. */
  name: string;
  wildcard: boolean;
  port: string;
  /** Exact entries may name private or literal addresses; defaults and wildcards never do. */
  exact: boolean;
}

function parsePattern(entry: string, configured: boolean): Pattern | undefined {
  const text = entry.trim().toLowerCase();
  const wildcard = text.startsWith('*.');
  const hp = parseHostPort(wildcard ? text.slice(2) : text);
  if (!hp || (wildcard && isIpLiteral(hp.hostname))) return undefined;
  return {
    name: wildcard ? `.${hp.hostname}` : hp.hostname,
    wildcard,
    port: hp.port,
    exact: configured && !wildcard,
  };
}

export type HostVerdict =
  | { ok: true; scheme: 'https:' | 'http:'; exactlyConfigured: boolean }
  | { ok: false; reason: string };

export class HostPolicy {
  readonly #patterns: Pattern[];
  readonly #insecure: Set<string>;

  /**
   * @param defaults entries allowed as public hosts only (the built-in list)
   * @param configured operator entries; an exact one may be a private or literal address
   * @param insecure `host[:port]` entries that are reached over plain HTTP when also allowed
   */
  constructor(defaults: readonly string[], configured: readonly string[], insecure: readonly string[]) {
    const bad = [
      ...[...defaults, ...configured].filter((e) => !parsePattern(e, true)),
      ...insecure.filter((e) => !parseHostPort(e.trim().toLowerCase())),
    ];
    if (bad.length > 0) {
      throw new TabdockError('PROXY_CONFIG_INVALID', `tabdock proxy: invalid host entries: ${bad.join(', ')}`, { entries: bad });
    }
    this.#patterns = [
      ...defaults.map((e) => parsePattern(e, false)!),
      ...configured.map((e) => parsePattern(e, true)!),
    ];
    this.#insecure = new Set(insecure.map((e) => parseHostPort(e.trim().toLowerCase())!.key));
  }

  /** Decide on a host the client addressed or a redirect points at (`scheme` given then). */
  check(host: HostPort, redirectScheme?: string): HostVerdict {
    const matches = this.#patterns.filter(
      (p) => p.port === host.port && (p.wildcard ? host.hostname.endsWith(p.name) : p.name === host.hostname),
    );
    if (matches.length === 0) return { ok: false, reason: `host ${host.key} is not on the allow list` };
    const exactlyConfigured = matches.some((p) => p.exact);
    if (isIpLiteral(host.hostname) && !exactlyConfigured) {
      return { ok: false, reason: `host ${host.key} is a literal address; only an exact allow-list entry permits one` };
    }
    const insecure = this.#insecure.has(host.key);
    if (redirectScheme === 'http:' && !insecure) {
      return { ok: false, reason: `plain-HTTP redirect to ${host.key}, which is not an insecure registry` };
    }
    if (redirectScheme !== undefined && redirectScheme !== 'http:' && redirectScheme !== 'https:') {
      return { ok: false, reason: `redirect to unsupported scheme ${redirectScheme}` };
    }
    const scheme = redirectScheme === 'https:' ? 'https:' : insecure ? 'http:' : 'https:';
    return { ok: true, scheme, exactlyConfigured };
  }

  /** Whether resolved addresses are acceptable for this host (see `ProxyOptions.resolveHost`). */
  addressesAllowed(addresses: readonly string[], exactlyConfigured: boolean): boolean {
    return exactlyConfigured || !addresses.some(isPrivateAddress);
  }
}
