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
      onMessage: (l) => w.on('message', (m: WorkerMessage) => l(m)),
      onError: (l) => {
        w.on('error', (e) => l(e.message));
        w.on('exit', (code) => {
          if (!exited) l(`the worker exited (${code})`);
        });
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
