/**
 * Node-only additions to fs-layers (a second public face): the directory stores and zlib's
 * gzip. Node
 * composition roots (CLI, benches, tests) import these from here; browser code never does.
 */
import { createGunzip, type Gunzip as ZlibGunzip } from 'node:zlib';
import { corruptLayer, type Gunzip } from './decompress.ts';

export { DirBlobStore, DirMetaStore } from './dir-store.ts';

/**
 * gzip through zlib directly: about twice as fast in Node as DecompressionStream, whose
 * web-stream adapter costs more than the inflating (the pull's slowest branch).
 */
export const nodeGunzip: Gunzip = (what) => {
  let z: ZlibGunzip;
  let failed: Error | undefined;
  let ended = false;
  // The write or end waiting on zlib: zlib reports bad data with an 'error' event and
  // never calls that write's callback, so the error must settle it.
  let waiting: ((e?: Error) => void) | undefined;
  const wait = (start: () => void) => new Promise<void>((resolve, reject) => {
    waiting = (e) => {
      waiting = undefined;
      if (e) reject(corruptLayer(what, 'gzip', e));
      else resolve();
    };
    start();
  });
  return new TransformStream<Uint8Array, Uint8Array>({
    start(ctl) {
      z = createGunzip({ chunkSize: 256 * 1024 });
      z.on('data', (b: Buffer) => {
        try {
          ctl.enqueue(new Uint8Array(b.buffer, b.byteOffset, b.byteLength));
        } catch {
          // The reader went away (the pull was stopped): zlib's buffered output has nowhere to
          // go, and a throw here would be uncaught (it comes from zlib's own callback).
          z.destroy();
        }
      });
      z.on('error', (e) => {
        failed = e;
        waiting?.(e);
      });
      z.on('end', () => {
        ended = true;
        waiting?.();
      });
    },
    transform(chunk) {
      if (failed) throw corruptLayer(what, 'gzip', failed);
      return wait(() => z.write(chunk, (e) => (e || failed ? waiting?.(e ?? failed) : waiting?.())));
    },
    async flush() {
      if (!ended && !failed) await wait(() => z.end());
      if (failed || !ended) throw corruptLayer(what, 'gzip', failed ?? new Error('unexpected end of file'));
    },
  });
};
