/**
 * The preview Service Worker, served from the site root as `preview-sw.js` (built by
 * vite-preview-sw.ts) and registered with scope `<root>/__tabdock/preview/`. It turns a
 * request for `.../__tabdock/preview/<container12>/<port>/<path>` into a message to the
 * tab that runs the container (preview-protocol.ts), and the answer back into a Response.
 * A previewed page's requests for absolute paths (`/app.js`) come here too (the SW
 * controls that page): they go to the same container and port.
 *
 * Self-contained (type imports only): it is served as one classic script.
 */
import type { PortLike, PreviewRequest, ToHost, ToSw } from './preview-protocol.ts';

// The ServiceWorkerGlobalScope parts used here (this folder compiles without the DOM lib).
interface SwClient {
  id: string;
  url: string;
  postMessage(message: unknown, transfer: unknown[]): void;
}
interface FetchEventLike {
  request: Request;
  clientId: string;
  resultingClientId?: string;
  respondWith(r: Promise<Response>): void;
  waitUntil(p: Promise<unknown>): void;
}
declare const self: {
  registration: { scope: string };
  location: { origin: string };
  clients: { get(id: string): Promise<SwClient | undefined>; matchAll(o: { type: 'window'; includeUncontrolled: boolean }): Promise<SwClient[]>; claim(): Promise<void> };
  skipWaiting(): Promise<void>;
  addEventListener(type: 'install' | 'activate', l: (e: { waitUntil(p: Promise<unknown>): void }) => void): void;
  addEventListener(type: 'fetch', l: (e: FetchEventLike) => void): void;
};

const WINDOW_HIGH = 4;
/** container12 -> the window client that said it runs it. */
const hosts = new Map<string, string>();

self.addEventListener('install', (e) => e.waitUntil(self.skipWaiting()));
self.addEventListener('activate', (e) => e.waitUntil(self.clients.claim()));

const scope = () => new URL(self.registration.scope);

interface Target {
  container: string;
  port: number;
  /** `/path?query` inside the container. */
  rest: string;
}

function parse(url: URL): Target | undefined {
  const base = scope().pathname;
  if (!url.pathname.startsWith(base)) return undefined;
  const m = /^([0-9a-f]{12})\/(\d{1,5})(\/.*)?$/.exec(url.pathname.slice(base.length));
  if (!m) return undefined;
  const port = Number(m[2]);
  if (port < 1 || port > 65535) return undefined;
  return { container: m[1]!, port, rest: (m[3] ?? '/') + url.search };
}

self.addEventListener('fetch', (e) => {
  const url = new URL(e.request.url);
  if (url.origin !== self.location.origin) return;
  const direct = parse(url);
  if (direct) return e.respondWith(serve(e.request, direct));
  // An absolute path asked for by a previewed page: same container and port.
  e.respondWith(
    (async () => {
      const client = e.clientId ? await self.clients.get(e.clientId) : undefined;
      const from = client ? parse(new URL(client.url)) : undefined;
      if (!from) return fetch(e.request);
      return serve(e.request, { ...from, rest: url.pathname + url.search });
    })(),
  );
});

function plain(status: number, message: string): Response {
  return new Response(message + '\n', { status, headers: { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff' } });
}

async function ask(client: SwClient, container: string): Promise<boolean> {
  const ch = new MessageChannel();
  const port1 = ch.port1 as unknown as PortLike;
  const answer = new Promise<boolean>((resolve) => {
    port1.onmessage = (m) => resolve(m.data === true);
    setTimeout(() => resolve(false), 5000);
  });
  client.postMessage({ type: 'tabdock-preview-has', container }, [ch.port2]);
  const r = await answer;
  port1.close();
  return r;
}

async function hostFor(container: string): Promise<SwClient | undefined> {
  const known = hosts.get(container);
  const c = known ? await self.clients.get(known) : undefined;
  if (c) return c;
  const prefix = self.registration.scope;
  const windows = (await self.clients.matchAll({ type: 'window', includeUncontrolled: true })).filter((w) => !w.url.startsWith(prefix));
  const answers = await Promise.all(windows.map((w) => ask(w, container)));
  const found = windows[answers.indexOf(true)];
  if (found) hosts.set(container, found.id);
  return found;
}

async function serve(request: Request, t: Target): Promise<Response> {
  const host = await hostFor(t.container);
  if (!host) return plain(502, `No open tab of this site runs container ${t.container}; the preview is served by the tab that started it.`);
  const headers: [string, string][] = [];
  request.headers.forEach((v, k) => {
    if (k !== 'accept-encoding' && k !== 'host') headers.push([k, v]);
  });
  // The browser does not undo a content coding on a Response made here: ask for none.
  headers.push(['Host', `localhost:${t.port}`], ['Accept-Encoding', 'identity']);
  const hasBody = request.method !== 'GET' && request.method !== 'HEAD';
  const req: PreviewRequest = { container: t.container, port: t.port, method: request.method, target: t.rest, headers, hasBody };
  const ch = new MessageChannel();
  const port = ch.port1 as unknown as PortLike;
  const send = (m: ToHost, transfer: ArrayBuffer[] = []) => port.postMessage(m, transfer);
  host.postMessage({ type: 'tabdock-preview-request', request: req }, [ch.port2]);
  if (hasBody) void pumpBody(request, send);

  return new Promise<Response>((resolve) => {
    let controller: ReadableStreamDefaultController<Uint8Array> | undefined;
    let owed = 0;
    port.onmessage = (e) => {
      const m = e.data as ToSw;
      if (m.t === 'head') {
        if (m.status < 200 || m.status > 599) return resolve(plain(502, `container ${t.container} port ${t.port} answered status ${m.status}, which a page cannot be given`));
        const h = new Headers();
        for (const [k, v] of m.headers) {
          try {
            h.append(k, v);
          } catch {
            // a header a Response cannot carry
          }
        }
        const location = h.get('location');
        if (location) h.set('location', rewriteLocation(location, t));
        const nullBody = m.status === 204 || m.status === 205 || m.status === 304 || request.method === 'HEAD';
        let body: ReadableStream<Uint8Array> | null = nullBody
          ? null
          : new ReadableStream<Uint8Array>(
              {
                start: (c) => void (controller = c),
                pull: () => {
                  for (; owed > 0; owed--) send({ t: 'ack' });
                },
                cancel: () => send({ t: 'abort' }),
              },
              { highWaterMark: WINDOW_HIGH },
            );
        const coding = h.get('content-encoding')?.toLowerCase();
        if (body && (coding === 'gzip' || coding === 'deflate')) {
          body = body.pipeThrough(new DecompressionStream(coding) as unknown as { readable: ReadableStream<Uint8Array>; writable: WritableStream<Uint8Array> });
          h.delete('content-encoding');
          h.delete('content-length');
        }
        resolve(new Response(body, { status: m.status, statusText: m.statusText, headers: h }));
      } else if (m.t === 'data') {
        controller?.enqueue(m.chunk);
        if (controller && (controller.desiredSize ?? 0) > 0) send({ t: 'ack' });
        else owed++;
      } else if (m.t === 'end') {
        controller?.close();
        port.close();
      } else if (m.t === 'error') {
        if (controller) controller.error(new Error(m.message));
        else resolve(plain(m.status, m.message));
        port.close();
      }
    };
  });
}

async function pumpBody(request: Request, send: (m: ToHost, transfer?: ArrayBuffer[]) => void): Promise<void> {
  if (request.body) {
    const r = request.body.getReader();
    for (;;) {
      const { done, value } = await r.read();
      if (done) break;
      const copy = value.slice();
      send({ t: 'body', chunk: copy }, [copy.buffer]);
    }
  } else {
    const all = new Uint8Array(await request.arrayBuffer());
    send({ t: 'body', chunk: all }, [all.buffer]);
  }
  send({ t: 'body-end' });
}

/** A redirect to the container itself stays inside the preview. */
function rewriteLocation(location: string, t: Target): string {
  let u: URL;
  try {
    u = new URL(location, `http://localhost:${t.port}${t.rest}`);
  } catch {
    return location;
  }
  const local = (u.hostname === 'localhost' || u.hostname === '127.0.0.1') && (u.port === String(t.port) || (u.port === '' && t.port === 80));
  if (!local) return location;
  return `${scope().href}${t.container}/${t.port}${u.pathname}${u.search}${u.hash}`;
}
