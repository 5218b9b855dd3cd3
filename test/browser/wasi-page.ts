// Runs in real Chromium: an engine in a module Web Worker (wasi-engine-worker.ts, composed
// as the browser root composes it, with the WASI runtime and no guest), which runs each
// module in a nested worker. The test drives it through `globalThis.tabdockWasi`.
import { wrap } from 'comlink';
import type { WasiEngineWorker } from './wasi-engine-worker.ts';

const worker = wrap<WasiEngineWorker>(new Worker(new URL('./wasi-engine-worker.ts', import.meta.url), { type: 'module' }));
(globalThis as unknown as { tabdockWasi: typeof worker }).tabdockWasi = worker;
document.title = 'ready';
