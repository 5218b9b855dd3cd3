import { TabdockError } from './errors.ts';

/**
 * The proxy's URL scheme, the one contract the registry client relies on:
 *
 *   <proxy base>/<host[:port]>/<path>?<query>  ->  https://<host[:port]>/<path>?<query>
 *
 * (`http://` only for hosts the proxy is configured to treat as insecure registries).
 * The scheme is not in the proxied URL: the proxy decides it, so a page cannot ask for
 * plain HTTP to a host that was not configured for it.
 */

/** Build the proxied form of an absolute upstream URL. */
export function proxiedUrl(proxyBase: string, upstreamUrl: string): string {
  const up = new URL(upstreamUrl);
  if (up.protocol !== 'https:' && up.protocol !== 'http:') {
    throw new TabdockError('PROXY_URL_INVALID', `cannot proxy ${up.protocol} URL ${upstreamUrl}`, { upstreamUrl });
  }
  if (up.username || up.password) {
    throw new TabdockError('PROXY_URL_INVALID', 'cannot proxy a URL carrying credentials', {});
  }
  // URL.host already drops the scheme's default port, which is what the proxy expects.
  return `${proxyBase.replace(/\/+$/, '')}/${up.host}${up.pathname}${up.search}`;
}

/** The upstream target named by a proxied path (the part after the proxy's base path). */
export interface ProxiedTarget {
  /** `host[:port]` exactly as written in the first path segment, lower-cased. */
  host: string;
  /** Upstream path, starting with `/`. */
  path: string;
  /** Upstream query including `?`, or empty. */
  search: string;
}

/**
 * Split `/<host[:port]>/<path>` into its parts; `undefined` when there is no host segment.
 * No validation of the host beyond that: the handler's host policy does it.
 */
export function parseProxiedPath(pathname: string, search = ''): ProxiedTarget | undefined {
  const m = /^\/([^/]+)(\/.*)?$/.exec(pathname);
  if (!m || !m[1]) return undefined;
  return { host: m[1].toLowerCase(), path: m[2] ?? '/', search };
}

/**
 * The inverse of `proxiedUrl`: the upstream URL a proxied URL stands for. The scheme is
 * `https:` unless the caller says otherwise (as the proxy does for insecure registries).
 */
export function upstreamUrlOf(proxyBase: string, proxied: string, scheme: 'https:' | 'http:' = 'https:'): string {
  const base = new URL(proxyBase.replace(/\/+$/, '') + '/');
  const url = new URL(proxied, base);
  if (url.origin !== base.origin || !url.pathname.startsWith(base.pathname)) {
    throw new TabdockError('PROXY_URL_INVALID', `${proxied} is not under the proxy base ${proxyBase}`, { proxied, proxyBase });
  }
  const target = parseProxiedPath(url.pathname.slice(base.pathname.length - 1), url.search);
  if (!target) {
    throw new TabdockError('PROXY_URL_INVALID', `${proxied} names no upstream host`, { proxied });
  }
  return `${scheme}//${target.host}${target.path}${target.search}`;
}
