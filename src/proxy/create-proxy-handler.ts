import { corsHeaders, originAllowed, preflightHeaders } from './cors.ts';
import { boundedBody } from './bounded-body.ts';
import { forwardUpstream } from './forward-upstream.ts';
import type { ProxyFailure } from '../shared/proxy-failure.ts';
import { DEFAULT_ALLOWED_HOSTS, HostPolicy, parseHostPort } from './host-policy.ts';
import { parseProxiedPath } from '../shared/proxied-url.ts';
import {
  DEFAULT_HEADERS_TIMEOUT_MS,
  DEFAULT_MAX_BLOB_BYTES,
  DEFAULT_MAX_MANIFEST_BYTES,
  DEFAULT_MAX_REDIRECTS,
  type ProxyOptions,
} from './proxy-options.ts';
import { DEFAULT_RATE_LIMIT, RateLimiter } from './rate-limiter.ts';
import { refusal } from './refusal.ts';

export type ProxyHandler = (request: Request, client?: { ip: string }) => Promise<Response>;

/** Request headers a registry exchange needs; nothing else crosses (no Cookie, no X-Forwarded-*). */
const FORWARDED_REQUEST_HEADERS = ['accept', 'authorization', 'range', 'if-none-match', 'user-agent'];

/** Response headers relayed; Set-Cookie, HSTS, hop-by-hop and the rest stay behind. */
const RELAYED_RESPONSE_HEADERS = [
  'content-type', 'content-length', 'content-range', 'accept-ranges', 'etag', 'last-modified',
  'docker-content-digest', 'docker-distribution-api-version', 'www-authenticate',
  'ratelimit-limit', 'ratelimit-remaining', 'docker-ratelimit-source', 'retry-after', 'location', 'link',
];

/**
 * What a registry serves: JSON (errors, tokens, tag lists), OCI and Docker media types,
 * in-toto attestations, plain bytes. Anything else (text/html, image/svg+xml, none at
 * all) is relayed as application/octet-stream: through an allow-listed host a body must
 * never become a page on the proxy's origin, which is the playground's by default.
 */
const REGISTRY_CONTENT_TYPE = /^(application\/(json|octet-stream|vnd\.oci\.[a-z0-9.+-]+|vnd\.docker\.[a-z0-9.+-]+|vnd\.in-toto\+json|x-tar|gzip|zstd)|text\/plain|binary\/octet-stream)\s*(;|$)/i;

/** On every proxied body: never sniffed, never rendered, never scripted, a download at most. */
const INERT_BODY_HEADERS: Record<string, string> = {
  'X-Content-Type-Options': 'nosniff',
  'Content-Security-Policy': "default-src 'none'; sandbox",
  'Content-Disposition': 'attachment',
};

/** Request headers an upload adds (push option only). */
const PUSH_REQUEST_HEADERS = ['content-type', 'content-range', 'content-length'];

/** Upload paths of the distribution API (OCI distribution spec, "Push"): blob uploads and manifests. */
function isPushPath(method: string, path: string): boolean {
  if (method === 'PUT' && /^\/v2\/.+\/manifests\/[^/]+$/.test(path)) return true;
  return /^\/v2\/.+\/blobs\/uploads\/[^/]*$/.test(path);
}

/** Distribution API paths, and the token endpoints of Docker Hub (/token), GHCR (/token), Quay (/v2/auth). */
function isRegistryPath(path: string): boolean {
  if (/%(2f|5c)|\\/i.test(path)) return false; // encoded separators could be decoded upstream
  return path === '/v2' || path.startsWith('/v2/') || path === '/token' || path === '/oauth2/token';
}

/** The core: one web-standard fetch handler; the adapters only translate transport. */
export function createProxyHandler(options: ProxyOptions = {}): ProxyHandler {
  const policy = new HostPolicy(
    options.defaultAllow === false ? [] : DEFAULT_ALLOWED_HOSTS,
    options.allow ?? [],
    options.insecure ?? [],
  );
  const allowedOrigins = options.allowedOrigins ?? '*';
  const limiter =
    options.rateLimit === false ? undefined : new RateLimiter(options.rateLimit ?? DEFAULT_RATE_LIMIT, options.now ?? Date.now);
  const basePath = (options.basePath ?? '/').replace(/\/+$/, '');
  const maxBlob = options.maxBlobBytes ?? DEFAULT_MAX_BLOB_BYTES;
  const maxOther = options.maxManifestBytes ?? DEFAULT_MAX_MANIFEST_BYTES;
  const log = options.log ?? (() => {});
  const pushHosts = new Set((options.push ?? []).map((h) => h.trim().toLowerCase()).filter(Boolean));
  const ctx = {
    policy,
    fetch: options.fetch ?? ((url: string, init: RequestInit) => globalThis.fetch(url, init)),
    maxRedirects: options.maxRedirects ?? DEFAULT_MAX_REDIRECTS,
    headersTimeoutMs: options.headersTimeoutMs ?? DEFAULT_HEADERS_TIMEOUT_MS,
    resolveHost: options.resolveHost,
  };

  return async (request, client) => {
    const url = new URL(request.url);
    const origin = request.headers.get('origin');
    const cors = corsHeaders(allowedOrigins, origin);
    const refuse = (status: number, code: Parameters<typeof refusal>[1], message: string, extra = {}, failure?: ProxyFailure) => {
      log(`${request.method} ${url.pathname} -> ${status} ${message}`);
      return refusal(status, code, message, { ...cors, ...extra }, failure);
    };

    if (!originAllowed(allowedOrigins, origin)) return refuse(403, 'DENIED', `origin ${origin} may not use this proxy`);
    if (basePath && url.pathname !== basePath && !url.pathname.startsWith(basePath + '/')) {
      return refuse(404, 'UNSUPPORTED', `${url.pathname} is not under the proxy path ${basePath}/`);
    }
    if (request.method === 'OPTIONS') return new Response(null, { status: 204, headers: preflightHeaders(allowedOrigins, origin, pushHosts.size > 0) });
    const pushing = request.method === 'POST' || request.method === 'PUT' || request.method === 'PATCH';
    if (request.method !== 'GET' && request.method !== 'HEAD' && !(pushing && pushHosts.size > 0)) {
      return refuse(405, 'UNSUPPORTED', `method ${request.method} is not allowed (GET, HEAD, OPTIONS only${pushHosts.size ? '; POST, PUT, PATCH to push hosts' : ''})`, {
        Allow: pushHosts.size ? 'GET, HEAD, OPTIONS, POST, PUT, PATCH' : 'GET, HEAD, OPTIONS',
      });
    }
    if (request.headers.has('cookie')) return refuse(400, 'DENIED', 'requests carrying cookies are refused');

    const target = parseProxiedPath(url.pathname.slice(basePath.length), url.search);
    const host = target && parseHostPort(target.host);
    if (!target || !host) {
      return refuse(403, 'DENIED', `expected ${basePath}/<host[:port]>/v2/..., and ${target?.host ?? 'no host'} is not a valid host[:port]`);
    }
    if (!isRegistryPath(target.path)) {
      return refuse(403, 'DENIED', `path ${target.path} is neither a registry API (/v2/...) nor a token path`);
    }
    const verdict = policy.check(host);
    if (!verdict.ok) return refuse(403, 'DENIED', verdict.reason);
    if (pushing) {
      // The push option: only to the hosts it names, only upload paths, only with credentials.
      if (!pushHosts.has(host.key)) return refuse(403, 'DENIED', `pushing to ${host.key} is not allowed through this proxy`);
      if (!isPushPath(request.method, target.path)) return refuse(403, 'DENIED', `${request.method} ${target.path} is not a registry upload path`);
      if (!request.headers.has('authorization')) return refuse(403, 'DENIED', `a push through this proxy needs credentials (log in to ${host.key} first)`);
    }

    if (limiter) {
      const rate = limiter.take(client?.ip ?? 'unknown');
      if (!rate.ok) {
        return refuse(429, 'TOOMANYREQUESTS', `too many requests from this client; retry in ${rate.retryAfterSeconds} s`, {
          'Retry-After': String(rate.retryAfterSeconds),
        });
      }
    }

    const headers = new Headers();
    for (const name of FORWARDED_REQUEST_HEADERS) {
      const value = request.headers.get(name);
      if (value !== null) headers.set(name, value);
    }
    if (pushing) {
      for (const name of PUSH_REQUEST_HEADERS) {
        const value = request.headers.get(name);
        if (value !== null) headers.set(name, value);
      }
      const declared = Number(request.headers.get('content-length') ?? '0');
      if (declared > maxBlob) return refuse(413, 'SIZE_INVALID', `an upload of ${declared} bytes exceeds the proxy's limit of ${maxBlob} bytes`);
    }
    // Ask for identity bytes: a runtime that transparently inflates would otherwise make
    // Content-Length and Range offsets disagree with the body we relay.
    headers.set('accept-encoding', 'identity');
    const upstreamUrl = new URL(`${verdict.scheme}//${host.key}${target.path}${target.search}`);
    const method = request.method as 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH';
    // An upload's body streams through, bounded; it is never replayed, so a push is not redirected.
    const body = pushing && request.body ? boundedBody(request.body as unknown as Parameters<typeof boundedBody>[0], maxBlob, () => log(`${method} ${url.pathname} upload cut at ${maxBlob} bytes`)) : undefined;
    const result = await forwardUpstream(ctx, host, upstreamUrl, verdict.exactlyConfigured, method, headers, request.signal, body as unknown as ReadableStream<Uint8Array> | undefined);
    if (!result.ok) return refuse(result.status, result.code, result.message, {}, result.failure);

    const upstream = result.response;
    const out = new Headers(cors);
    for (const name of RELAYED_RESPONSE_HEADERS) {
      const value = upstream.headers.get(name);
      if (value !== null) out.set(name, value);
    }
    // fetch already decoded a Content-Encoding; its length no longer describes the body.
    if (upstream.headers.has('content-encoding')) out.delete('content-length');
    const type = out.get('content-type');
    if (type === null || !REGISTRY_CONTENT_TYPE.test(type)) out.set('content-type', 'application/octet-stream');
    for (const [k, v] of Object.entries(INERT_BODY_HEADERS)) out.set(k, v);

    const noBody = method === 'HEAD' || upstream.status === 204 || upstream.status === 304 || upstream.body === null;
    if (noBody) {
      await upstream.body?.cancel().catch(() => {});
      return new Response(null, { status: upstream.status, headers: out });
    }
    const limit = /\/blobs\//.test(target.path) && !pushing ? maxBlob : maxOther;
    const declared = Number(out.get('content-length') ?? '0');
    if (declared > limit) {
      await upstream.body?.cancel().catch(() => {});
      return refuse(502, 'SIZE_INVALID', `response of ${declared} bytes from ${result.url.host} exceeds the proxy's limit of ${limit} bytes`);
    }
    const relayed = boundedBody(upstream.body!, limit, () => log(`${method} ${url.pathname} cut at ${limit} bytes`));
    return new Response(relayed as unknown as ConstructorParameters<typeof Response>[0], { status: upstream.status, headers: out });
  };
}
