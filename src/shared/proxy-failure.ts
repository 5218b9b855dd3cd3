/**
 * What the CORS proxy tells a client when it answers instead of the registry, as data:
 * it rides in the registry error body's `detail` (OCI distribution spec, "Error Codes":
 * `{ errors: [{ code, message, detail }] }`), so the registry client reads a reason, not
 * a sentence. The message beside it is for people only.
 */
export type ProxyFailureReason =
  /** The proxy could not connect to the host (refused, reset, DNS, no headers in time). */
  | 'UPSTREAM_UNREACHABLE'
  /** The request or its target is refused by the proxy's policy (host, path, method, origin, cookie, redirect). */
  | 'REFUSED'
  /** This client sent too many requests. */
  | 'RATE_LIMITED'
  /** The upstream response is larger than the proxy passes on. */
  | 'TOO_LARGE'
  /** The proxy itself failed. */
  | 'INTERNAL';

export interface ProxyFailure {
  reason: ProxyFailureReason;
  /** The upstream host[:port] concerned, when there is one. */
  host?: string;
  /** Why, in the words of the layer below (e.g. `connect ECONNREFUSED 127.0.0.1:9`). */
  cause?: string;
}

const REASONS: ReadonlySet<string> = new Set<ProxyFailureReason>(['UPSTREAM_UNREACHABLE', 'REFUSED', 'RATE_LIMITED', 'TOO_LARGE', 'INTERNAL']);

/** The proxy failure in an error's `detail`, if that is what it is. */
export function proxyFailureOf(detail: unknown): ProxyFailure | undefined {
  const p = (detail as { tabdockProxy?: unknown } | null | undefined)?.tabdockProxy as Partial<ProxyFailure> | undefined;
  if (!p || typeof p.reason !== 'string' || !REASONS.has(p.reason)) return undefined;
  return {
    reason: p.reason, ...(typeof p.host === 'string' ? { host: p.host } : {}), ...(typeof p.cause === 'string' ? { cause: p.cause } : {}),
  };
}
