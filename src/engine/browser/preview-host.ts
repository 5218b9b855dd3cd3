import { httpOverSocket, type ByteSocket } from './http-over-socket.ts';
import { PREVIEW_WINDOW, WEBSOCKET_SENTENCE, type PortLike, type PreviewRequest, type ToHost, type ToSw } from './preview-protocol.ts';

/**
 * The engine worker's side of a preview request: open the container's port (the engine
 * wires `open` to `agent.connect(containerIp, port)`), speak HTTP/1.1 over it, and stream
 * the answer back on `port` with a window of PREVIEW_WINDOW chunks (the SW acknowledges
 * each one its reader takes, so a slow iframe slows the container, not memory).
 */
export async function servePreview(req: PreviewRequest, port: PortLike, open: (container: string, port: number) => Promise<ByteSocket>): Promise<void> {
  const send = (m: ToSw, transfer?: ArrayBuffer[]) => port.postMessage(m, transfer);
  let inFlight = 0;
  let wake: (() => void) | undefined;
  let aborted = false;
  let socket: ByteSocket | undefined;
  let bodyController: ReadableStreamDefaultController<Uint8Array> | undefined;
  const body = req.hasBody ? new ReadableStream<Uint8Array>({ start: (c) => void (bodyController = c) }) : null;
  port.onmessage = (e) => {
    const m = e.data as ToHost;
    if (m.t === 'body') bodyController?.enqueue(m.chunk);
    else if (m.t === 'body-end') bodyController?.close();
    else if (m.t === 'ack') {
      inFlight--;
      wake?.();
    } else if (m.t === 'abort') {
      aborted = true;
      socket?.close();
      wake?.();
    }
  };
  const fail = (status: number, message: string) => {
    send({ t: 'error', status, message });
    port.close();
  };
  if (req.headers.some(([k, v]) => k.toLowerCase() === 'upgrade' && v)) return fail(501, WEBSOCKET_SENTENCE);
  const where = `container ${req.container} port ${req.port}`;
  try {
    socket = await open(req.container, req.port);
  } catch (e) {
    return fail(502, `${where}: ${(e as Error).message ?? String(e)}`);
  }
  let res;
  try {
    res = await httpOverSocket(socket, { method: req.method, target: req.target, headers: req.headers, body });
  } catch (e) {
    socket.close();
    return fail(502, `${where} did not answer over HTTP: ${(e as Error).message}`);
  }
  send({ t: 'head', status: res.status, statusText: res.statusText, headers: res.headers });
  if (res.body) {
    const reader = res.body.getReader();
    try {
      for (;;) {
        while (inFlight >= PREVIEW_WINDOW && !aborted) await new Promise<void>((r) => (wake = r));
        if (aborted) {
          await reader.cancel();
          break;
        }
        const { done, value } = await reader.read();
        if (done) break;
        inFlight++;
        const chunk = value.byteOffset === 0 && value.byteLength === value.buffer.byteLength ? value : value.slice();
        send({ t: 'data', chunk }, [chunk.buffer as ArrayBuffer]);
      }
    } catch (e) {
      return fail(502, `${where}: ${(e as Error).message}`);
    }
  }
  if (!aborted) send({ t: 'end' });
  port.close();
}
