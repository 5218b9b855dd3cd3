// Runs the commands given as arguments side by side, as many at once as the machine has
// cores, each one's output printed whole when it ends (not interleaved). Exits 1 when any
// failed, after naming them. `npm run typecheck` uses it: its tsc projects are independent
// and each runs on one core, so on 2 cores the check takes about half as long.
import { spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';

const commands = process.argv.slice(2);
if (commands.length === 0) {
  process.stderr.write('usage: node scripts/run-parallel.mjs "command" ...\n');
  process.exit(2);
}

/** Runs one command through the shell (npm puts node_modules/.bin on PATH); its output and status. */
const run = (command) =>
  new Promise((resolve) => {
    const child = spawn(command, { shell: true, stdio: ['ignore', 'pipe', 'pipe'] });
    const out = [];
    child.stdout.on('data', (b) => out.push(b));
    child.stderr.on('data', (b) => out.push(b));
    child.on('error', (e) => resolve({ command, code: 1, output: `${e.message}\n` }));
    child.on('close', (code, signal) => resolve({ command, code: code ?? 1, signal, output: Buffer.concat(out).toString() }));
  });

const failed = [];
let next = 0;
const lane = async () => {
  while (next < commands.length) {
    const command = commands[next++];
    const t0 = performance.now();
    const r = await run(command);
    const took = ((performance.now() - t0) / 1000).toFixed(1);
    process.stdout.write(`${r.code === 0 ? 'ok' : 'FAILED'}: ${command} (${took} s)\n${r.output}`);
    if (r.code !== 0) failed.push(r.signal ? `${command} (${r.signal})` : command);
  }
};
await Promise.all(Array.from({ length: Math.min(availableParallelism(), commands.length) }, lane));
if (failed.length) {
  process.stderr.write(`failed:\n  ${failed.join('\n  ')}\n`);
  process.exit(1);
}
