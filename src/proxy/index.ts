/**
 * The CORS proxy's public face: the core (`createProxyHandler`, a web-standard fetch
 * handler), the URL helpers the registry client uses, and the Node and Vite adapters.
 * Nothing here imports a Node module at load time (the adapters import theirs lazily),
 * so the browser can import `proxiedUrl` from this file. The edge worker is its own
 * entry point: `src/proxy/edge-worker.ts` (default export `{ fetch }`).
 */
export { createProxyHandler, type ProxyHandler } from './create-proxy-handler.ts';
export type { ProxyOptions, FetchLike } from './proxy-options.ts';
export {
  DEFAULT_MAX_BLOB_BYTES,
  DEFAULT_MAX_MANIFEST_BYTES,
  DEFAULT_MAX_REDIRECTS,
  DEFAULT_HEADERS_TIMEOUT_MS,
} from './proxy-options.ts';
export { proxyOptionsFromEnv, relayOptionsFromEnv } from './proxy-options-from-env.ts';
export {
  RELAY_PATH,
  DEFAULT_RELAY_PORTS,
  DEFAULT_RELAY_MAX_STREAMS,
  DEFAULT_RELAY_MAX_BYTES,
  type RelayOptions,
} from './relay-options.ts';
// The relay itself (wisp-relay.ts) loads ws and node:net: the adapters import it lazily.
export type { WispRelay } from './wisp-relay.ts';
export { proxiedUrl, parseProxiedPath, upstreamUrlOf, type ProxiedTarget } from '../shared/proxied-url.ts';
export { DEFAULT_ALLOWED_HOSTS, parseHostPort, type HostPort } from './host-policy.ts';
export { DEFAULT_RATE_LIMIT, type RateLimit } from './rate-limiter.ts';
export { EXPOSED_HEADERS, type AllowedOrigins } from './cors.ts';
export { isPrivateAddress } from './ip-address.ts';
export { startProxyServer, resolveWithDns, type ProxyServer, type ProxyServerOptions } from './node-server.ts';
export { tabdockProxy, type TabdockProxyPluginOptions } from './vite-plugin.ts';
