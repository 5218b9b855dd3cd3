// Minimal hand-editing of OCI image layouts (image-spec `image-layout.md`) for what umoci
// cannot do: platform variants, hand-written indexes, reading the facts back.
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const MT = {
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  inToto: 'application/vnd.in-toto+json',
  ociLayerTar: 'application/vnd.oci.image.layer.v1.tar',
  ociLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
} as const;

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: Platform;
  annotations?: Record<string, string>;
}

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

export interface Manifest {
  schemaVersion: 2;
  mediaType?: string;
  config: Descriptor;
  layers: Descriptor[];
  annotations?: Record<string, string>;
}

export interface Index {
  schemaVersion: 2;
  mediaType?: string;
  manifests: Descriptor[];
}

export interface ImageConfig {
  os: string;
  architecture: string;
  variant?: string;
  config?: Record<string, unknown>;
  rootfs: { type: 'layers'; diff_ids: string[] };
  [k: string]: unknown;
}

const REF_NAME = 'org.opencontainers.image.ref.name';

export function readBlob(layout: string, digest: string): Buffer {
  const [alg, hex] = digest.split(':');
  return readFileSync(join(layout, 'blobs', alg ?? '', hex ?? ''));
}

export function readJson<T>(layout: string, digest: string): T {
  return JSON.parse(readBlob(layout, digest).toString()) as T;
}

/** Stores `data` as a blob and returns its descriptor (without platform/annotations). */
export function writeBlob(layout: string, mediaType: string, data: Buffer | string): Descriptor {
  const buf = Buffer.from(data);
  const hex = createHash('sha256').update(buf).digest('hex');
  writeFileSync(join(layout, 'blobs', 'sha256', hex), buf);
  return { mediaType, digest: `sha256:${hex}`, size: buf.length };
}

export function writeJsonBlob(layout: string, mediaType: string, value: unknown): Descriptor {
  return writeBlob(layout, mediaType, JSON.stringify(value));
}

function readIndexJson(layout: string): Index {
  return JSON.parse(readFileSync(join(layout, 'index.json'), 'utf8')) as Index;
}

/** The descriptor that `index.json` tags with `tag`. */
export function tagged(layout: string, tag: string): Descriptor {
  const d = readIndexJson(layout).manifests.find((m) => m.annotations?.[REF_NAME] === tag);
  if (!d) throw new Error(`no tag ${tag} in ${layout}`);
  return d;
}

/** Points `tag` in `index.json` at `desc`, replacing an earlier entry of the same tag. */
export function setTag(layout: string, tag: string, desc: Descriptor): void {
  const idx = readIndexJson(layout);
  idx.manifests = idx.manifests.filter((m) => m.annotations?.[REF_NAME] !== tag);
  idx.manifests.push({ mediaType: desc.mediaType, digest: desc.digest, size: desc.size, annotations: { [REF_NAME]: tag } });
  writeFileSync(join(layout, 'index.json'), JSON.stringify(idx));
}

/** Rewrites the config of the image tagged `from` and tags the result `to`. */
export function editConfig(layout: string, from: string, to: string, edit: (c: ImageConfig) => void): Descriptor {
  const mdesc = tagged(layout, from);
  const manifest = readJson<Manifest>(layout, mdesc.digest);
  const config = readJson<ImageConfig>(layout, manifest.config.digest);
  edit(config);
  manifest.config = writeJsonBlob(layout, MT.ociConfig, config);
  const out = writeJsonBlob(layout, MT.ociManifest, manifest);
  setTag(layout, to, out);
  return out;
}

export function platformOf(layout: string, manifestDigest: string): Platform {
  const m = readJson<Manifest>(layout, manifestDigest);
  const c = readJson<ImageConfig>(layout, m.config.digest);
  return c.variant ? { os: c.os, architecture: c.architecture, variant: c.variant } : { os: c.os, architecture: c.architecture };
}

/**
 * Rewrites every layer of the image or index tagged `tag` through `fn` (null keeps a layer),
 * then the manifests and index that point at them, and re-tags the result.
 */
export function rewriteLayers(
  layout: string,
  tag: string,
  fn: (layer: Descriptor, data: Buffer) => { mediaType: string; data: Buffer } | null,
): Descriptor {
  const rewriteManifest = (d: Descriptor): Descriptor => {
    const m = readJson<Manifest>(layout, d.digest);
    m.layers = m.layers.map((l) => {
      const out = fn(l, readBlob(layout, l.digest));
      if (!out) return l;
      const nd = writeBlob(layout, out.mediaType, out.data);
      return l.annotations ? { ...nd, annotations: l.annotations } : nd;
    });
    const nd = writeJsonBlob(layout, d.mediaType, m);
    return { ...nd, ...(d.platform ? { platform: d.platform } : {}), ...(d.annotations ? { annotations: d.annotations } : {}) };
  };
  const top = tagged(layout, tag);
  let out: Descriptor;
  if (top.mediaType === MT.ociIndex) {
    const idx = readJson<Index>(layout, top.digest);
    idx.manifests = idx.manifests.map(rewriteManifest);
    out = writeJsonBlob(layout, MT.ociIndex, idx);
  } else {
    out = rewriteManifest(top);
  }
  setTag(layout, tag, out);
  return out;
}

/** Every layer descriptor of the image or index tagged `tag`. */
export function allLayers(layout: string, tag: string): Descriptor[] {
  const top = tagged(layout, tag);
  const manifests = top.mediaType === MT.ociIndex ? readJson<Index>(layout, top.digest).manifests : [top];
  return manifests.flatMap((d) => readJson<Manifest>(layout, d.digest).layers);
}
