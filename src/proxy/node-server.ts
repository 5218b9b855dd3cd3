import type { AddressInfo } from 'node:net';
import { createProxyHandler } from './create-proxy-handler.ts';
import { handleNodeRequest } from './node-bridge.ts';
import type { ProxyOptions } from './proxy-options.ts';
import type { RelayOptions } from './relay-options.ts';

export interface ProxyServerOptions extends ProxyOptions {
  /** 0 picks a free port. */
  port: number;
  /** Listen address (default 127.0.0.1: a public proxy is an explicit choice). */
  host?: string;
  /** The Wisp relay at `/wisp/` (default: on, with the default policy); `false`: none. */
  relay?: RelayOptions | false;
}

export interface ProxyServer {
  /** `http://host:port`, the proxy base the registry client is given. */
  url: string;
  port: number;
  close(): Promise<void>;
}

/*
 * Node modules are imported lazily, inside the functions: `index.ts` re-exports this file,
 * and the registry client imports `proxiedUrl` from `index.ts` in the browser, where a
 * static `node:http` import would break the bundle.
 */

/** Addresses of a name, as the operating system resolver sees them (what fetch will use). */
export async function resolveWithDns(hostname: string): Promise<string[]> {
  const { lookup } = await import('node:dns/promises');
  const found = await lookup(hostname, { all: true, verbatim: true });
  return found.map((a) => a.address);
}

/** The proxy as a Node HTTP server (`npx tabdock proxy --port N`). */
export async function startProxyServer(options: ProxyServerOptions): Promise<ProxyServer> {
  const { port, host = '127.0.0.1', relay: relayOptions = {}, ...rest } = options;
  const { createServer } = await import('node:http');
  const handler = createProxyHandler({ resolveHost: resolveWithDns, ...rest });
  const server = createServer((req, res) => {
    void handleNodeRequest(handler, req, res);
  });
  // The relay answers WebSocket upgrades at /wisp/; any other upgrade is refused.
  const relay = relayOptions === false ? undefined : (await import('./wisp-relay.ts')).createWispRelay({ allowedOrigins: rest.allowedOrigins, log: rest.log, ...relayOptions });
  server.on('upgrade', (req, socket, head) => {
    if (relay?.handleUpgrade(req, socket, head)) return;
    socket.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const actual = (server.address() as AddressInfo).port;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shownHost}:${actual}`,
    port: actual,
    close: () =>
      new Promise<void>((resolve, reject) => {
        relay?.close();
        server.close((e) => (e ? reject(e) : resolve()));
        server.closeAllConnections();
      }),
  };
}
