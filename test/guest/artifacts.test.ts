/**
 * The committed guest artifacts are the ones kernel/SHA256SUMS names, and the kernel
 * config has what the guest relies on (a rebuild that drops one fails here, not in a boot).
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_ARTIFACT_DIR } from '../../src/emulator/node.ts';

const KERNEL = join(DEFAULT_ARTIFACT_DIR, '..');

describe('guest artifacts', () => {
  it('match kernel/SHA256SUMS', async () => {
    const sums = (await readFile(join(KERNEL, 'SHA256SUMS'), 'utf8')).trim().split('\n');
    expect(sums.length).toBeGreaterThanOrEqual(6);
    for (const line of sums) {
      const [hash, name] = line.split(/\s+/);
      const actual = createHash('sha256').update(await readFile(join(DEFAULT_ARTIFACT_DIR, name!))).digest('hex');
      expect(`${actual}  ${name}`).toBe(`${hash}  ${name}`);
    }
  });

  it('pin every Debian package by version', async () => {
    const pins = (await readFile(join(KERNEL, 'PACKAGES'), 'utf8')).trim().split('\n');
    const names = pins.map((l) => l.split('=')[0]);
    expect(names).toEqual(expect.arrayContaining(['busybox-static', 'crun', 'libc6', 'seabios']));
    for (const l of pins) expect(l).toMatch(/^[a-z0-9.+-]+=[A-Za-z0-9.+:~-]+$/);
  });

  it('ship a kernel config with the container features built in and modules off', async () => {
    const config = await readFile(join(DEFAULT_ARTIFACT_DIR, 'kernel.config'), 'utf8');
    for (const sym of ['VIRTIO_PCI', 'VIRTIO_CONSOLE', 'NET_9P_VIRTIO', '9P_FS', 'OVERLAY_FS', 'MEMCG', 'CGROUP_PIDS', 'CPUSETS', 'PID_NS', 'NET_NS', 'USER_NS', 'SECCOMP_FILTER', 'VETH', 'BRIDGE', 'NF_NAT', 'COMPAT_32BIT_TIME']) {
      expect(config).toMatch(new RegExp(`^CONFIG_${sym}=y$`, 'm'));
    }
    expect(config).toMatch(/^# CONFIG_MODULES is not set$/m);
    expect(config).toMatch(/^# CONFIG_ACPI is not set$/m);
  });
});
