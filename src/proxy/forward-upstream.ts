import type { HostPolicy, HostPort } from './host-policy.ts';
import { parseHostPort } from './host-policy.ts';
import { isIpLiteral } from './ip-address.ts';
import type { FetchLike } from './proxy-options.ts';
import type { ProxyFailure } from '../shared/proxy-failure.ts';

/**
 * One upstream exchange, redirects followed here on the server side (the browser never
 * sees a 3xx it would follow without us). Each hop must pass the host policy again, and
 * `Authorization` goes only to the host the client addressed: blob CDNs get signed URLs,
 * never the registry's token (DESIGN.md, security model).
 */

export interface ForwardContext {
  policy: HostPolicy;
  fetch: FetchLike;
  maxRedirects: number;
  headersTimeoutMs: number;
  resolveHost: ((hostname: string) => Promise<readonly string[]>) | undefined;
}

export type ForwardResult =
  | { ok: true; response: Response; url: URL }
  | { ok: false; status: number; code: 'DENIED' | 'UNAVAILABLE'; message: string; failure: ProxyFailure };

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

export async function forwardUpstream(
  ctx: ForwardContext,
  addressed: HostPort,
  firstUrl: URL,
  exactlyConfigured: boolean,
  method: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH',
  headers: Headers,
  signal: AbortSignal | undefined,
  body?: ReadableStream<Uint8Array>,
): Promise<ForwardResult> {
  let url = firstUrl;
  let host = addressed;
  let exact = exactlyConfigured;
  for (let hop = 0; ; hop++) {
    const refused = await refuseByAddress(ctx, host, exact);
    // A name that does not resolve is a registry out of reach, not a refusal (the page's
    // headline says "Registry unreachable", not "Access denied").
    if (refused?.unresolved) return { ok: false, status: 502, code: 'UNAVAILABLE', message: refused.message, failure: { reason: 'UPSTREAM_UNREACHABLE', host: host.key, cause: refused.unresolved } };
    if (refused) return { ok: false, status: hop === 0 ? 403 : 502, code: 'DENIED', message: refused.message, failure: { reason: 'REFUSED', host: host.key } };

    const hopHeaders = new Headers(headers);
    if (host.key !== addressed.key) hopHeaders.delete('authorization');
    let response: Response;
    try {
      response = await fetchWithHeadersTimeout(ctx, url, method, hopHeaders, signal, body);
    } catch (e) {
      const cause = describe(e);
      return { ok: false, status: 502, code: 'UNAVAILABLE', message: `cannot reach ${host.key}: ${cause}`, failure: { reason: 'UPSTREAM_UNREACHABLE', host: host.key, cause } };
    }

    const location = response.headers.get('location');
    // A push is never redirected: its body was streamed once (the client sees the 3xx).
    if (!REDIRECTS.has(response.status) || location === null || body) return { ok: true, response, url };
    await response.body?.cancel().catch(() => {});
    if (hop >= ctx.maxRedirects) {
      return { ok: false, status: 502, code: 'UNAVAILABLE', message: `more than ${ctx.maxRedirects} redirects from ${addressed.key}`, failure: { reason: 'REFUSED', host: addressed.key } };
    }

    let next: URL;
    try {
      next = new URL(location, url);
    } catch {
      return { ok: false, status: 502, code: 'DENIED', message: `${host.key} redirected to an invalid URL`, failure: { reason: 'REFUSED', host: host.key } };
    }
    const nextHost = next.username || next.password ? undefined : parseHostPort(next.host);
    if (!nextHost) {
      return { ok: false, status: 502, code: 'DENIED', message: `${host.key} redirected to a URL the proxy will not follow`, failure: { reason: 'REFUSED', host: host.key } };
    }
    const verdict = ctx.policy.check(nextHost, next.protocol);
    if (!verdict.ok) {
      return { ok: false, status: 502, code: 'DENIED', message: `${host.key} redirected to ${nextHost.key}, refused: ${verdict.reason}`, failure: { reason: 'REFUSED', host: host.key } };
    }
    url = next;
    host = nextHost;
    exact = verdict.exactlyConfigured;
  }
}

/** Names that resolve to private addresses are as forbidden as private literals. */
async function refuseByAddress(ctx: ForwardContext, host: HostPort, exact: boolean): Promise<{ message: string; unresolved?: string } | undefined> {
  if (!ctx.resolveHost || exact || isIpLiteral(host.hostname)) return undefined;
  let addresses: readonly string[];
  try {
    addresses = await ctx.resolveHost(host.hostname);
  } catch (e) {
    const cause = `cannot resolve ${host.hostname}: ${describe(e)}`;
    return { message: `cannot reach ${host.key}: ${cause}`, unresolved: cause };
  }
  if (ctx.policy.addressesAllowed(addresses, exact)) return undefined;
  return { message: `host ${host.key} resolves to a private address; only an exact allow-list entry permits that` };
}

/**
 * A timer on the response headers only: a multi-gigabyte blob may take long to stream,
 * but an upstream that never answers should not hold a connection forever.
 */
async function fetchWithHeadersTimeout(
  ctx: ForwardContext,
  url: URL,
  method: string,
  headers: Headers,
  signal: AbortSignal | undefined,
  body?: ReadableStream<Uint8Array>,
): Promise<Response> {
  const controller = new AbortController();
  const onAbort = () => controller.abort(signal?.reason);
  if (signal?.aborted) onAbort();
  signal?.addEventListener('abort', onAbort, { once: true });
  const timer = setTimeout(
    () => controller.abort(new Error(`no response within ${ctx.headersTimeoutMs} ms`)),
    ctx.headersTimeoutMs,
  );
  try {
    // `duplex: 'half'`: fetch's condition for a streamed request body (Node, workers).
    const upload = body ? ({ body: body as unknown as NonNullable<RequestInit['body']>, duplex: 'half' } as RequestInit) : {};
    return await ctx.fetch(url.href, { method, headers, redirect: 'manual', signal: controller.signal, ...upload });
  } finally {
    clearTimeout(timer);
  }
}

function describe(e: unknown): string {
  if (e instanceof Error) {
    const cause = (e as { cause?: unknown }).cause;
    return cause instanceof Error ? `${e.message} (${cause.message})` : e.message;
  }
  return String(e);
}
