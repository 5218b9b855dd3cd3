/**
 * Control-channel figures for `npm run bench`: host->guest bytes (a process's stdin) over
 * the bulk port, beside the same bytes over the console port (`link: 'console'`, the path
 * every host->guest byte took before) and beside guest->host bytes (a process's stdout),
 * all in one run on guests restored from the same snapshot.
 *
 * Two figures each: MB/s of wall time (swings with the host's load) and guest instructions
 * per byte from v86's instruction counter (load-independent: what the guest kernel and the
 * agent spend on a byte).
 */
import { loadavg } from 'node:os';
import { Guest, refuse9p } from '../src/emulator/index.ts';
import { loadArtifacts, loadOrCreateSnapshot, type LoadedArtifacts } from '../src/emulator/node.ts';
import { median, type BenchRow } from './table.ts';

export type { BenchRow };

const MIB = 1024 * 1024;
const SIZE = 4 * MIB;
const RUNS = 3;

interface Figure {
  mbPerS: number;
  instrPerByte: number;
}

/** v86's counter is a u32 of retired guest instructions: deltas are taken modulo 2^32. */
function instructions(guest: Guest): number {
  return guest.emulator.get_instruction_counter() >>> 0;
}

/** `cat > /dev/null` in the guest, fed SIZE bytes of stdin; timed to its exit. */
async function stdinRun(guest: Guest, chunk: Uint8Array): Promise<Figure> {
  const p = await guest.agent.spawn(['/bin/sh', '-c', 'cat > /dev/null']);
  const i0 = instructions(guest);
  const t0 = performance.now();
  for (let sent = 0; sent < SIZE; sent += chunk.length) await p.write(chunk);
  p.closeStdin();
  const status = await p.exit;
  const ms = performance.now() - t0;
  const instr = (instructions(guest) - i0) >>> 0;
  if (status !== 0) throw new Error(`cat in the guest exited ${status}`);
  return { mbPerS: SIZE / 1e6 / (ms / 1000), instrPerByte: instr / SIZE };
}

/** `dd` of SIZE zero bytes to stdout in the guest (busybox `head -c` alone costs ~56 instructions a byte); timed to its exit with every byte received. */
async function stdoutRun(guest: Guest): Promise<Figure> {
  const p = await guest.agent.spawn(['/bin/sh', '-c', `dd if=/dev/zero bs=65536 count=${SIZE / 65536} 2>/dev/null`]);
  let got = 0;
  p.onOutput((b) => (got += b.length));
  const i0 = instructions(guest);
  const t0 = performance.now();
  const status = await p.exit;
  const ms = performance.now() - t0;
  const instr = (instructions(guest) - i0) >>> 0;
  if (status !== 0 || got !== SIZE) throw new Error(`dd in the guest exited ${status} after ${got} of ${SIZE} bytes`);
  return { mbPerS: SIZE / 1e6 / (ms / 1000), instrPerByte: instr / SIZE };
}

async function withGuest<T>(a: LoadedArtifacts, state: ArrayBuffer, link: 'bulk' | 'console', fn: (g: Guest) => Promise<T>): Promise<T> {
  const g = await Guest.start({ images: a.images, wasm: a.wasm, state: state.slice(0), handle9p: refuse9p, link, timeoutMs: 180_000 });
  try {
    return await fn(g);
  } finally {
    await g.dispose();
  }
}

function medianOf(fs: Figure[]): Figure {
  return { mbPerS: median(fs.map((f) => f.mbPerS)), instrPerByte: median(fs.map((f) => f.instrPerByte)) };
}

export async function benchLink(): Promise<BenchRow[]> {
  const rows: BenchRow[] = [{ name: 'link: host load average at start (1 min)', value: +loadavg()[0]!.toFixed(2), unit: '' }];
  const a = await loadArtifacts();
  const { state } = await loadOrCreateSnapshot(undefined, a);
  const chunk = new Uint8Array(64 * 1024).map((_, i) => (i * 131) & 0xff);

  const bulk: Figure[] = [];
  const consolePath: Figure[] = [];
  const out: Figure[] = [];
  // alternate the two paths run by run, so a change in the host's load hits both alike
  for (let i = 0; i < RUNS; i++) {
    bulk.push(await withGuest(a, state, 'bulk', (g) => stdinRun(g, chunk)));
    consolePath.push(await withGuest(a, state, 'console', (g) => stdinRun(g, chunk)));
    out.push(await withGuest(a, state, 'bulk', (g) => stdoutRun(g)));
  }
  const b = medianOf(bulk);
  const c = medianOf(consolePath);
  const o = medianOf(out);
  const r2 = (n: number) => +n.toFixed(2);
  rows.push({ name: `link: stdin host->guest, bulk port (${SIZE / MIB} MiB, median of ${RUNS})`, value: r2(b.mbPerS), unit: 'MB/s', baseline: 'console port (hvc1)', baselineValue: r2(c.mbPerS) });
  rows.push({ name: 'link: stdin host->guest, guest instructions per byte, bulk port', value: r2(b.instrPerByte), unit: 'instr/B', baseline: 'console port (hvc1)', baselineValue: r2(c.instrPerByte) });
  rows.push({ name: 'link: stdin host->guest, guest instructions per byte, bulk port vs guest->host', value: r2(b.instrPerByte), unit: 'instr/B', baseline: 'stdout guest->host (bulk port)', baselineValue: r2(o.instrPerByte) });
  rows.push({ name: `link: stdout guest->host (${SIZE / MIB} MiB, median of ${RUNS})`, value: r2(o.mbPerS), unit: 'MB/s', baseline: 'stdin host->guest, bulk port', baselineValue: r2(b.mbPerS) });
  return rows;
}

// `npx tsx bench/link.ts` prints the rows on its own
if (import.meta.url === `file://${process.argv[1]}`) {
  const rows = await benchLink();
  console.table(rows);
  process.exit(0);
}
