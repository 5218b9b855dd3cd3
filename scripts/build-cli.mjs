// Bundles the CLI into one file (dist/tabdock/cli.mjs) so `tabdock` starts in ~0.15 s
// instead of ~1 s of transpiling through tsx. Runs on `npm ci` (prepare). The bundle sits
// two levels below the root, like src/<part>/, so paths the code resolves from its own
// location (kernel/images, kernel/snapshot) stay right.
import { build } from 'esbuild';

await build({
  entryPoints: ['src/cli/main.ts'],
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  outfile: 'dist/tabdock/cli.mjs',
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
