import type { ReadableStream as WebReadableStream } from 'node:stream/web';

/**
 * A body that errors once more than `maxBytes` have passed, so a response without a
 * Content-Length (or one that lies about it) cannot stream past the proxy's bound. The
 * client sees an aborted body, never a silently truncated "complete" one.
 *
 * Only web-standard APIs: the ReadableStream constructor is taken from the global scope
 * (present in Node 20, workers and browsers); the type comes from Node's typings because
 * the repo compiles without the DOM lib.
 */
type ByteStream = WebReadableStream<Uint8Array>;

export function boundedBody(body: ByteStream, maxBytes: number, onExceeded?: () => void): ByteStream {
  const RS = (globalThis as unknown as { ReadableStream: typeof WebReadableStream }).ReadableStream;
  const reader = body.getReader();
  let seen = 0;
  return new RS<Uint8Array>({
    async pull(controller) {
      const { done, value } = await reader.read();
      if (done) {
        controller.close();
        return;
      }
      seen += value.byteLength;
      if (seen > maxBytes) {
        onExceeded?.();
        controller.error(new RangeError(`tabdock proxy: body exceeds ${maxBytes} bytes`));
        await reader.cancel().catch(() => {});
        return;
      }
      controller.enqueue(value);
    },
    async cancel(reason) {
      await reader.cancel(reason);
    },
  });
}
