/**
 * Port preview (issue 14, "Published ports"): what the Service Worker (preview-sw.ts), the
 * page (src/ui/preview-bridge.ts) and the engine worker (preview-host.ts) say to each other.
 *
 * URL: `<site root>/__tabdock/preview/<container id, 12 hex>/<container port>/<path>`.
 * The SW asks every window of the site `{ type: 'tabdock-preview-has', container }` (answer
 * on the given port: true/false) and sends the request to the first that runs it:
 * `{ type: 'tabdock-preview-request', request }` with a MessagePort; the page hands that port
 * to its worker, which answers on it. On the port:
 *   SW -> worker: body chunks, body-end, ack (one per response chunk taken), abort
 *   worker -> SW: head, data chunks (at most PREVIEW_WINDOW unacknowledged), end, or error
 */
export const PREVIEW_PATH = '__tabdock/preview/';
export const PREVIEW_SW_FILE = 'preview-sw.js';
export const PREVIEW_WINDOW = 8;

export interface PreviewRequest {
  container: string;
  port: number;
  method: string;
  /** `/path?query` inside the container's server. */
  target: string;
  headers: [string, string][];
  hasBody: boolean;
}

export type ToHost = { t: 'body'; chunk: Uint8Array } | { t: 'body-end' } | { t: 'ack' } | { t: 'abort' };
export type ToSw =
  | { t: 'head'; status: number; statusText: string; headers: [string, string][] }
  | { t: 'data'; chunk: Uint8Array }
  | { t: 'end' }
  | { t: 'error'; status: number; message: string };

/** The MessagePort this code needs (the worker compiles without the DOM lib). */
export interface PortLike {
  postMessage(message: unknown, transfer?: ArrayBuffer[]): void;
  onmessage: ((event: { data: unknown }) => void) | null;
  close(): void;
}

export const WEBSOCKET_SENTENCE =
  'WebSocket connections from a previewed page cannot pass the Service Worker that serves the preview, so they are not forwarded to the container; open the port from Node (`tabdock run -p`) for WebSockets.';
