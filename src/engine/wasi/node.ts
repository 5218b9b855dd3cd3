/**
 * Node-only face of the WASI runtime: workers as worker_threads. Browser bundles import
 * index.ts and make their workers with `new Worker(new URL('./worker.ts', ...))`.
 */
import { Worker } from 'node:worker_threads';
import type { RunMessage, SpawnWorker, WasiWorker, WorkerMessage } from './protocol.ts';

/**
 * Spawns workers from `entry`, the URL of node-worker.mjs. The composition root passes it,
 * resolved from a file two levels below the package root (src/cli, or the bundle in
 * dist/tabdock) as `new URL('../../src/engine/wasi/node-worker.mjs', import.meta.url)`.
 */
export function nodeWasiWorker(entry: URL): SpawnWorker {
  return (): WasiWorker => {
    const w = new Worker(entry);
    let exited = false;
    return {
      post: (msg: RunMessage, transfer: ArrayBuffer[]) => w.postMessage(msg, transfer),
      onMessage: (l) => {
        const f = (m: WorkerMessage) => l(m);
        w.on('message', f);
        return () => w.off('message', f);
      },
      onError: (l) => {
        const err = (e: Error) => l(e.message);
        const exit = (code: number) => {
          if (!exited) l(`the worker exited (${code})`);
        };
        w.on('error', err).on('exit', exit);
        return () => w.off('error', err).off('exit', exit);
      },
      terminate: () => {
        exited = true;
        void w.terminate();
      },
      ref: () => w.ref(),
      unref: () => w.unref(),
    };
  };
}
