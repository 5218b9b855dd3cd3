/**
 * Guest figures for `npm run bench`: cold boot, snapshot restore, state size, container
 * start floor. Each beside a baseline measured in the same run: Debian's stock i386 kernel
 * booting the same initramfs (to its first init line), a cold boot for the restore, and a
 * plain guest process for `crun run`.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { Guest, refuse9p } from '../src/emulator/index.ts';
import { createSnapshot, loadArtifacts, loadSnapshot, type LoadedArtifacts } from '../src/emulator/node.ts';
import { MNT, prepareNinePTree, writeBundle } from '../test/guest/guest-fixture.ts';
import { median, type BenchRow } from './table.ts';

export type { BenchRow };


const INIT_MARKER = 'tabdock-init: stage 1';


/** Boot `bzImage` with our initramfs; ms to the init marker, and to agent-ready unless `initOnly`. */
async function coldBoot(a: LoadedArtifacts, bzImage: ArrayBuffer, initOnly: boolean): Promise<{ initMs: number; readyMs: number }> {
  const ac = new AbortController();
  const t0 = performance.now();
  let initMs = NaN;
  let serial = '';
  const start = Guest.start({
    images: { ...a.images, bzImage },
    wasm: a.wasm,
    handle9p: refuse9p,
    timeoutMs: 180_000,
    signal: ac.signal,
    onSerial: (text) => {
      serial += text;
      if (Number.isNaN(initMs) && serial.includes(INIT_MARKER)) {
        initMs = performance.now() - t0;
        if (initOnly) ac.abort();
      }
    },
  });
  try {
    const guest = await start;
    const readyMs = performance.now() - t0;
    await guest.dispose();
    return { initMs, readyMs };
  } catch (e) {
    if (initOnly && !Number.isNaN(initMs)) return { initMs, readyMs: NaN };
    throw e;
  }
}

async function stockKernel(): Promise<ArrayBuffer | undefined> {
  const script = join(import.meta.dirname, '..', 'kernel', 'fetch-stock-kernel.sh');
  const path = await new Promise<string | undefined>((res) => execFile(script, (err, out) => res(err ? undefined : out.trim())));
  if (!path) return undefined;
  const b = await readFile(path);
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
}

export async function benchGuest(): Promise<BenchRow[]> {
  const rows: BenchRow[] = [{ name: 'guest: host load average at start (1 min)', value: +loadavg()[0]!.toFixed(2), unit: '' }];
  const a = await loadArtifacts();

  // The machine is shared: take the best of two cold boots (noise only ever adds time).
  const boots = [await coldBoot(a, a.images.bzImage, false), await coldBoot(a, a.images.bzImage, false)];
  const ours = { initMs: Math.min(...boots.map((b) => b.initMs)), readyMs: Math.min(...boots.map((b) => b.readyMs)) };
  const stock = await stockKernel();
  const stockBoot = stock ? await coldBoot(a, stock, true).catch(() => undefined) : undefined;
  rows.push({
    name: 'guest: cold boot to init (tabdock kernel)',
    value: Math.round(ours.initMs),
    unit: 'ms',
    ...(stockBoot ? { baseline: 'Debian linux-image-686, same initramfs', baselineValue: Math.round(stockBoot.initMs) } : {}),
    target: '<= 0.3 x stock',
  });
  rows.push({ name: 'guest: cold boot to agent-ready', value: Math.round(ours.readyMs), unit: 'ms', target: '<= 6000 ms' });

  const dir = await mkdtemp(join(tmpdir(), 'tabdock-bench-'));
  try {
    const handler = await createSnapshot({ path: join(dir, 'handler.bin.zst'), ninep: 'handler', level: 19 });
    rows.push({ name: 'guest: snapshot size (zstd -19)', value: +(handler.compressedBytes / 1e6).toFixed(2), unit: 'MB', baseline: 'raw state', baselineValue: +(handler.rawBytes / 1e6).toFixed(2), target: '<= 12 MB' });

    const builtin = await createSnapshot({ path: join(dir, 'builtin.bin.zst'), ninep: 'builtin', level: 3 });
    const { state } = await loadSnapshot(builtin.path, a);
    const restores: number[] = [];
    let guest: Guest | undefined;
    for (let i = 0; i < 3; i++) {
      await guest?.dispose();
      const t0 = performance.now();
      guest = await Guest.start({ images: a.images, wasm: a.wasm, state: state.slice(0) });
      restores.push(performance.now() - t0);
    }
    rows.push({ name: 'guest: snapshot restore to agent-ready (median of 3)', value: Math.round(median(restores)), unit: 'ms', baseline: 'cold boot to agent-ready', baselineValue: Math.round(ours.readyMs), target: '<= 1500 ms' });

    const g = guest!;
    try {
      await prepareNinePTree(g);
      const runs: number[] = [];
      const plain: number[] = [];
      for (let i = 0; i < 5; i++) {
        const bundle = await writeBundle(g, `true${i}`, { args: ['/bin/busybox', 'true'] });
        const t0 = performance.now();
        const status = await (await g.agent.run({ id: `true${i}`, bundle })).exit;
        runs.push(performance.now() - t0);
        if (status !== 0) throw new Error(`crun run true exited ${status}`);
        const t1 = performance.now();
        await (await g.agent.spawn(['/bin/true'])).exit;
        plain.push(performance.now() - t1);
      }
      rows.push({ name: 'guest: crun run true (9P rootfs, median of 5)', value: Math.round(median(runs)), unit: 'ms', baseline: 'plain guest process /bin/true', baselineValue: Math.round(median(plain)) });

      // the same with the page cache on the 9P mount (safe when only the guest changes the tree)
      await g.agent.umount(MNT);
      await g.agent.mount({ aname: 'test', path: MNT, options: 'cache=loose' });
      const loose: number[] = [];
      for (let i = 0; i < 5; i++) {
        const bundle = await writeBundle(g, `loose${i}`, { args: ['/bin/busybox', 'true'] });
        const t0 = performance.now();
        await (await g.agent.run({ id: `loose${i}`, bundle })).exit;
        loose.push(performance.now() - t0);
      }
      rows.push({ name: 'guest: crun run true (9P cache=loose, median of 5)', value: Math.round(median(loose)), unit: 'ms', baseline: 'cache=none (above)', baselineValue: Math.round(median(runs)) });
    } finally {
      await g.dispose();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return rows;
}

// `npx tsx bench/guest.ts` prints the rows on its own
if (import.meta.url === `file://${process.argv[1]}`) {
  const rows = await benchGuest();
  console.table(rows);
  process.exit(0);
}
