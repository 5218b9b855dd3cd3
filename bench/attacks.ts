// The daemon's peak memory under two attacks the hardening issue reproduced (a container
// making 16 TB sparse files; a registry serving a 12-byte zstd layer that declares a
// 1.9 GiB window), beside its peak after an ordinary `run` in the same daemon. The peak is
// the kernel's high-water mark of the daemon's resident memory (VmHWM), which no sampling
// can miss. Once the engine held one journal entry per 256 KiB of apparent size and the
// zstd decoder allocated the declared window: gigabytes.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliHome, startRegistry } from '../test/support/index.ts';
import type { BenchRow } from './table.ts';

function daemonPeak(home: string): number {
  const pid = Number(readFileSync(join(home, 'tabdock.pid'), 'utf8'));
  return Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) * 1024;
}

const sha = (b: Uint8Array | string) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/** An OCI layout whose one layer is a zstd frame declaring a 1.875 GiB window. */
function zstdBombLayout(): string {
  const dir = mkdtempSync(join(tmpdir(), 'tabdock-zbomb-'));
  const blobs = join(dir, 'blobs', 'sha256');
  mkdirSync(blobs, { recursive: true });
  const put = (b: Uint8Array | string) => {
    const d = sha(b);
    writeFileSync(join(blobs, d.slice(7)), b);
    return { digest: d, size: typeof b === 'string' ? Buffer.byteLength(b) : b.byteLength };
  };
  const layer = new Uint8Array([0x28, 0xb5, 0x2f, 0xfd, 0x00, (20 << 3) | 7, 0x19, 0x00, 0x00, 0x61, 0x62, 0x63]);
  const l = put(layer);
  const config = put(JSON.stringify({ os: 'linux', architecture: '386', rootfs: { type: 'layers', diff_ids: [sha('abc')] }, config: { Cmd: ['sh'] } }));
  const manifest = put(JSON.stringify({
    schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+zstd', ...l }],
  }));
  writeFileSync(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  writeFileSync(join(dir, 'index.json'), JSON.stringify({
    schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json',
    manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', ...manifest, annotations: { 'org.opencontainers.image.ref.name': 'latest' } }],
  }));
  return dir;
}

export async function benchAttacks(): Promise<BenchRow[]> {
  const reg = await startRegistry();
  const cli = cliHome({ TABDOCK_DAEMON_IDLE_SECONDS: '300' });
  const layout = zstdBombLayout();
  try {
    await reg.push('busybox', 'busybox:latest');
    await reg.push(`oci:${layout}:latest`, 'zbomb:latest');
    cli.env['TABDOCK_INSECURE_REGISTRIES'] = reg.host;
    const must = async (...args: string[]) => {
      const r = await cli.run(...args);
      if (r.code !== 0) throw new Error(`tabdock ${args.join(' ')} failed: ${r.stderr}`);
      return r;
    };
    const IMG = `${reg.host}/busybox`;
    await must('run', '--rm', IMG, 'true');
    await must('run', '--rm', IMG, 'true');
    const base = daemonPeak(cli.home);
    await must('run', '--name', 'sparse', IMG, 'sh', '-c', 'truncate -s 8796093022207 /a && truncate -s 8796093022207 /b && echo x >> /a && ls -l /a /b');
    await must('diff', 'sparse');
    await must('rm', 'sparse');
    const sparse = daemonPeak(cli.home);
    const bomb = await cli.run('pull', `${reg.host}/zbomb`);
    if (bomb.code === 0 || !/window/.test(bomb.stderr)) throw new Error(`the zstd-window pull was not refused as expected: ${bomb.stderr}`);
    const zstd = daemonPeak(cli.home);
    const mib = (n: number) => Math.round((n / 2 ** 20) * 10) / 10;
    const base2 = mib(base);
    return [
      { name: 'daemon peak RSS after a container made two 8 TiB sparse files (the largest a 32-bit guest allows) (run, diff, rm)', value: mib(sparse), unit: 'MiB', baseline: 'daemon peak after `run --rm true` x2', baselineValue: base2, target: '<= 1.25x baseline', pass: sparse <= 1.25 * base },
      { name: 'daemon peak RSS after pulling a layer declaring a 1.9 GiB zstd window (refused)', value: mib(zstd), unit: 'MiB', baseline: 'daemon peak after `run --rm true` x2', baselineValue: base2, target: '<= 1.25x baseline', pass: zstd <= 1.25 * base },
    ];
  } finally {
    cli.dispose();
    await reg.stop();
    rmSync(layout, { recursive: true, force: true });
  }
}
