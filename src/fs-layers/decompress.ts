import type { Compression } from '../registry-client/index.ts';
import { TabdockError } from '../shared/errors.ts';
import { zstdStream } from './zstd-stream.ts';

/**
 * A gzip inflater of the platform's own, injected where one is faster than
 * DecompressionStream (Node: `nodeGunzip` in node.ts drives zlib without the web-stream
 * adapter). Errors must be LAYER_CORRUPT (`corruptLayer`).
 */
export type Gunzip = (what: string) => TransformStream<Uint8Array, Uint8Array>;

/**
 * A stream that inflates one layer: gzip through `gunzip` or the platform's
 * DecompressionStream, zstd through fzstd a block at a time with its window bounded
 * (zstd-stream.ts), plain tar passed through. A truncated or corrupt input makes the
 * stream error; nothing is buffered beyond a chunk.
 */
export function decompressor(c: Compression, what: string, gunzip?: Gunzip): TransformStream<Uint8Array, Uint8Array> {
  if (c === 'none') return new TransformStream();
  if (c === 'gzip' && gunzip) return gunzip(what);
  if (c === 'gzip') {
    const ds = new DecompressionStream('gzip') as unknown as TransformStream<Uint8Array, Uint8Array>;
    return wrapErrors(ds, what, 'gzip');
  }
  return zstdStream(what);
}

/** The error a broken compressed layer gives: which layer, which format, why. */
export function corruptLayer(what: string, kind: string, e: unknown): TabdockError {
  return corrupt(what, kind, e);
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
