// Real OCI image fixtures, built with umoci from Debian's i386 `busybox-static` and cached
// per machine. Each fixture is its own OCI image layout under
// `os.tmpdir()/tabdock-fixtures-<hash of the build code>/<name>`; a build happens in a temp
// dir and is renamed into place, so concurrent test files never see half a layout.
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { BUILDERS, FIXTURE_NAMES, TAG, type Builder, type FixtureName } from './fixture-builders.ts';
import { MT, allLayers, platformOf, readJson, rewriteLayers, tagged, type Descriptor, type ImageConfig, type Index, type Manifest, type Platform } from './oci-layout.ts';
import { run } from './proc.ts';

export { FIXTURE_NAMES, WHITEOUT_LAYERS, WHITEOUT_RESULT, busyboxI386, type FixtureName } from './fixture-builders.ts';

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
const VERSION = ['fixtures.ts', 'fixture-builders.ts', 'oci-layout.ts']
  .reduce((h, f) => h.update(readFileSync(join(HERE, f))), createHash('sha256'))
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
          await run('skopeo', [
            '--insecure-policy', 'copy', '--quiet', ...all,
            '--dest-compress', '--dest-compress-format', 'zstd', src, `oci:${layout}:${TAG}`,
          ]);
          // skopeo may reuse a blob instead of recompressing it: make sure it did not.
          const kept = allLayers(layout, TAG).find((l) => /gzip|\.tar$/.test(l.mediaType));
          if (kept) throw new Error(`zstd variant of ${name} kept a ${kept.mediaType} layer`);
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
