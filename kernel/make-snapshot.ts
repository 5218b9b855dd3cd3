/**
 * Build step: boot the committed guest once in Node, wait for the agent, save the state,
 * compress it with zstd. Writes kernel/snapshot/guest-state.bin.zst (+ .json metadata),
 * which is gitignored and takes seconds to regenerate.
 *
 *   npx tsx kernel/make-snapshot.ts [--builtin-9p] [--out PATH]
 *
 * The default state has a handle9p 9P device (what the engine restores into); with
 * --builtin-9p it has v86's built-in filesystem instead (the two are not interchangeable).
 */
import { createSnapshot, DEFAULT_SNAPSHOT_PATH } from '../src/emulator/node.ts';

const args = process.argv.slice(2);
const outAt = args.indexOf('--out');
const path = outAt >= 0 ? args[outAt + 1] ?? DEFAULT_SNAPSHOT_PATH : DEFAULT_SNAPSHOT_PATH;
const r = await createSnapshot({ path, ninep: args.includes('--builtin-9p') ? 'builtin' : 'handler' });
const mib = (n: number) => (n / 1048576).toFixed(1);
console.log(`snapshot ${r.path}: ${mib(r.compressedBytes)} MiB zstd (${mib(r.rawBytes)} MiB raw); boot ${Math.round(r.bootMs)} ms, save ${Math.round(r.saveMs)} ms, compress ${Math.round(r.compressMs)} ms`);
process.exit(0);
