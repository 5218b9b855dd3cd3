// How each fixture is built: umoci for images and layers, hand-written JSON (oci-layout.ts)
// where umoci has no command (variants, indexes, attestation manifests).
import { randomBytes } from 'node:crypto';
import { chmodSync, closeSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { run } from './proc.ts';
import {
  MT, editConfig, rewriteLayers, setTag, writeBlob, writeJsonBlob,
  type Descriptor, type ImageConfig, type Index, type Platform,
} from './oci-layout.ts';

export type FixtureName =
  | 'busybox' | 'multi' | 'multi-noattest' | 'unemulated' | 'unemulated-single' | 'whiteouts' | 'big'
  | 'truncated-gzip' | 'busybox-amd64' | 'busybox-arm64' | 'busybox-armv7' | 'foreign-multi' | 'amd64-dynamic';
export const FIXTURE_NAMES: readonly FixtureName[] = [
  'busybox', 'multi', 'multi-noattest', 'unemulated', 'unemulated-single', 'whiteouts', 'big', 'truncated-gzip',
  'busybox-amd64', 'busybox-arm64', 'busybox-armv7', 'foreign-multi', 'amd64-dynamic',
];

/** The tag every fixture layout uses in its `index.json`. */
export const TAG = 'latest';

export type Builder = (layout: string, work: string) => Promise<void>;

const BUSYBOX_APPLETS = ['sh', 'ash', 'echo', 'ls', 'cat', 'true', 'false', 'env', 'mkdir', 'rm', 'uname', 'sleep', 'id', 'head', 'wc', 'sha256sum', 'test', '['];
const PATH_ENV = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** The i386 static busybox: $TABDOCK_BUSYBOX_I386, else Debian's busybox-static:i386 at /bin/busybox. */
export function busyboxI386(): string {
  const path = process.env.TABDOCK_BUSYBOX_I386 ?? '/bin/busybox';
  const head = Buffer.alloc(20);
  try {
    const fd = openSync(path, 'r');
    readSync(fd, head, 0, 20, 0);
    closeSync(fd);
  } catch {
    head.fill(0);
  }
  // ELF magic, then e_machine (offset 18, little endian) 3 = EM_386.
  if (head.readUInt32BE(0) !== 0x7f454c46 || head.readUInt16LE(18) !== 3) {
    throw new Error(
      `${path} is not an i386 busybox. Install Debian's busybox-static:i386 ` +
        '(dpkg --add-architecture i386; apt-get install busybox-static:i386) or set TABDOCK_BUSYBOX_I386.',
    );
  }
  return path;
}

async function umoci(...args: string[]): Promise<void> {
  await run('umoci', args);
}

/**
 * A Debian package's files for `arch` (apt-get download, dpkg-deb -x): the real binaries of
 * other machines (busybox-static:arm64, libc6:amd64...) that the emulated-platform images
 * are built from. Foreign architectures must be added first (.ci/run does).
 */
async function debFiles(pkg: string, arch: string, work: string): Promise<string> {
  const dir = mkdtempSync(join(work, `deb-${pkg}-${arch}-`));
  try {
    await run('apt-get', ['download', `${pkg}:${arch}`], { cwd: dir });
  } catch (e) {
    throw new Error(`apt-get download ${pkg}:${arch} failed; add the architecture (dpkg --add-architecture ${arch}; apt-get update): ${String(e)}`);
  }
  const deb = readdirSync(dir).find((f) => f.endsWith('.deb'));
  if (!deb) throw new Error(`apt-get download ${pkg}:${arch} left no .deb`);
  const out = join(dir, 'files');
  await run('dpkg-deb', ['-x', join(dir, deb), out]);
  return out;
}

/** Debian architecture names for the image platforms the emulated fixtures have. */
const DEB_ARCH: Record<string, string> = { amd64: 'amd64', arm64: 'arm64', arm: 'armhf' };

/**
 * busybox of another machine (Debian's busybox-static for it), with the same applets,
 * files and config as `busybox`, and /etc/tabdock-platform naming the platform.
 */
async function buildForeignBusybox(layout: string, work: string, tag: string, p: Platform): Promise<Descriptor> {
  const files = await debFiles('busybox-static', DEB_ARCH[p.architecture]!, work);
  await buildBusybox(layout, work, tag, p.architecture, join(files, 'bin', 'busybox'), (rootfs) => {
    writeFileSync(join(rootfs, 'etc', 'tabdock-platform'), `${[p.os, p.architecture, p.variant].filter(Boolean).join('/')}\n`);
  });
  return { ...editConfig(layout, tag, tag, setPlatform(p)), platform: p };
}

/** busybox rootfs through umoci unpack/repack, then Cmd/Env/label, as `tag`. */
async function buildBusybox(layout: string, work: string, tag: string, arch = '386', binary = busyboxI386(), extra?: (rootfs: string) => void): Promise<void> {
  if (!existsSync(join(layout, 'index.json'))) await umoci('init', '--layout', layout);
  await umoci('new', '--image', `${layout}:${tag}`);
  const bundle = join(work, `bundle-${tag}`);
  await umoci('unpack', '--rootless', '--image', `${layout}:${tag}`, bundle);
  const rootfs = join(bundle, 'rootfs');
  for (const d of ['bin', 'etc', 'tmp', 'root']) mkdirSync(join(rootfs, d), { recursive: true });
  copyFileSync(binary, join(rootfs, 'bin', 'busybox'));
  chmodSync(join(rootfs, 'bin', 'busybox'), 0o755);
  for (const a of BUSYBOX_APPLETS) symlinkSync('busybox', join(rootfs, 'bin', a));
  writeFileSync(join(rootfs, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
  writeFileSync(join(rootfs, 'etc', 'group'), 'root:x:0:\n');
  extra?.(rootfs);
  await umoci('repack', '--image', `${layout}:${tag}`, bundle);
  await umoci(
    'config', '--image', `${layout}:${tag}`, '--os', 'linux', '--architecture', arch,
    '--config.cmd', 'sh', '--config.env', PATH_ENV, '--config.label', 'org.tabdock.fixture=busybox',
  );
  rmSync(bundle, { recursive: true, force: true });
}

/** Adds one layer made from `files` (path -> content; a trailing '/' makes a dir) to `from`, tagging `to`. */
async function addLayer(layout: string, work: string, from: string, to: string, files: Record<string, string | Buffer>): Promise<void> {
  const stage = mkdtempSync(join(work, 'stage-'));
  const tops = new Set<string>();
  for (const [p, content] of Object.entries(files)) {
    tops.add(p.split('/')[0] ?? p);
    const full = join(stage, p);
    if (p.endsWith('/')) {
      mkdirSync(full, { recursive: true });
    } else {
      mkdirSync(dirname(full), { recursive: true });
      writeFileSync(full, content);
    }
  }
  const tar = join(work, `${to}-${tops.size}-${Date.now()}.tar`);
  await run('tar', [
    '-C', stage, '-cf', tar, '--sort=name', '--owner=0', '--group=0', '--numeric-owner',
    '--mtime=@1700000000', '--format=gnu', '--', ...[...tops].sort(),
  ]);
  await umoci('raw', 'add-layer', '--image', `${layout}:${from}`, '--tag', to, tar);
  rmSync(stage, { recursive: true, force: true });
  rmSync(tar, { force: true });
}

const setPlatform = (p: Platform) => (c: ImageConfig): void => {
  c.os = p.os;
  c.architecture = p.architecture;
  if (p.variant) c.variant = p.variant;
  else delete c.variant;
};

/**
 * One image per platform: busybox (i386 binary for all; only the metadata differs) plus a
 * small layer with /etc/tabdock-platform naming the platform, so every platform has its
 * own diff IDs and a test can tell which one was pulled.
 */
async function buildPlatformImages(layout: string, work: string, platforms: Platform[]): Promise<Descriptor[]> {
  await buildBusybox(layout, work, 'base');
  const out: Descriptor[] = [];
  for (const p of platforms) {
    const name = [p.os, p.architecture, p.variant].filter(Boolean).join('-');
    await addLayer(layout, work, 'base', `p-${name}`, {
      'etc/tabdock-platform': `${[p.os, p.architecture, p.variant].filter(Boolean).join('/')}\n`,
    });
    const d = editConfig(layout, `p-${name}`, `p-${name}`, setPlatform(p));
    out.push({ ...d, platform: p });
  }
  return out;
}

/** A buildx-style attestation manifest for `subject` (in-toto layer, platform unknown/unknown). */
function attestationFor(layout: string, subject: Descriptor): Descriptor {
  const statement = JSON.stringify({
    _type: 'https://in-toto.io/Statement/v0.1',
    predicateType: 'https://slsa.dev/provenance/v0.2',
    subject: [{ name: 'tabdock-fixture', digest: { sha256: subject.digest.slice(7) } }],
    predicate: { builder: { id: 'tabdock-test' } },
  });
  const layer = writeBlob(layout, MT.inToto, statement);
  const config = writeJsonBlob(layout, MT.ociConfig, {
    architecture: 'unknown', os: 'unknown', config: {},
    rootfs: { type: 'layers', diff_ids: [layer.digest] },
  });
  const manifest = writeJsonBlob(layout, MT.ociManifest, {
    schemaVersion: 2, mediaType: MT.ociManifest, config,
    layers: [{ ...layer, annotations: { 'in-toto.io/predicate-type': 'https://slsa.dev/provenance/v0.2' } }],
  });
  return {
    ...manifest,
    platform: { os: 'unknown', architecture: 'unknown' },
    annotations: { 'vnd.docker.reference.digest': subject.digest, 'vnd.docker.reference.type': 'attestation-manifest' },
  };
}

function writeIndex(layout: string, manifests: Descriptor[]): void {
  const idx = writeJsonBlob(layout, MT.ociIndex, { schemaVersion: 2, mediaType: MT.ociIndex, manifests });
  setTag(layout, TAG, idx);
}

/** Drops the intermediate tags so only `latest` remains (umoci gc then drops their blobs). */
function keepOnlyLatest(layout: string): void {
  const file = join(layout, 'index.json');
  const idx = JSON.parse(readFileSync(file, 'utf8')) as Index;
  idx.manifests = idx.manifests.filter((m) => m.annotations?.['org.opencontainers.image.ref.name'] === TAG);
  writeFileSync(file, JSON.stringify(idx));
}

// amd64 first: a client that takes the first entry instead of matching picks the wrong one.
const MULTI_PLATFORMS: Platform[] = [
  { os: 'linux', architecture: 'amd64' },
  { os: 'linux', architecture: '386' },
  { os: 'linux', architecture: 'arm', variant: 'v7' },
];

export const BUILDERS: Record<FixtureName, Builder> = {
  async busybox(layout, work) {
    await buildBusybox(layout, work, TAG);
  },

  async multi(layout, work) {
    const [amd64, p386, armv7] = await buildPlatformImages(layout, work, MULTI_PLATFORMS);
    if (!p386 || !amd64 || !armv7) throw new Error('platform images missing');
    writeIndex(layout, [amd64, p386, armv7, attestationFor(layout, p386)]);
    keepOnlyLatest(layout);
  },

  async 'multi-noattest'(layout, work) {
    writeIndex(layout, await buildPlatformImages(layout, work, MULTI_PLATFORMS));
    keepOnlyLatest(layout);
  },

  // Platforms nothing here runs or emulates (only their metadata: the binary is i386's).
  async unemulated(layout, work) {
    const images = await buildPlatformImages(layout, work, [
      { os: 'linux', architecture: 's390x' },
      { os: 'linux', architecture: 'ppc64le' },
    ]);
    writeIndex(layout, images);
    keepOnlyLatest(layout);
  },

  async 'unemulated-single'(layout, work) {
    const [s390x] = await buildPlatformImages(layout, work, [{ os: 'linux', architecture: 's390x' }]);
    if (!s390x) throw new Error('s390x image missing');
    setTag(layout, TAG, { mediaType: s390x.mediaType, digest: s390x.digest, size: s390x.size });
    keepOnlyLatest(layout);
  },

  // Real binaries of other machines, run through QEMU in the guest (issue 16).
  async 'busybox-amd64'(layout, work) {
    await buildForeignBusybox(layout, work, TAG, { os: 'linux', architecture: 'amd64' });
  },
  async 'busybox-arm64'(layout, work) {
    await buildForeignBusybox(layout, work, TAG, { os: 'linux', architecture: 'arm64' });
  },
  async 'busybox-armv7'(layout, work) {
    await buildForeignBusybox(layout, work, TAG, { os: 'linux', architecture: 'arm', variant: 'v7' });
  },

  /** An index with no linux/386: amd64 listed after arm64, so a client must choose amd64 by preference, not by order. */
  async 'foreign-multi'(layout, work) {
    const arm64 = await buildForeignBusybox(layout, work, 'p-arm64', { os: 'linux', architecture: 'arm64', variant: 'v8' });
    const amd64 = await buildForeignBusybox(layout, work, 'p-amd64', { os: 'linux', architecture: 'amd64' });
    const armv7 = await buildForeignBusybox(layout, work, 'p-armv7', { os: 'linux', architecture: 'arm', variant: 'v7' });
    writeIndex(layout, [arm64, amd64, armv7]);
    keepOnlyLatest(layout);
  },

  /** amd64 busybox plus Debian's dynamically linked amd64 coreutils on glibc (libc6:amd64). */
  async 'amd64-dynamic'(layout, work) {
    await buildForeignBusybox(layout, work, TAG, { os: 'linux', architecture: 'amd64' });
    const libc = await debFiles('libc6', 'amd64', work);
    const core = await debFiles('coreutils', 'amd64', work);
    // The loader and libraries as the package lays them out (symlinks kept: /lib64/ld-linux-x86-64.so.2).
    const stage = mkdtempSync(join(work, 'dyn-'));
    for (const d of ['lib', 'lib64', 'usr']) if (existsSync(join(libc, d))) await run('cp', ['-a', join(libc, d), stage]);
    rmSync(join(stage, 'usr', 'share'), { recursive: true, force: true });
    // Only the programs the test runs, beside busybox's /bin (not replacing its applets).
    mkdirSync(join(stage, 'usr', 'local', 'bin'), { recursive: true });
    for (const prog of ['true', 'false', 'echo', 'uname', 'ls']) copyFileSync(join(core, 'bin', prog), join(stage, 'usr', 'local', 'bin', prog));
    const tar = join(work, 'dyn.tar');
    await run('tar', ['-C', stage, '-cf', tar, '--sort=name', '--owner=0', '--group=0', '--numeric-owner', '--mtime=@1700000000', '--format=gnu', '--', ...readdirSync(stage).sort()]);
    await umoci('raw', 'add-layer', '--image', `${layout}:${TAG}`, '--tag', TAG, tar);
  },

  async whiteouts(layout, work) {
    await umoci('init', '--layout', layout);
    await umoci('new', '--image', `${layout}:${TAG}`);
    for (const files of WHITEOUT_LAYERS) await addLayer(layout, work, TAG, TAG, files);
    editConfig(layout, TAG, TAG, (c) => {
      setPlatform({ os: 'linux', architecture: '386' })(c);
      c.config = { ...(c.config ?? {}), Env: [PATH_ENV], Labels: { 'org.tabdock.fixture': 'whiteouts' } };
    });
  },

  /**
   * busybox whose gzip layer is cut in half. The blob's digest and size are those of the cut
   * bytes, so the download verifies; only decompression fails (unexpected end of stream).
   * The config's diff_id is still that of the whole tar.
   */
  async 'truncated-gzip'(layout, work) {
    await buildBusybox(layout, work, TAG);
    rewriteLayers(layout, TAG, (l, data) => ({ mediaType: l.mediaType, data: data.subarray(0, data.length >> 1) }));
  },

  async big(layout, work) {
    await buildBusybox(layout, work, TAG);
    // Random bytes: gzip cannot shrink them, so the layer stays ~32 MiB on the wire.
    await addLayer(layout, work, TAG, TAG, { 'data/big.bin': randomBytes(32 << 20) });
    editConfig(layout, TAG, TAG, (c) => {
      c.config = { ...(c.config ?? {}), Labels: { 'org.tabdock.fixture': 'big' } };
    });
  },
};

/**
 * The `whiteouts` layers (OCI image-spec `layer.md`, "Whiteouts"). Applied in order, the
 * result must be exactly WHITEOUT_RESULT.
 */
export const WHITEOUT_LAYERS: readonly Record<string, string>[] = [
  {
    'etc/hostname': 'base\n',
    'keep.txt': 'keep\n',
    'gone.txt': 'to be deleted\n',
    'reborn.txt': 'first life\n',
    'opaque/a.txt': 'a\n',
    'opaque/sub/b.txt': 'b\n',
    'dir2file/x.txt': 'x\n',
    file2dir: 'a file that becomes a directory\n',
    'gonedir/y.txt': 'y\n',
  },
  {
    '.wh.gone.txt': '',
    '.wh.reborn.txt': '',
    '.wh.gonedir': '',
    'opaque/.wh..wh..opq': '',
    'opaque/new.txt': 'new\n',
    dir2file: 'a directory that became a file\n',
    'file2dir/inner.txt': 'inside the new directory\n',
  },
  {
    'reborn.txt': 'second life\n',
  },
];

/** Regular files (path -> content) of the `whiteouts` image once all layers are applied. */
export const WHITEOUT_RESULT: Readonly<Record<string, string>> = {
  'etc/hostname': 'base\n',
  'keep.txt': 'keep\n',
  'reborn.txt': 'second life\n',
  'opaque/new.txt': 'new\n',
  dir2file: 'a directory that became a file\n',
  'file2dir/inner.txt': 'inside the new directory\n',
};
