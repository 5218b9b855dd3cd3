import { TabdockError } from '../shared/errors.ts';

/**
 * Deadlines for registry traffic that follow progress, not the clock alone: a registry
 * that never answers, stops sending, or trickles a few bytes now and then to keep a
 * connection open must not hold a pull (and its layer-store hold) for ever.
 */
export interface Deadlines {
  /** Time allowed from sending a request to its response headers. */
  headersMs: number;
  /** Length of one progress window for a response body. */
  windowMs: number;
  /** Bytes a body must bring within each window (unless it ends first). */
  minBytesPerWindow: number;
}

export const DEFAULT_DEADLINES: Deadlines = { headersMs: 30_000, windowMs: 30_000, minBytesPerWindow: 16 << 10 };

const span = (ms: number): string => (ms < 1000 ? `${ms} ms` : `${Math.round(ms / 1000)} s`);

function cancelled(what: string): TabdockError {
  return new TabdockError('DOWNLOAD_CANCELLED', `${what}: the pull was cancelled (its client went away)`, {});
}

/**
 * Runs `send` with an abort signal that fires when `signal` does or when no response
 * arrives within `ms`. A timeout is a retryable error that says which host and how long;
 * a cancellation is final. The signal given to `send` stays tied to the response, so the
 * caller's cancellation also ends a body being read.
 */
export async function withHeaderDeadline(ms: number, signal: AbortSignal | undefined, what: string, registry: string, send: (signal: AbortSignal) => Promise<Response>): Promise<Response> {
  if (signal?.aborted) throw cancelled(what);
  const ctl = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    ctl.abort();
  }, ms);
  const onAbort = () => ctl.abort();
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    return await send(ctl.signal);
  } catch (e) {
    if (signal?.aborted) throw cancelled(what);
    if (timedOut) {
      throw new TabdockError('REGISTRY_TIMEOUT', `registry ${registry} did not answer ${what} within ${span(ms)}`, { registry, timeoutMs: ms }, { retryable: true });
    }
    throw e;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The same response with a body that fails with `REGISTRY_STALLED` when a progress window
 * passes with fewer than `minBytesPerWindow` bytes, and ends (cancelling the connection)
 * when `signal` aborts. The window restarts each time it has seen enough bytes, so a slow
 * but steady body never fails and a trickle always does.
 */
export function guardBody(res: Response, d: Deadlines, signal: AbortSignal | undefined, what: string, registry: string): Response {
  if (!res.body) return res;
  const reader = res.body.getReader();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let windowBytes = 0;
  let fail: ((e: unknown) => void) | undefined;
  let done = false;
  const finish = () => {
    done = true;
    if (timer) clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
  };
  const startWindow = () => {
    if (timer) clearTimeout(timer);
    windowBytes = 0;
    timer = setTimeout(() => {
      const e = new TabdockError('REGISTRY_STALLED', `registry ${registry} sent ${what} too slowly: ${windowBytes} bytes in ${span(d.windowMs)} (at least ${d.minBytesPerWindow} expected)`, { registry, windowMs: d.windowMs, bytes: windowBytes }, { retryable: true });
      fail?.(e);
    }, d.windowMs);
    (timer as { unref?: () => void }).unref?.();
  };
  const onAbort = () => fail?.(cancelled(what));
  signal?.addEventListener('abort', onAbort, { once: true });
  const body = new ReadableStream<Uint8Array>({
    start(ctl) {
      fail = (e) => {
        if (done) return;
        finish();
        ctl.error(e);
        void reader.cancel(e).catch(() => {});
      };
      if (signal?.aborted) return onAbort();
      startWindow();
    },
    async pull(ctl) {
      let r: Awaited<ReturnType<ReadableStreamDefaultReader<Uint8Array>["read"]>>;
      try {
        r = await reader.read();
      } catch (e) {
        if (done) return;
        finish();
        throw e;
      }
      if (done) return;
      if (r.done) {
        finish();
        ctl.close();
        return;
      }
      windowBytes += r.value.byteLength;
      if (windowBytes >= d.minBytesPerWindow) startWindow();
      ctl.enqueue(r.value);
    },
    cancel(reason) {
      finish();
      return reader.cancel(reason);
    },
  });
  return new Response(body, { status: res.status, statusText: res.statusText, headers: res.headers });
}
