/**
 * The page's side of port preview (src/engine/browser/preview-protocol.ts): registers the
 * preview Service Worker and answers it. `has` says whether this tab runs a container;
 * `serve` takes one request and the MessagePort to answer on (in the playground: handed on
 * to the engine worker, which opens the container's port).
 */
import { PREVIEW_PATH, PREVIEW_SW_FILE, type PreviewRequest } from '../engine/browser/preview-protocol.ts';

export interface PreviewServer {
  has(container12: string): Promise<boolean>;
  serve(request: PreviewRequest, port: MessagePort): void | Promise<void>;
}

/** `<root>__tabdock/preview/<container12>/<port>/`: where a published port is opened in the page. */
export function previewUrl(root: URL, container: string, port: number): string {
  return new URL(`${PREVIEW_PATH}${container.slice(0, 12)}/${port}/`, root).href;
}

/**
 * Register the worker (scope `<root>__tabdock/preview/`) and answer its messages. Resolves
 * true when it is active, false where Service Workers are unavailable (an insecure origin,
 * a private window that disables them): previews cannot open there.
 */
export async function installPreviewBridge(server: PreviewServer, root: URL): Promise<boolean> {
  if (!('serviceWorker' in navigator)) return false;
  const sw = navigator.serviceWorker;
  sw.addEventListener('message', (e: MessageEvent) => {
    const m = e.data as { type?: string; container?: string; request?: PreviewRequest };
    const port = e.ports[0];
    if (!port) return;
    if (m.type === 'tabdock-preview-has' && m.container) {
      void server.has(m.container).then(
        (yes) => port.postMessage(yes),
        () => port.postMessage(false),
      );
    } else if (m.type === 'tabdock-preview-request' && m.request) {
      void Promise.resolve(server.serve(m.request, port)).catch((err: unknown) => {
        port.postMessage({ t: 'error', status: 502, message: String((err as Error)?.message ?? err) });
      });
    }
  });
  sw.startMessages();
  let reg: ServiceWorkerRegistration;
  try {
    reg = await sw.register(new URL(PREVIEW_SW_FILE, root), { scope: new URL(PREVIEW_PATH, root).pathname });
  } catch {
    return false;
  }
  const worker = reg.installing ?? reg.waiting ?? reg.active;
  if (!worker) return false;
  return new Promise<boolean>((resolve) => {
    const check = () => {
      if (worker.state === 'activated') resolve(true);
      else if (worker.state === 'redundant') resolve(false); // its install failed
    };
    worker.addEventListener('statechange', check);
    check();
  });
}
