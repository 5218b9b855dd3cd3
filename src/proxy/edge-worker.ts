import { createProxyHandler, type ProxyHandler } from './create-proxy-handler.ts';
import { proxyOptionsFromEnv } from './proxy-options-from-env.ts';

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
    handler = createProxyHandler(proxyOptionsFromEnv(strings));
    handlers.set(env, handler);
  }
  return handler;
}

export default {
  fetch(request: Request, env: Env = {}): Promise<Response> {
    // The edge sets CF-Connecting-IP itself; a client cannot forge it there.
    const ip = request.headers.get('cf-connecting-ip') ?? 'unknown';
    return handlerFor(env ?? {})(request, { ip });
  },
};
