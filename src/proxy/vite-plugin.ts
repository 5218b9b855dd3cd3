import type { Plugin } from 'vite';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createProxyHandler } from './create-proxy-handler.ts';
import { handleNodeRequest } from './node-bridge.ts';
import { resolveWithDns } from './node-server.ts';
import { proxyOptionsFromEnv } from './proxy-options-from-env.ts';
import type { ProxyOptions } from './proxy-options.ts';

export interface TabdockProxyPluginOptions extends ProxyOptions {
  /** Environment read for defaults (`TABDOCK_PROXY_ALLOW`, ...); default `process.env`. */
  env?: Readonly<Record<string, string | undefined>>;
}

type Middleware = (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => void;

/**
 * Mounts the proxy in the Vite dev and preview servers at `basePath` (default `/proxy`),
 * so `npm run dev` serves the playground and its proxy from one origin. Options given here
 * win over the environment.
 */
export function tabdockProxy(options: TabdockProxyPluginOptions = {}): Plugin {
  const { env = process.env, ...given } = options;
  const basePath = (given.basePath ?? proxyOptionsFromEnv(env).basePath ?? '/proxy').replace(/\/+$/, '');
  const handler = createProxyHandler({ resolveHost: resolveWithDns, ...proxyOptionsFromEnv(env), ...given, basePath });
  const middleware: Middleware = (req, res, next) => {
    const path = req.url ?? '/';
    if (path !== basePath && !path.startsWith(basePath + '/')) return next();
    void handleNodeRequest(handler, req, res);
  };
  // Registered on the server itself (not via `use(basePath, ...)`), so req.url keeps the
  // mount path and the handler sees the same URLs in every adapter.
  return {
    name: 'tabdock-proxy',
    configureServer(server) {
      server.middlewares.use(middleware);
    },
    configurePreviewServer(server) {
      server.middlewares.use(middleware);
    },
  };
}
