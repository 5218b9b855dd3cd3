import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * Real loopback servers for the proxy tests (no test reaches the internet): a "registry"
 * serving /v2/ routes and redirects, and a "CDN" on another port that records what it
 * was sent. Ports differ, so they are different hosts to the proxy (host:port identity).
 */

export interface Loopback {
  host: string; // 127.0.0.1:PORT
  url: string; // http://127.0.0.1:PORT
  seen: { method: string; url: string; headers: IncomingHttpHeaders }[];
  close(): Promise<void>;
}

type Route = (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => void;

export async function startLoopback(route: Route): Promise<Loopback> {
  const seen: Loopback['seen'] = [];
  const server: Server = createServer((req, res) => {
    seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    route(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    host: `127.0.0.1:${port}`,
    url: `http://127.0.0.1:${port}`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** Settles when the upstream side of the endless blob has been closed. */
export const endlessClosed = (() => {
  let resolve: () => void = () => {};
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve: () => resolve() };
})();

export const MANIFEST = JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json' });
export const CDN_BYTES = 'layer bytes from the cdn';

/** A /v2/ registry whose blob routes exercise streaming, redirects and size bounds. */
export function registryRoutes(cdnUrl: () => string, release: Promise<void>): Route {
  return (req, res) => {
    const url = req.url ?? '/';
    if (url === '/v2/' || url === '/v2') {
      res.writeHead(200, {
        'Docker-Distribution-API-Version': 'registry/2.0',
        'Set-Cookie': 'session=upstream',
        'Strict-Transport-Security': 'max-age=1',
        'Content-Type': 'application/json',
      });
      res.end('{}');
    } else if (url === '/v2/library/alpine/manifests/latest') {
      res.writeHead(200, {
        'Content-Type': 'application/vnd.oci.image.manifest.v1+json',
        'Docker-Content-Digest': 'sha256:' + 'a'.repeat(64),
        'ratelimit-limit': '100;w=21600',
        'ratelimit-remaining': '99;w=21600',
        'Content-Length': String(MANIFEST.length),
      });
      res.end(req.method === 'HEAD' ? undefined : MANIFEST);
    } else if (url === '/v2/library/alpine/blobs/sha256:stream') {
      // First chunk now, the rest only once the test has seen the first: proves streaming.
      res.writeHead(200, { 'Content-Type': 'application/octet-stream' });
      res.write('first-chunk;');
      void release.then(() => res.end('rest'));
    } else if (url === '/v2/library/alpine/blobs/sha256:cdn') {
      res.writeHead(307, { Location: `${cdnUrl()}/blob?sig=abc` });
      res.end();
    } else if (url === '/v2/library/alpine/blobs/sha256:evil') {
      res.writeHead(307, { Location: 'https://evil.example/steal' });
      res.end();
    } else if (url === '/v2/library/alpine/blobs/sha256:loop') {
      res.writeHead(302, { Location: '/v2/library/alpine/blobs/sha256:loop' });
      res.end();
    } else if (url.startsWith('/v2/page/')) {
      // A hostile answer through an allowed host: a page, an SVG that scripts, no type at all.
      const kind = url.slice('/v2/page/'.length);
      const body = kind === 'svg' ? '<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>' : '<script>alert(1)</script>';
      res.writeHead(200, kind === 'html' ? { 'Content-Type': 'text/html; charset=utf-8' } : kind === 'svg' ? { 'Content-Type': 'image/svg+xml' } : {});
      res.end(body);
    } else if (url === '/v2/library/alpine/blobs/sha256:declared-big') {
      res.writeHead(200, { 'Content-Length': '5000' });
      res.end('x'.repeat(5000));
    } else if (url === '/v2/library/alpine/blobs/sha256:chunked-big') {
      res.writeHead(200, { 'Content-Type': 'application/octet-stream' }); // no length: chunked
      for (let i = 0; i < 10; i++) res.write('y'.repeat(500));
      res.end();
    } else if (url === '/v2/library/alpine/blobs/sha256:endless') {
      // Never ends on its own: only a client that goes away (through the proxy) stops it.
      res.writeHead(200, { 'Content-Type': 'application/octet-stream' });
      const timer = setInterval(() => res.write('z'.repeat(64)), 5);
      res.on('close', () => {
        clearInterval(timer);
        endlessClosed.resolve();
      });
    } else if (url.startsWith('/token')) {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ token: 't0k3n' }));
    } else {
      res.writeHead(404, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ errors: [{ code: 'NAME_UNKNOWN', message: 'no such thing' }] }));
    }
  };
}

export const cdnRoute: Route = (_req, res) => {
  res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': String(CDN_BYTES.length) });
  res.end(CDN_BYTES);
};
