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
  return new TransformStream<Uint8Array, Uint8Array>({
    start(ctl) {
      z = createGunzip({ chunkSize: 256 * 1024 });
      z.on('data', (b: Buffer) => ctl.enqueue(new Uint8Array(b.buffer, b.byteOffset, b.byteLength)));
      z.on('error', (e) => (failed = e));
      z.on('end', () => (ended = true));
    },
    transform(chunk) {
      if (failed) throw corruptLayer(what, 'gzip', failed);
      return new Promise<void>((resolve, reject) => z.write(chunk, (e) => (e || failed ? reject(corruptLayer(what, 'gzip', e ?? failed)) : resolve())));
    },
    flush() {
      return new Promise<void>((resolve, reject) => {
        const done = () => (failed || !ended ? reject(corruptLayer(what, 'gzip', failed ?? new Error('unexpected end of file'))) : resolve());
        if (ended || failed) return done();
        z.once('end', done);
        z.once('error', (e) => {
          failed = e;
          done();
        });
        z.end();
      });
    },
  });
};
