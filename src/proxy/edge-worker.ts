import { createProxyHandler, type ProxyHandler } from './create-proxy-handler.ts';
import { dohResolver } from './doh-resolver.ts';
import { proxyOptionsFromEnv } from './proxy-options-from-env.ts';

/** Cloudflare's own DNS-over-HTTPS endpoint (JSON). */
export const DEFAULT_DOH = 'https://cloudflare-dns.com/dns-query';

/**
 * The proxy as a Cloudflare-style module worker. Options come from the worker's
 * variables (same names as the Node server's environment). One handler per `env` object,
 * so the rate limiter's buckets live as long as the isolate does; on a multi-isolate edge
 * the limit is therefore per isolate, a best-effort bound.
 */
type Env = Readonly<Record<string, unknown>>;

const handlers = new WeakMap<Env, ProxyHandler>();

function handlerFor(env: Env): ProxyHandler {
  let handler = handlers.get(env);
  if (!handler) {
    const strings: Record<string, string | undefined> = {};
    for (const [k, v] of Object.entries(env)) if (typeof v === 'string') strings[k] = v;
    // The edge has no resolver: names are resolved over DNS-over-HTTPS and their answers
    // checked as in Node (TABDOCK_EDGE_DOH: the endpoint, or `off`).
    const doh = strings['TABDOCK_EDGE_DOH'] ?? DEFAULT_DOH;
    handler = createProxyHandler({ ...proxyOptionsFromEnv(strings), ...(doh === 'off' ? {} : { resolveHost: dohResolver({ url: doh }) }) });
    handlers.set(env, handler);
  }
  return handler;
}

/**
 * What `/wisp/` answers here. The relay needs outbound TCP to arbitrary hosts, its own DNS
 * answer to check before connecting, and a WebSocket held per page for as long as the
 * page runs; a module worker has none of these as wisp-js needs them (it is built on
 * node:net and node:dns). So the edge serves the CORS proxy only, and says so.
 */
export const EDGE_RELAY_MESSAGE =
  'This edge deployment serves the CORS proxy only, not the network relay: run `tabdock proxy` on a machine (it serves the relay at /wisp/) and name it in the page with <meta name="tabdock-relay" content="wss://HOST/wisp/">.';

export default {
  fetch(request: Request, env: Env = {}): Promise<Response> {
    if (/\/wisp\/?$/.test(new URL(request.url).pathname)) {
      return Promise.resolve(new Response(EDGE_RELAY_MESSAGE + '\n', { status: 501, headers: { 'content-type': 'text/plain; charset=utf-8', 'access-control-allow-origin': '*', 'x-content-type-options': 'nosniff' } }));
    }
    // The edge sets CF-Connecting-IP itself; a client cannot forge it there.
    const ip = request.headers.get('cf-connecting-ip') ?? 'unknown';
    return handlerFor(env ?? {})(request, { ip });
  },
};
