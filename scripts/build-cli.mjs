// Bundles the CLI into one file (dist/tabdock/cli.mjs) so `tabdock` starts in ~0.15 s
// instead of ~1 s of transpiling through tsx. Runs on `npm ci` (prepare). The bundle sits
// two levels below the root, like src/<part>/, so paths the code resolves from its own
// location (kernel/images, kernel/snapshot) stay right.
import { rmSync } from 'node:fs';
import { build } from 'esbuild';

// Split: what only an engine in this process needs (the stores, the emulator, the relay:
// open-engine.ts, node-guest.ts, the proxy) is in chunks loaded on demand, so a client
// command (`tabdock ps`, `run` through the daemon) loads none of it.
rmSync('dist/tabdock', { recursive: true, force: true });
await build({
  entryPoints: { cli: 'src/cli/main.ts' },
  bundle: true,
  splitting: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  outdir: 'dist/tabdock',
  outExtension: { '.js': '.mjs' },
  chunkNames: 'chunk-[hash]',
  packages: 'external',
  logLevel: 'warning',
});

// The WASI runtime's worker thread (src/engine/wasi/node-worker.mjs prefers this bundle
// while it is newer than the worker's sources).
await build({
  entryPoints: ['src/engine/wasi/worker.ts'],
  bundle: true,
  platform: 'neutral',
  format: 'esm',
  target: 'es2022',
  outfile: 'dist/tabdock/wasi-worker.mjs',
  logLevel: 'warning',
});
