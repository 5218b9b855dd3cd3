// Real OCI image fixtures, built with umoci from Debian's i386 `busybox-static` and cached
// per machine. Each fixture is its own OCI image layout under
// `os.tmpdir()/tabdock-fixtures-<hash of this file>/<name>`; a build happens in a temp
// dir and is renamed into place, so concurrent test files never see half a layout.
import { createHash, randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readdirSync, statSync, mkdtempSync, openSync, readSync, closeSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync, copyFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { run } from './proc.ts';
import {
  MT, editConfig, platformOf, readJson, rewriteLayers, setTag, tagged, writeBlob, writeJsonBlob,
  type Descriptor, type ImageConfig, type Index, type Manifest, type Platform,
} from './oci-layout.ts';

export type FixtureName =
  | 'busybox' | 'multi' | 'multi-noattest' | 'amd64only' | 'amd64only-single' | 'whiteouts' | 'big'
  | 'truncated-gzip';
export const FIXTURE_NAMES: readonly FixtureName[] = [
  'busybox', 'multi', 'multi-noattest', 'amd64only', 'amd64only-single', 'whiteouts', 'big', 'truncated-gzip',
];

export interface FixtureVariant {
  /**
   * Layers recompressed with zstd (`tar+zstd`; same config and diff IDs, new layer and
   * manifest digests). Made with `skopeo copy --dest-compress-format zstd` into a layout
   * of its own. Not for `multi` (skopeo cannot rewrite its in-toto attestation layer).
   */
  zstd?: boolean;
  /** Layers stored as plain `tar` (`application/vnd.oci.image.layer.v1.tar`); same config and diff IDs. */
  uncompressed?: boolean;
}

/** The tag every fixture layout uses in its `index.json`. */
const TAG = 'latest';

export interface FixtureManifest {
  platform: Platform;
  /** True for a buildx-style attestation manifest (platform unknown/unknown). */
  attestation: boolean;
  digest: string;
  size: number;
  configDigest: string;
  diffIds: string[];
  layerDigests: string[];
  layerMediaTypes: string[];
  /** Compressed sizes, as in the manifest. */
  layerSizes: number[];
}

export interface FixtureInfo {
  /** `oci:PATH:TAG`, for skopeo. */
  ref: string;
  layoutDir: string;
  /** Set when the fixture is an image index. */
  indexDigest?: string;
  /** Digest of what the tag points at (the index, or the only manifest). */
  digest: string;
  mediaType: string;
  manifests: FixtureManifest[];
}

const HERE = dirname(fileURLToPath(import.meta.url));
const VERSION = createHash('sha256')
  .update(readFileSync(fileURLToPath(import.meta.url)))
  .update(readFileSync(join(HERE, 'oci-layout.ts')))
  .digest('hex')
  .slice(0, 12);
export const FIXTURE_CACHE = join(tmpdir(), `tabdock-fixtures-${VERSION}`);

const building = new Map<string, Promise<string>>();

const layoutName = (name: FixtureName, v: FixtureVariant): string =>
  v.zstd ? `${name}-zstd` : v.uncompressed ? `${name}-tar` : name;

/** Builds (once per machine) and returns the skopeo reference `oci:PATH:latest`. */
export function fixtureLayout(name: FixtureName, variant: FixtureVariant = {}): Promise<string> {
  if (!FIXTURE_NAMES.includes(name)) return Promise.reject(new Error(`unknown fixture ${name}`));
  if (variant.zstd && name === 'multi') {
    return Promise.reject(new Error("no zstd variant of 'multi' (in-toto layer); use 'multi-noattest'"));
  }
  if (variant.zstd && variant.uncompressed) return Promise.reject(new Error('zstd or uncompressed, not both'));
  const key = layoutName(name, variant);
  let p = building.get(key);
  if (!p) {
    const build: Builder = variant.zstd
      ? async (layout) => {
          const src = await fixtureLayout(name);
          const all = tagged(join(FIXTURE_CACHE, name), TAG).mediaType === MT.ociIndex ? ['--all'] : [];
          await run('skopeo', ['copy', '--quiet', ...all, '--dest-compress', '--dest-compress-format', 'zstd', src, `oci:${layout}:${TAG}`]);
        }
      : variant.uncompressed
        ? async (layout) => {
            // Derived from the built fixture, so config and diff IDs are the same.
            await fixtureLayout(name);
            cpSync(join(FIXTURE_CACHE, name), layout, { recursive: true });
            rewriteLayers(layout, TAG, (l, data) =>
              l.mediaType === MT.ociLayerGzip ? { mediaType: MT.ociLayerTar, data: gunzipSync(data) } : null,
            );
          }
        : BUILDERS[name];
    p = ensureBuilt(key, build).then((dir) => `oci:${dir}:${TAG}`);
    building.set(key, p);
    p.catch(() => building.delete(key));
  }
  return p;
}

async function ensureBuilt(key: string, build: Builder): Promise<string> {
  const final = join(FIXTURE_CACHE, key);
  if (existsSync(join(final, 'index.json'))) return final;
  if (!existsSync(FIXTURE_CACHE)) pruneStaleCaches();
  mkdirSync(FIXTURE_CACHE, { recursive: true });
  const work = mkdtempSync(join(FIXTURE_CACHE, `.build-${key}-`));
  try {
    const layout = join(work, 'layout');
    await build(layout, work);
    await run('umoci', ['gc', '--layout', layout]);
    try {
      renameSync(layout, final);
    } catch (e) {
      // Another process finished first: its layout is as good as ours.
      if (!existsSync(join(final, 'index.json'))) throw e;
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return final;
}

/** Caches of older versions of this file, untouched for a day, are dropped. */
function pruneStaleCaches(): void {
  const dayAgo = Date.now() - 24 * 3600 * 1000;
  for (const entry of readdirSync(tmpdir())) {
    if (!/^tabdock-fixtures-[0-9a-f]{12}$/.test(entry)) continue;
    const dir = join(tmpdir(), entry);
    try {
      if (dir !== FIXTURE_CACHE && statSync(dir).mtimeMs < dayAgo) rmSync(dir, { recursive: true, force: true });
    } catch {
      // Another process pruned it first.
    }
  }
}

/** Facts about a built fixture, read back from its layout. */
export async function fixtureInfo(name: FixtureName, variant: FixtureVariant = {}): Promise<FixtureInfo> {
  const ref = await fixtureLayout(name, variant);
  const layoutDir = join(FIXTURE_CACHE, layoutName(name, variant));
  const top = tagged(layoutDir, TAG);
  const describe = (d: Descriptor): FixtureManifest => {
    const m = readJson<Manifest>(layoutDir, d.digest);
    const c = readJson<ImageConfig>(layoutDir, m.config.digest);
    return {
      platform: d.platform ?? platformOf(layoutDir, d.digest),
      attestation: d.annotations?.['vnd.docker.reference.type'] === 'attestation-manifest',
      digest: d.digest,
      size: d.size,
      configDigest: m.config.digest,
      diffIds: c.rootfs?.diff_ids ?? [],
      layerDigests: m.layers.map((l) => l.digest),
      layerMediaTypes: m.layers.map((l) => l.mediaType),
      layerSizes: m.layers.map((l) => l.size),
    };
  };
  if (top.mediaType === MT.ociIndex) {
    const idx = readJson<Index>(layoutDir, top.digest);
    return { ref, layoutDir, indexDigest: top.digest, digest: top.digest, mediaType: top.mediaType, manifests: idx.manifests.map(describe) };
  }
  return { ref, layoutDir, digest: top.digest, mediaType: top.mediaType, manifests: [describe(top)] };
}

// ---------------------------------------------------------------------------------------
// Builders

type Builder = (layout: string, work: string) => Promise<void>;

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

/** busybox rootfs through umoci unpack/repack, then Cmd/Env/label, as `tag`. */
async function buildBusybox(layout: string, work: string, tag: string, arch = '386'): Promise<void> {
  if (!existsSync(join(layout, 'index.json'))) await umoci('init', '--layout', layout);
  await umoci('new', '--image', `${layout}:${tag}`);
  const bundle = join(work, `bundle-${tag}`);
  await umoci('unpack', '--rootless', '--image', `${layout}:${tag}`, bundle);
  const rootfs = join(bundle, 'rootfs');
  for (const d of ['bin', 'etc', 'tmp', 'root']) mkdirSync(join(rootfs, d), { recursive: true });
  copyFileSync(busyboxI386(), join(rootfs, 'bin', 'busybox'));
  chmodSync(join(rootfs, 'bin', 'busybox'), 0o755);
  for (const a of BUSYBOX_APPLETS) symlinkSync('busybox', join(rootfs, 'bin', a));
  writeFileSync(join(rootfs, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
  writeFileSync(join(rootfs, 'etc', 'group'), 'root:x:0:\n');
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

const BUILDERS: Record<FixtureName, Builder> = {
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

  async amd64only(layout, work) {
    const images = await buildPlatformImages(layout, work, [
      { os: 'linux', architecture: 'amd64' },
      { os: 'linux', architecture: 'arm64', variant: 'v8' },
    ]);
    writeIndex(layout, images);
    keepOnlyLatest(layout);
  },

  async 'amd64only-single'(layout, work) {
    const [amd64] = await buildPlatformImages(layout, work, [{ os: 'linux', architecture: 'amd64' }]);
    if (!amd64) throw new Error('amd64 image missing');
    setTag(layout, TAG, { mediaType: amd64.mediaType, digest: amd64.digest, size: amd64.size });
    keepOnlyLatest(layout);
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
