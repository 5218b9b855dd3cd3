// Port preview in the page, with the engine's side stood in for: `servePreview` (the
// worker's code) runs here, and its `open(container, port)` is a WebSocket to the test's
// WebSocket-to-TCP hop instead of `agent.connect(containerIp, port)`. Everything else is
// what the playground runs: the Service Worker from the dev server, the page bridge,
// http-over-socket, the port protocol.
import { installPreviewBridge } from '../../src/ui/preview-bridge.ts';
import { servePreview } from '../../src/engine/browser/preview-host.ts';
import type { ByteSocket } from '../../src/engine/browser/http-over-socket.ts';
import type { PortLike } from '../../src/engine/browser/preview-protocol.ts';

const params = new URLSearchParams(location.search);
const hop = params.get('hop')!;
const container = params.get('container')!;

/** A WebSocket carrying one TCP connection (the hop), in the GuestSocket shape. */
function wsSocket(url: string): Promise<ByteSocket> {
  const ws = new WebSocket(url);
  ws.binaryType = 'arraybuffer';
  const data = new Set<(c: Uint8Array) => void>();
  const ends = new Set<() => void>();
  const held: Uint8Array[] = [];
  let paused = false;
  let ended = false;
  // As a GuestSocket: `closed` settles after the held bytes and the end are handed over
  // (or on close()), never while paused bytes wait.
  let settle!: () => void;
  const closed = new Promise<void>((r) => (settle = r));
  const end = () => {
    if (ended || paused || held.length) return;
    ended = true;
    ends.forEach((l) => l());
    settle();
  };
  ws.addEventListener('message', (e) => {
    const c = new Uint8Array(e.data as ArrayBuffer);
    if (paused || held.length) held.push(c);
    else data.forEach((l) => l(c));
  });
  let closedFlag = false;
  ws.addEventListener('close', () => ((closedFlag = true), end()));
  return new Promise((resolve, reject) => {
    ws.addEventListener('error', () => reject(new Error('connection refused')));
    ws.addEventListener('open', () =>
      resolve({
        onData: (l) => (data.add(l), () => void data.delete(l)),
        onEnd: (l) => (ends.add(l), () => void ends.delete(l)),
        closed,
        async write(d) {
          ws.send(d);
          while (ws.bufferedAmount > 1 << 20) await new Promise((r) => setTimeout(r, 5));
        },
        end: () => {},
        close: () => (ws.close(), settle()),
        pause: () => void (paused = true),
        resume() {
          paused = false;
          while (!paused && held.length) {
            const c = held.shift()!;
            data.forEach((l) => l(c));
          }
          if (closedFlag) end();
        },
      }),
    );
  });
}

const ok = await installPreviewBridge(
  {
    has: async (c) => c === container,
    serve: (request, port) => servePreview(request, port as unknown as PortLike, (_c, p) => wsSocket(`${hop}?port=${p}`)),
  },
  new URL('/', location.href),
);
document.title = ok ? 'ready' : 'no service worker';

// The page's network link in this browser, through the dev server's relay at /wisp/:
// `relayGet(dst, port, path)` is one HTTP GET over a Wisp stream (what a container's
// `wget` becomes: page-network.test.ts), timed.
import { WispLink } from '../../src/engine/browser/wisp-link.ts';
import { httpOverSocket } from '../../src/engine/browser/http-over-socket.ts';

const link = new WispLink({ url: new URL('/wisp/', location.href).href.replace(/^http/, 'ws') });
(globalThis as unknown as { relayGet: unknown }).relayGet = async (dst: string, port: number, path: string) => {
  const t0 = performance.now();
  let s;
  try {
    s = await link.connect(dst, port);
  } catch (e) {
    return { error: (e as { code?: string }).code, message: (e as Error).message };
  }
  const closed = s.closed.then(() => {});
  const res = await httpOverSocket({ ...s, closed, close: () => s.destroy() }, { method: 'GET', target: path, headers: [['Host', `localhost:${port}`]] });
  const bytes = new Uint8Array(await new Response(res.body).arrayBuffer());
  const digest = Array.from(new Uint8Array(await crypto.subtle.digest('SHA-256', bytes)), (b) => b.toString(16).padStart(2, '0')).join('');
  return { status: res.status, size: bytes.byteLength, sha: digest, ms: performance.now() - t0, available: link.available };
};
