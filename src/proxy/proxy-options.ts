import type { AllowedOrigins } from './cors.ts';
import type { RateLimit } from './rate-limiter.ts';

/** The upstream transport: `fetch` or anything shaped like it (tests, workers). */
export type FetchLike = (url: string, init: RequestInit) => Promise<Response>;

/**
 * Everything the core handler needs, injected (STYLE.md: transport and clock are passed
 * in). All fields are optional; the defaults make a safe public proxy for Docker Hub,
 * GHCR and Quay.
 */
export interface ProxyOptions {
  /** Extra `host[:port]` or `*.suffix[:port]` entries. An exact entry may be a literal or private address. */
  allow?: readonly string[];
  /** Include the built-in Docker Hub / GHCR / Quay hosts (default true). */
  defaultAllow?: boolean;
  /** `host[:port]` reached over plain HTTP; only effective for hosts that are also allowed. */
  insecure?: readonly string[];
  /** Origins whose pages may use the proxy (default `'*'`). Others get 403. */
  allowedOrigins?: AllowedOrigins;
  /**
   * Hosts (`host[:port]`, each also allowed) that push methods may reach: POST, PUT and
   * PATCH to `/v2/<name>/blobs/uploads/...` and PUT to `/v2/<name>/manifests/<ref>`, only
   * with `Authorization`. Default none: the proxy forwards no request body at all.
   */
  push?: readonly string[];
  /** Per-client-IP token bucket (default 600 burst, 10/s); `false` turns it off. */
  rateLimit?: RateLimit | false;
  /** Largest blob response relayed (default 2 GiB). */
  maxBlobBytes?: number;
  /** Largest non-blob response relayed: manifests, tokens, tag lists (default 16 MiB). */
  maxManifestBytes?: number;
  /** Redirect hops followed on the server side (default 5). */
  maxRedirects?: number;
  /** Path the handler is mounted under (default `/`): `<basePath>/<host>/<path>`. */
  basePath?: string;
  /** Give up on an upstream that sends no response headers within this time (default 30 s). */
  headersTimeoutMs?: number;
  /** Upstream transport (default `globalThis.fetch`). */
  fetch?: FetchLike;
  /** Clock in milliseconds, for the rate limiter (default `Date.now`). */
  now?: () => number;
  /**
   * Resolve a host name to its addresses. When given, names resolving to a private,
   * loopback or link-local address are refused unless exactly configured in `allow`.
   * The Node adapter wires `dns.lookup`; an edge runtime has no private network to reach.
   */
  resolveHost?: (hostname: string) => Promise<readonly string[]>;
  /** One line per refusal or upstream failure (default: silent). */
  log?: (message: string) => void;
}

export const DEFAULT_MAX_BLOB_BYTES = 2 * 1024 ** 3;
export const DEFAULT_MAX_MANIFEST_BYTES = 16 * 1024 ** 2;
export const DEFAULT_MAX_REDIRECTS = 5;
export const DEFAULT_HEADERS_TIMEOUT_MS = 30_000;
