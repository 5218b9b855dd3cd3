import { TabdockError } from '../shared/errors.ts';
import { Digest } from './digest.ts';
import { MediaType } from './media-types.ts';
import { formatPlatform, isWasiPlatform, normalizePlatform, platformMatches, type Platform } from './platform.ts';

/** OCI image spec descriptors, manifests and indexes (and Docker's v2s2 equivalents). */
export interface Descriptor {
  mediaType: string;
  digest: Digest;
  size: number;
  urls?: string[];
  annotations?: Record<string, string>;
  platform?: { os: string; architecture: string; variant?: string; 'os.version'?: string; 'os.features'?: string[] };
}

export interface ImageManifest {
  kind: 'manifest';
  mediaType: string;
  config: Descriptor;
  layers: Descriptor[];
  annotations?: Record<string, string>;
}

export interface ImageIndex {
  kind: 'index';
  mediaType: string;
  manifests: Descriptor[];
}

const INDEX_TYPES = new Set<string>([MediaType.OciIndex, MediaType.DockerList]);
const MANIFEST_TYPES = new Set<string>([MediaType.OciManifest, MediaType.DockerManifest]);

function invalid(what: string, why: string): TabdockError {
  return new TabdockError('MANIFEST_INVALID', `the manifest of ${what} is invalid: ${why}`, { what });
}

function descriptor(raw: unknown, what: string): Descriptor {
  const d = raw as Record<string, unknown> | null;
  if (!d || typeof d !== 'object') throw invalid(what, 'a descriptor is not an object');
  if (typeof d['mediaType'] !== 'string') throw invalid(what, 'a descriptor has no mediaType');
  if (typeof d['size'] !== 'number' || !Number.isSafeInteger(d['size']) || d['size'] < 0) throw invalid(what, 'a descriptor has no valid size');
  const digest = Digest.tryParse(String(d['digest']));
  if (!digest) throw invalid(what, `a descriptor has an invalid digest ${JSON.stringify(d['digest'])}`);
  const out: Descriptor = { mediaType: d['mediaType'], digest, size: d['size'] };
  if (Array.isArray(d['urls'])) out.urls = d['urls'].filter((u): u is string => typeof u === 'string');
  if (d['annotations'] && typeof d['annotations'] === 'object') out.annotations = d['annotations'] as Record<string, string>;
  if (d['platform'] && typeof d['platform'] === 'object') out.platform = d['platform'] as Descriptor['platform'];
  return out;
}

/** Parses manifest bytes, telling an index from an image manifest by mediaType. */
export function parseManifest(bytes: Uint8Array, contentType: string | null, what: string): ImageManifest | ImageIndex {
  let j: Record<string, unknown>;
  try {
    j = JSON.parse(new TextDecoder().decode(bytes)) as Record<string, unknown>;
  } catch {
    throw invalid(what, 'it is not JSON');
  }
  if (j['schemaVersion'] === 1) {
    throw new TabdockError('MANIFEST_UNSUPPORTED', `${what} uses Docker image manifest schema 1, which is deprecated and not supported; push it again with a current tool`, { what });
  }
  const ct = contentType?.split(';')[0]?.trim();
  const mediaType = typeof j['mediaType'] === 'string' ? j['mediaType'] : (ct ?? '');
  const isIndex = INDEX_TYPES.has(mediaType) || (!MANIFEST_TYPES.has(mediaType) && Array.isArray(j['manifests']));
  if (isIndex) {
    if (!Array.isArray(j['manifests'])) throw invalid(what, 'an index without manifests');
    return { kind: 'index', mediaType: mediaType || MediaType.OciIndex, manifests: j['manifests'].map((m) => descriptor(m, what)) };
  }
  if (!MANIFEST_TYPES.has(mediaType) && !(j['config'] && Array.isArray(j['layers']))) {
    throw new TabdockError('MANIFEST_UNSUPPORTED', `${what} is not a container image (media type ${mediaType || 'unknown'})`, { what, mediaType });
  }
  if (!Array.isArray(j['layers'])) throw invalid(what, 'no layers');
  const out: ImageManifest = { kind: 'manifest', mediaType: mediaType || MediaType.OciManifest, config: descriptor(j['config'], what), layers: j['layers'].map((l) => descriptor(l, what)) };
  if (j['annotations'] && typeof j['annotations'] === 'object') out.annotations = j['annotations'] as Record<string, string>;
  return out;
}

/** Attestation and signature entries buildx adds beside the real images. */
function isAttestation(d: Descriptor): boolean {
  return d.annotations?.['vnd.docker.reference.type'] === 'attestation-manifest' || (d.platform?.os === 'unknown' && d.platform?.architecture === 'unknown');
}

/** The platforms an index offers, attestations left out. */
export function indexPlatforms(index: ImageIndex): Platform[] {
  return index.manifests.filter((d) => d.platform && !isAttestation(d)).map((d) => normalizePlatform(d.platform!));
}

/**
 * Picks the manifest for `wanted` from an index, or explains what the image has. With
 * `byDefault` (no --platform given), an index whose only platform is WASI is taken as
 * that: tabdock runs those without the guest.
 */
export function selectPlatform(index: ImageIndex, wanted: Platform, what: string, byDefault = false, fallback: readonly Platform[] = []): Descriptor {
  const candidates = index.manifests.filter((d) => d.platform && !isAttestation(d));
  const hit = candidates.find((d) => platformMatches(wanted, d.platform!));
  if (hit) return hit;
  const have = [...new Set(indexPlatforms(index).map(formatPlatform))];
  if (byDefault && have.length === 1 && isWasiPlatform(candidates[0]!.platform!)) return candidates[0]!;
  // Without --platform, the best of the others the caller runs (emulated ones, in its order).
  if (byDefault) {
    for (const f of fallback) {
      const other = candidates.find((d) => platformMatches(f, d.platform!));
      if (other) return other;
    }
  }
  throw noMatchingPlatform(wanted, have, what, byDefault ? fallback : []);
}

export function noMatchingPlatform(wanted: Platform, have: string[], what: string, fallback: readonly Platform[] = []): TabdockError {
  const also = fallback.length ? `, and ${fallback.map(formatPlatform).join(', ')} through QEMU emulation` : '';
  let hint = wanted.os === 'linux' && wanted.architecture === '386' ? ` tabdock runs 32-bit x86 (linux/386) images, what its emulator runs natively${also}.` : '';
  const wasi = have.find((p) => /^wasi(p1)?\/wasm$/.test(p));
  if (wasi && !isWasiPlatform(wanted)) hint += ` It also offers ${wasi}, which tabdock runs without the emulator: add --platform wasi/wasm.`;
  return new TabdockError(
    'NO_MATCHING_PLATFORM',
    `no matching manifest for ${formatPlatform(wanted)} in the manifest list entries of ${what}; it has ${have.length ? have.join(', ') : 'no platforms listed'}.${hint}`,
    { wanted: formatPlatform(wanted), available: have },
  );
}
