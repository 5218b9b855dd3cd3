/**
 * Build step: boot the committed guest once in Node, wait for the agent, save the state,
 * compress it with zstd. Writes kernel/snapshot/guest-state.bin.zst (+ .json metadata),
 * which is gitignored and takes seconds to regenerate.
 *
 *   npx tsx kernel/make-snapshot.ts [--builtin-9p] [--out PATH] [--if-stale]
 *
 * --if-stale: only when there is no snapshot that fits the committed kernel, initramfs
 * and the installed v86 (what `npm run dev` and `npm run build` do first).
 *
 * The default state has a handle9p 9P device (what the engine restores into); with
 * --builtin-9p it has v86's built-in filesystem instead (the two are not interchangeable).
 */
import { createSnapshot, DEFAULT_SNAPSHOT_PATH, loadSnapshot } from '../src/emulator/node.ts';

const args = process.argv.slice(2);
const outAt = args.indexOf('--out');
const path = outAt >= 0 ? args[outAt + 1] ?? DEFAULT_SNAPSHOT_PATH : DEFAULT_SNAPSHOT_PATH;
if (args.includes('--if-stale') && (await loadSnapshot(path).then(() => true, () => false))) {
  console.log(`snapshot ${path}: up to date`);
  process.exit(0);
}
console.log('making the guest snapshot (a boot in the emulator, about 30 s)...');
const r = await createSnapshot({ path, ninep: args.includes('--builtin-9p') ? 'builtin' : 'handler' });
const mib = (n: number) => (n / 1048576).toFixed(1);
console.log(`snapshot ${r.path}: ${mib(r.compressedBytes)} MiB zstd (${mib(r.rawBytes)} MiB raw); boot ${Math.round(r.bootMs)} ms, save ${Math.round(r.saveMs)} ms, compress ${Math.round(r.compressMs)} ms`);
process.exit(0);
