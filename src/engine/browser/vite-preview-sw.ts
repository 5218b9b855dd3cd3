/**
 * Vite plugin (Node side) for port preview: serves the preview Service Worker at
 * `<root>/preview-sw.js` (a stable path: the page registers it there, with scope
 * `<root>/__tabdock/preview/`), compiled from preview-sw.ts; in `vite build` it is emitted
 * under that same name. WebSocket upgrades to a preview URL cannot reach the Service
 * Worker (browsers send them to the network), so the dev and preview servers answer
 * them 501 with the reason, and the page says it beside the preview.
 */
import { readFile } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { transformWithEsbuild, type Plugin } from 'vite';
import { PREVIEW_PATH, PREVIEW_SW_FILE, WEBSOCKET_SENTENCE } from './preview-protocol.ts';

const SOURCE = fileURLToPath(new URL('./preview-sw.ts', import.meta.url));

export function tabdockPreviewWorker(): Plugin {
  let build = false;
  const refuseUpgrades = (http: { on(e: 'upgrade', l: (req: IncomingMessage, socket: Duplex) => void): unknown } | null) => {
    http?.on('upgrade', (req, socket) => {
      if (!(req.url ?? '').includes(`/${PREVIEW_PATH}`)) return;
      const body = WEBSOCKET_SENTENCE + '\n';
      socket.end(`HTTP/1.1 501 Not Implemented\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
    });
  };
  const middleware = async (req: IncomingMessage, res: import('node:http').ServerResponse, next: () => void) => {
    if ((req.url ?? '').split('?')[0] !== `/${PREVIEW_SW_FILE}`) return next();
    const { code } = await transformWithEsbuild(await readFile(SOURCE, 'utf8'), SOURCE, { loader: 'ts', format: 'esm', target: 'es2022' });
    res.writeHead(200, { 'Content-Type': 'text/javascript; charset=utf-8', 'Cache-Control': 'no-cache' });
    res.end(code);
  };
  return {
    name: 'tabdock-preview-sw',
    configResolved(c) {
      build = c.command === 'build' && !c.build.lib;
    },
    buildStart() {
      if (build) this.emitFile({ type: 'chunk', id: SOURCE, fileName: PREVIEW_SW_FILE });
    },
    configureServer(server) {
      server.middlewares.use((req, res, next) => void middleware(req, res, next).catch(next));
      refuseUpgrades(server.httpServer);
    },
    configurePreviewServer(server) {
      refuseUpgrades(server.httpServer);
    },
  };
}
