// A Debian bookworm i386 image built here with debootstrap from Debian's archive (minbase
// plus python3-minimal and libpython3.11-stdlib, for `import json, email, http.client`; about
// 170 MB unpacked), as an OCI layout of one gzip layer (the shape
// of Docker's own debian images). Built once: the layout is cached under the temp directory,
// keyed by the recipe, so later bench runs reuse it.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../test/support/proc.ts';

const MIRROR = 'http://deb.debian.org/debian';
const DEBOOTSTRAP = ['--arch=i386', '--variant=minbase', '--include=python3-minimal,libpython3.11-stdlib', 'bookworm'];
const CONFIG = ['--os', 'linux', '--architecture', '386', '--config.cmd', 'bash', '--config.env', 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'];
const TAG = 'latest';

const recipe = JSON.stringify({ MIRROR, DEBOOTSTRAP, CONFIG, v: 1 });
export const DEBIAN_LAYOUT = join(tmpdir(), `tabdock-bench-debian-${createHash('sha256').update(recipe).digest('hex').slice(0, 12)}`);

/** The skopeo reference of the built layout (`oci:PATH:latest`), building it on first use. */
export async function debianLayout(log: (s: string) => void = () => {}): Promise<string> {
  if (existsSync(join(DEBIAN_LAYOUT, 'index.json'))) return `oci:${DEBIAN_LAYOUT}:${TAG}`;
  if (!(await has('debootstrap'))) throw new Error('debootstrap is not installed (apt-get install debootstrap)');
  const work = mkdtempSync(join(tmpdir(), 'tabdock-bench-debian-build-'));
  try {
    const rootfs = join(work, 'rootfs');
    log(`bench: debootstrap ${DEBOOTSTRAP.join(' ')} (once; cached in ${DEBIAN_LAYOUT})\n`);
    await run('debootstrap', [...DEBOOTSTRAP, rootfs, MIRROR]);
    // Caches debootstrap leaves are not part of an image (Docker's debian images drop them too).
    rmSync(join(rootfs, 'var', 'cache', 'apt', 'archives'), { recursive: true, force: true });
    mkdirSync(join(rootfs, 'var', 'cache', 'apt', 'archives', 'partial'), { recursive: true });
    const tar = join(work, 'layer.tar');
    await run('tar', ['-C', rootfs, '-cf', tar, '--numeric-owner', '--sort=name', '--xattrs', '.']);
    const layout = join(work, 'layout');
    await run('umoci', ['init', '--layout', layout]);
    await run('umoci', ['new', '--image', `${layout}:${TAG}`]);
    await run('umoci', ['raw', 'add-layer', '--image', `${layout}:${TAG}`, tar]);
    await run('umoci', ['config', '--image', `${layout}:${TAG}`, ...CONFIG]);
    await run('umoci', ['gc', '--layout', layout]);
    renameSync(layout, DEBIAN_LAYOUT);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return `oci:${DEBIAN_LAYOUT}:${TAG}`;
}

async function has(cmd: string): Promise<boolean> {
  try {
    await run('sh', ['-c', `command -v ${cmd}`]);
    return true;
  } catch {
    return false;
  }
}

/**
 * The same image's tree unpacked as plain files (its one layer, `tar -x` as root, so device
 * nodes and owners are kept), for running Debian's i386 binaries natively in a chroot: the
 * baseline of `bench/realimg.ts`. Cached beside the layout.
 */
export async function debianRootfs(log: (s: string) => void = () => {}): Promise<string> {
  await debianLayout(log);
  const dir = `${DEBIAN_LAYOUT}-rootfs`;
  if (existsSync(join(dir, 'usr', 'bin', 'python3'))) return dir;
  const blob = (d: string) => join(DEBIAN_LAYOUT, 'blobs', 'sha256', d.replace(/^sha256:/, ''));
  const index = JSON.parse(readFileSync(join(DEBIAN_LAYOUT, 'index.json'), 'utf8')) as { manifests: { digest: string }[] };
  const manifest = JSON.parse(readFileSync(blob(index.manifests[0]!.digest), 'utf8')) as { layers: { digest: string }[] };
  const tmp = mkdtempSync(`${dir}-partial-`);
  try {
    for (const l of manifest.layers) await run('tar', ['-C', tmp, '-xzf', blob(l.digest), '--numeric-owner', '--same-owner', '-p']);
    rmSync(dir, { recursive: true, force: true });
    renameSync(tmp, dir);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
  return dir;
}
