// The guest's memory as a setting (issue 19): daemon.json `guest-memory` gives the guest
// that much (seen in /proc/meminfo from a container, `docker stats` and `tabdock info`). The
// shipped snapshot is 256 MiB, so the first container makes a snapshot for the setting in
// $TABDOCK_HOME/snapshots (said on the terminal) and the next daemon restores it. A size
// the guest cannot have is refused with a sentence before anything starts.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { busyboxCli, runCli, stopDaemon, type CliHome, type TestRegistry } from './support/index.ts';

let reg: TestRegistry;
let cli: CliHome;
let IMG: string;
/** The MemTotal line of /proc/meminfo, with the shell's builtins only (the busybox fixture links no grep). */
const MEMTOTAL = ['sh', '-c', 'while read -r l; do case $l in MemTotal*) echo $l;; esac; done < /proc/meminfo'];

beforeAll(async () => {
  ({ reg, cli, image: IMG } = await busyboxCli());
}, 300_000);
afterAll(async () => {
  cli?.dispose();
  await reg?.stop();
});

/** MemTotal (kB) as a container reads it: the guest's, less what its kernel keeps. */
async function memTotalKb(): Promise<number> {
  const r = await cli.run('run', '--rm', '--network', 'none', IMG, ...MEMTOTAL);
  expect(r.code, r.stderr).toBe(0);
  return Number(/MemTotal:\s+(\d+) kB/.exec(r.stdout)?.[1]);
}

describe('daemon.json guest-memory', () => {
  it('gives the guest that memory: a snapshot is made for it once, then restored', async () => {
    // busyboxCli's daemon runs the shipped 256 MiB snapshot.
    const before = await memTotalKb();
    expect(before).toBeLessThanOrEqual(256 * 1024);
    stopDaemon(cli.home);

    writeFileSync(join(cli.home, 'daemon.json'), JSON.stringify({ 'insecure-registries': [reg.host], 'guest-memory': '512m' }));
    const info = await cli.run('info');
    expect(info.stdout).toContain(' Total Memory: 512MiB (guest-memory)\n');
    expect(info.stdout).toContain(` Guest Boot: makes a snapshot with 512 MiB of memory at the first Linux container, then restores it (${join(cli.home, 'snapshots', 'guest-512m.bin.zst')})\n`);
    stopDaemon(cli.home);

    const first = await cli.run('run', '--rm', '--network', 'none', IMG, ...MEMTOTAL);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toContain("tabdock: the guest's memory is set to 512 MiB (guest-memory); a snapshot of the guest with that memory is made once");
    const kb = Number(/MemTotal:\s+(\d+) kB/.exec(first.stdout)?.[1]);
    // The kernel keeps some for itself; what is left is well past the 256 MiB guest's whole memory.
    expect(kb).toBeGreaterThan(400 * 1024);
    expect(kb).toBeLessThanOrEqual(512 * 1024);
    expect(existsSync(join(cli.home, 'snapshots', 'guest-512m.bin.zst'))).toBe(true);
    // docker stats: a container without -m is limited by the guest's memory.
    expect((await cli.run('run', '-d', '--name', 'mem', '--network', 'none', IMG, 'sleep', '600')).code).toBe(0);
    const stats = await cli.run('stats', '--no-stream', '--format', '{{.MemUsage}}', 'mem');
    expect(stats.stdout).toMatch(/ \/ 512MiB\n$/);
    expect((await cli.run('rm', '-f', 'mem')).code).toBe(0);
    stopDaemon(cli.home);

    // The next daemon restores the snapshot made for the setting, and says nothing of making one.
    const again = await cli.run('run', '--rm', '--network', 'none', IMG, ...MEMTOTAL);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toBe('');
    expect(Number(/MemTotal:\s+(\d+) kB/.exec(again.stdout)?.[1])).toBe(kb);
    expect(readFileSync(join(cli.home, 'daemon.log'), 'utf8')).toMatch(/guest restored from the snapshot \S+guest-512m\.bin\.zst in \d+ ms \(512 MiB of memory\)/);
    stopDaemon(cli.home);
  }, 400_000);

  it('refuses a size the guest cannot have, before anything starts', async () => {
    for (const [v, why] of [['100m', 'the guest needs at least 128 MiB of memory'], ['3g', 'the guest can have at most 2048 MiB of memory'], ['300.5m', 'a whole number of MiB'], ['lots', 'must be a size such as "2g"']] as const) {
      writeFileSync(join(cli.home, 'daemon.json'), JSON.stringify({ 'guest-memory': v }));
      const r = await cli.run('ps');
      expect(r.code).not.toBe(0);
      expect(r.stderr).toContain(join(cli.home, 'daemon.json'));
      expect(r.stderr).toContain(why);
    }
    writeFileSync(join(cli.home, 'daemon.json'), '{}');
    // TABDOCK_GUEST_MEMORY is the same setting, and wins over daemon.json.
    const info = await runCli(['info'], { ...cli.env, TABDOCK_GUEST_MEMORY: '1g' });
    expect(info.stdout).toContain(' Total Memory: 1GiB (guest-memory)\n');
    stopDaemon(cli.home);
    const bad = await runCli(['ps'], { ...cli.env, TABDOCK_GUEST_MEMORY: '64m' });
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('TABDOCK_GUEST_MEMORY: the guest needs at least 128 MiB of memory, not "64m"');
  }, 120_000);
});
