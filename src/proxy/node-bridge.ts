import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ProxyHandler } from './create-proxy-handler.ts';
import { refusal } from './refusal.ts';

/**
 * node:http <-> fetch handler, shared by the Node server and the Vite middleware.
 * Request bodies are read only for POST, PUT and PATCH (the handler forwards them only with
 * its push option on; otherwise it refuses them unread); the
 * response body is streamed with backpressure, and a client that goes away aborts the
 * upstream fetch through the request's signal.
 */
export async function handleNodeRequest(handler: ProxyHandler, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const abort = new AbortController();
  res.on('close', () => {
    if (!res.writableFinished) abort.abort(new Error('client went away'));
  });

  let response: Response;
  const rawUrl = req.url ?? '/';
  if (!rawUrl.startsWith('/')) {
    // Absolute-form targets are how clients talk to forward proxies; we are not one.
    response = refusal(400, 'DENIED', 'absolute-form request targets are refused');
  } else {
    const headers = new Headers();
    for (const [name, value] of Object.entries(req.headers)) {
      if (value === undefined || name.startsWith(':')) continue;
      headers.set(name, Array.isArray(value) ? value.join(', ') : value);
    }
    let request: Request | undefined;
    try {
      // The Host header is not trusted for anything; only path and query matter.
      const method = req.method ?? 'GET';
      const withBody = method === 'POST' || method === 'PUT' || method === 'PATCH';
      const body = withBody ? ({ body: (await import('node:stream')).Readable.toWeb(req) as unknown as NonNullable<RequestInit['body']>, duplex: 'half' } as RequestInit) : {};
      request = new Request(new URL(rawUrl, 'http://proxy.invalid'), { method, headers, signal: abort.signal, ...body });
    } catch {
      // fetch refuses to build CONNECT/TRACE/TRACK requests; they are as unwelcome as POST.
      response = refusal(405, 'UNSUPPORTED', `method ${req.method} is not allowed (GET, HEAD, OPTIONS only)`, {
        Allow: 'GET, HEAD, OPTIONS',
        'Access-Control-Allow-Origin': '*',
      });
    }
    response ??= await handler(request!, { ip: req.socket.remoteAddress ?? 'unknown' }).catch((e: unknown) =>
      refusal(502, 'UNAVAILABLE', `internal error: ${e instanceof Error ? e.message : String(e)}`),
    );
  }
  await writeResponse(response, res);
}

async function writeResponse(response: Response, res: ServerResponse): Promise<void> {
  const headers: Record<string, string> = {};
  response.headers.forEach((value, name) => {
    headers[name] = value;
  });
  res.writeHead(response.status, headers);
  if (!response.body) {
    res.end();
    return;
  }
  const reader = response.body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (res.destroyed) {
        await reader.cancel();
        return;
      }
      if (!res.write(value)) await drained(res);
    }
    res.end();
  } catch {
    // The body was cut (size bound) or the upstream failed mid-stream: abort the
    // connection so the client cannot take a truncated body for a complete one.
    res.destroy();
  }
}

/** Backpressure: wait until the socket takes more, or is gone. */
function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const go = () => {
      res.off('drain', go);
      res.off('close', go);
      resolve();
    };
    res.on('drain', go);
    res.on('close', go);
  });
}
