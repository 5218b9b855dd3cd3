#!/usr/bin/env node
// The `tabdock` command: runs the TypeScript CLI through tsx, so `npx tabdock` works
// straight after `npm ci` with no build step.
import { tsImport } from 'tsx/esm/api';

const { main } = await tsImport('../src/cli/main.ts', import.meta.url);
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
