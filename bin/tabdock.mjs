#!/usr/bin/env -S node --
// `--`: what follows the script is the user's, not Node's. Node 20 reads `--env-file` from
// anywhere in its arguments (nodejs/node#54232) and would read `tabdock run --env-file F`
// as its own flag; after `--` it does not.
// The `tabdock` command. Runs the bundle `npm ci` built (dist/tabdock/cli.mjs) when it is
// newer than every source file; otherwise the TypeScript sources through tsx, so edits
// take effect at once and `npx tabdock` works even where no bundle was built.
import { readdirSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

function newest(dir) {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = `${dir}/${e.name}`;
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

const bundle = new URL('../dist/tabdock/cli.mjs', import.meta.url);
let main;
try {
  if (statSync(bundle).mtimeMs >= newest(fileURLToPath(new URL('../src', import.meta.url)))) ({ main } = await import(bundle.href));
} catch {
  // no bundle: fall through to the sources
}
if (!main) {
  const { tsImport } = await import('tsx/esm/api');
  ({ main } = await tsImport('../src/cli/main.ts', import.meta.url));
}
const code = await main(process.argv.slice(2), {
  out: (s) => process.stdout.write(s),
  err: (s) => process.stderr.write(s),
  isTTY: Boolean(process.stdout.isTTY),
  env: process.env,
  stdin: process.stdin,
  size: () => (process.stdout.isTTY ? { cols: process.stdout.columns, rows: process.stdout.rows } : undefined),
  onResize: (f) => {
    process.stdout.on('resize', f);
    return () => process.stdout.off('resize', f);
  },
});
// Let stdout drain, then leave even if stdin or the daemon socket is still open.
process.stdout.write('', () => process.exit(code));
