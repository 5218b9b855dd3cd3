// Issue 19: the guest's memory as a setting. For 256 MiB (the shipped snapshot's, the
// baseline), 1 GiB and 2 GiB: making the snapshot as the daemon makes one for a setting
// (boot, save, zstd level 9), its size, the restore (read, decompress, start, the agent's
// first answer) and the process's resident memory once restored; and what the kernel
// gives a container (MemTotal). The default is chosen from these figures (src/emulator README).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Guest } from '../src/emulator/index.ts';
import { createSnapshot, loadArtifacts, loadSnapshot } from '../src/emulator/node.ts';
import { refuse9p } from '../src/emulator/refuse9p.ts';
import type { BenchRow } from './table.ts';

const MIB = 1024 * 1024;

async function one(mib: number, dir: string): Promise<{ makeMs: number; bytes: number; restoreMs: number; rssMiB: number; memTotalMiB: number }> {
  const path = join(dir, `guest-${mib}m.bin.zst`);
  const t0 = performance.now();
  const made = await createSnapshot({ path, memoryBytes: mib * MIB, level: 9 });
  const makeMs = performance.now() - t0;
  const artifacts = await loadArtifacts();
  global.gc?.();
  const t1 = performance.now();
  const snap = await loadSnapshot(path, artifacts);
  const guest = await Guest.start({ images: artifacts.images, wasm: artifacts.wasm, handle9p: refuse9p, state: snap.state, memoryBytes: snap.meta.memoryBytes });
  try {
    const out = await (await guest.agent.spawn(['/bin/sh', '-c', 'cat /proc/meminfo'])).output();
    const restoreMs = performance.now() - t1;
    const kb = Number(/MemTotal:\s+(\d+) kB/.exec(out.stdout)?.[1]);
    return { makeMs, bytes: made.compressedBytes, restoreMs, rssMiB: process.memoryUsage().rss / MIB, memTotalMiB: kb / 1024 };
  } finally {
    await guest.dispose();
  }
}

export async function benchGuestMemory(): Promise<BenchRow[]> {
  const dir = mkdtempSync(join(tmpdir(), 'tabdock-bench-mem-'));
  try {
    const base = await one(256, dir);
    const rows: BenchRow[] = [];
    const add = (label: string, m: Awaited<ReturnType<typeof one>>) => {
      const b = 'the same, 256 MiB (the shipped snapshot\'s)';
      rows.push(
        { name: `snapshot made for a setting (boot, save, zstd -9), ${label}`, value: Math.round(m.makeMs), unit: 'ms', baseline: b, baselineValue: Math.round(base.makeMs) },
        { name: `snapshot size, ${label}`, value: +(m.bytes / MIB).toFixed(2), unit: 'MiB', baseline: b, baselineValue: +(base.bytes / MIB).toFixed(2) },
        { name: `restore to the agent's first answer, ${label}`, value: Math.round(m.restoreMs), unit: 'ms', baseline: b, baselineValue: Math.round(base.restoreMs) },
        { name: `the bench process's RSS once restored (earlier rows' guests may be uncollected), ${label}`, value: Math.round(m.rssMiB), unit: 'MiB', baseline: b, baselineValue: Math.round(base.rssMiB) },
        { name: `MemTotal in the guest, ${label}`, value: Math.round(m.memTotalMiB), unit: 'MiB', baseline: b, baselineValue: Math.round(base.memTotalMiB) },
      );
    };
    add('256 MiB', base);
    add('1 GiB', await one(1024, dir));
    add('2 GiB', await one(2048, dir));
    return rows;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
