/**
 * Two branches of one stream that read the source only as fast as the slower branch takes
 * it. `ReadableStream.tee()` reads as fast as the faster one and queues the rest for the
 * other without bound: a pull whose unpack lags its download would hold the whole layer in
 * memory. Here each branch queues at most `highWaterMark` bytes ahead of its reader.
 */
export function boundedTee(src: ReadableStream<Uint8Array>, highWaterMark: number): [ReadableStream<Uint8Array>, ReadableStream<Uint8Array>] {
  const reader = src.getReader();
  const ctls: ReadableStreamDefaultController<Uint8Array>[] = [];
  const open = [true, true];
  let reading = false;
  let ended = false;

  const roomInAll = () => ctls.length === 2 && ctls.every((c, i) => !open[i] || (c.desiredSize ?? 0) > 0);
  const each = (f: (c: ReadableStreamDefaultController<Uint8Array>) => void) => ctls.forEach((c, i) => open[i] && f(c));

  async function pump(): Promise<void> {
    if (reading || ended) return;
    reading = true;
    try {
      while (!ended && roomInAll()) {
        const r = await reader.read();
        if (r.done) {
          ended = true;
          each((c) => c.close());
        } else each((c) => c.enqueue(r.value));
      }
    } catch (e) {
      ended = true;
      each((c) => c.error(e));
    } finally {
      reading = false;
    }
  }

  const branch = (i: number) =>
    new ReadableStream<Uint8Array>(
      {
        start(c) {
          ctls[i] = c;
        },
        // Not awaited: a branch with room must not wait for the other to make room too.
        pull() {
          void pump();
        },
        async cancel(reason) {
          open[i] = false;
          if (open.every((o) => !o)) await reader.cancel(reason);
          else void pump();
        },
      },
      new ByteLengthQueuingStrategy({ highWaterMark }),
    );
  return [branch(0), branch(1)];
}
