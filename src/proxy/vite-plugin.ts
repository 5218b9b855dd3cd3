import type { Plugin } from 'vite';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { createProxyHandler } from './create-proxy-handler.ts';
import { handleNodeRequest } from './node-bridge.ts';
import { resolveWithDns } from './node-server.ts';
import { proxyOptionsFromEnv, relayOptionsFromEnv } from './proxy-options-from-env.ts';
import type { ProxyOptions } from './proxy-options.ts';
import type { RelayOptions } from './relay-options.ts';

export interface TabdockProxyPluginOptions extends ProxyOptions {
  /** Environment read for defaults (`TABDOCK_PROXY_ALLOW`, ...); default `process.env`. */
  env?: Readonly<Record<string, string | undefined>>;
  /** The Wisp relay at `/wisp/`; default from the environment (`TABDOCK_RELAY_*`), `false`: none. */
  relay?: RelayOptions | false;
}

type Middleware = (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => void;

/**
 * Mounts the proxy in the Vite dev and preview servers at `basePath` (default `/proxy`),
 * so `npm run dev` serves the playground and its proxy from one origin. Options given here
 * win over the environment.
 */
export function tabdockProxy(options: TabdockProxyPluginOptions = {}): Plugin {
  const { env = process.env, relay: givenRelay, ...given } = options;
  const basePath = (given.basePath ?? proxyOptionsFromEnv(env).basePath ?? '/proxy').replace(/\/+$/, '');
  const handler = createProxyHandler({ resolveHost: resolveWithDns, ...proxyOptionsFromEnv(env), ...given, basePath });
  const middleware: Middleware = (req, res, next) => {
    const path = req.url ?? '/';
    if (path !== basePath && !path.startsWith(basePath + '/')) return next();
    void handleNodeRequest(handler, req, res);
  };
  const relayOptions = givenRelay ?? relayOptionsFromEnv(env);
  // The relay on the dev/preview server's own HTTP server: Vite's HMR socket answers only
  // its own subprotocol, so upgrades for /wisp/ are ours and the rest are left alone.
  const mountRelay = async (http: import('node:http').Server | import('node:http2').Http2SecureServer | null) => {
    if (relayOptions === false || !http) return;
    const { createWispRelay } = await import('./wisp-relay.ts');
    const relay = createWispRelay({ allowedOrigins: given.allowedOrigins ?? proxyOptionsFromEnv(env).allowedOrigins, log: given.log, ...relayOptions });
    http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => void relay.handleUpgrade(req, socket, head));
    http.on('close', () => relay.close());
  };
  // Registered on the server itself (not via `use(basePath, ...)`), so req.url keeps the
  // mount path and the handler sees the same URLs in every adapter.
  return {
    name: 'tabdock-proxy',
    async configureServer(server) {
      server.middlewares.use(middleware);
      await mountRelay(server.httpServer);
    },
    async configurePreviewServer(server) {
      server.middlewares.use(middleware);
      await mountRelay(server.httpServer);
    },
  };
}
