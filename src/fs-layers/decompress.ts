import { Decompress } from 'fzstd';
import type { Compression } from '../registry-client/index.ts';
import { TabdockError } from '../shared/errors.ts';

/**
 * A stream that inflates one layer: gzip through the platform's DecompressionStream,
 * zstd through fzstd's streaming decoder, plain tar passed through. A truncated or
 * corrupt input makes the stream error; nothing is buffered beyond one chunk.
 */
export function decompressor(c: Compression, what: string): TransformStream<Uint8Array, Uint8Array> {
  if (c === 'none') return new TransformStream();
  if (c === 'gzip') {
    const ds = new DecompressionStream('gzip') as unknown as TransformStream<Uint8Array, Uint8Array>;
    return wrapErrors(ds, what, 'gzip');
  }
  let z: Decompress;
  let ended = false;
  return new TransformStream<Uint8Array, Uint8Array>({
    start(ctl) {
      z = new Decompress((chunk, final) => {
        if (chunk.byteLength) ctl.enqueue(chunk);
        if (final) ended = true;
      });
    },
    transform(chunk) {
      try {
        z.push(chunk);
      } catch (e) {
        throw corrupt(what, 'zstd', e);
      }
    },
    flush() {
      try {
        z.push(new Uint8Array(0), true);
      } catch (e) {
        throw corrupt(what, 'zstd', e);
      }
      if (!ended) throw corrupt(what, 'zstd', new Error('unexpected end of data'));
    },
  });
}

function corrupt(what: string, kind: string, e: unknown): TabdockError {
  return new TabdockError('LAYER_CORRUPT', `${what}: the ${kind} data is truncated or corrupt (${e instanceof Error ? e.message : String(e)})`, { what });
}

function wrapErrors(t: TransformStream<Uint8Array, Uint8Array>, what: string, kind: string): TransformStream<Uint8Array, Uint8Array> {
  // Re-label the platform's error so the user reads which layer broke and why.
  const readable = t.readable.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>(),
  );
  const reader = readable.getReader();
  const out = new ReadableStream<Uint8Array>({
    async pull(ctl) {
      try {
        const { done, value } = await reader.read();
        if (done) ctl.close();
        else ctl.enqueue(value);
      } catch (e) {
        ctl.error(corrupt(what, kind, e));
      }
    },
    cancel: (r) => reader.cancel(r),
  });
  return { writable: t.writable, readable: out };
}
