// Node entry of the WASI worker (a worker_threads thread). worker.ts is TypeScript, which
// Node 20 does not run. In order of preference: the bundle built beside the CLI's
// (dist/tabdock/wasi-worker.mjs) when it is newer than these sources; a bundle esbuild
// (which tsx brings) makes once per version of these sources, cached in the temp dir
// (first worker ~0.1 s, later ones ~40 ms); worker.ts through tsx (~0.25 s a worker).
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, renameSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parentPort } from 'node:worker_threads';

const here = fileURLToPath(new URL('.', import.meta.url));
const sources = readdirSync(here).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts')).sort();

async function load() {
  const dist = new URL('../../../dist/tabdock/wasi-worker.mjs', import.meta.url);
  try {
    const built = statSync(dist).mtimeMs;
    if (sources.every((f) => statSync(join(here, f)).mtimeMs <= built)) return import(dist.href);
  } catch {
    // no dist bundle
  }
  const hash = sources.reduce((h, f) => h.update(f).update(readFileSync(join(here, f))), createHash('sha256')).digest('hex').slice(0, 16);
  const cached = join(tmpdir(), `tabdock-wasi-worker-${hash}.mjs`);
  try {
    if (!existsSync(cached)) {
      const { build } = await import('esbuild');
      const tmp = `${cached}.${process.pid}.${Date.now()}`;
      await build({ entryPoints: [join(here, 'worker.ts')], bundle: true, format: 'esm', platform: 'neutral', target: 'es2022', outfile: tmp, logLevel: 'silent' });
      renameSync(tmp, cached);
    }
    return import(pathToFileURL(cached).href);
  } catch {
    const { tsImport } = await import('tsx/esm/api');
    return tsImport('./worker.ts', import.meta.url);
  }
}

const mod = await load();
mod.serveWasiWorker({
  post: (m, transfer) => parentPort.postMessage(m, transfer ?? []),
  listen: (l) => parentPort.on('message', l),
});
