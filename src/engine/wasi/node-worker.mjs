// Node entry of the WASI worker (a worker_threads thread). worker.ts is TypeScript, which
// Node 20 does not run: the bundle built beside the CLI's (dist/tabdock/wasi-worker.mjs)
// is taken when it is newer than the sources, else worker.ts through tsx, as bin/tabdock.mjs does.
import { readdirSync, statSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';

const here = new URL('.', import.meta.url);
const bundle = new URL('../../../dist/tabdock/wasi-worker.mjs', import.meta.url);

function fresh() {
  try {
    const built = statSync(bundle).mtimeMs;
    return readdirSync(here).every((f) => statSync(new URL(f, here)).mtimeMs <= built);
  } catch {
    return false;
  }
}

let mod;
if (fresh()) mod = await import(bundle.href);
else {
  const { tsImport } = await import('tsx/esm/api');
  mod = await tsImport('./worker.ts', import.meta.url);
}
mod.serveWasiWorker({
  post: (m, transfer) => parentPort.postMessage(m, transfer ?? []),
  listen: (l) => parentPort.on('message', l),
});
