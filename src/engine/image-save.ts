import { createTarPacker } from 'modern-tar';
import { decompressor, type BlobStore } from '../fs-layers/index.ts';
import { Digest, layerKind, MediaType, sha256 } from '../registry-client/index.ts';
import { TabdockError } from '../shared/errors.ts';
import type { ImageRecord } from './image-record.ts';
import { familiar } from './images.ts';

/** One image to save and the tags it goes under (`docker save busybox:1 busybox:2`). */
export interface SaveItem {
  image: ImageRecord;
  /** Full tag references (`docker.io/library/busybox:latest`); none: saved by ID. */
  tags: string[];
}

const LAYER_TAR = 'application/vnd.oci.image.layer.v1.tar';

/**
 * `docker save`: one tar that is both a docker-archive and an OCI image layout, as Docker
 * 25 writes it (moby image/tarexport): `blobs/sha256/<hex>` holds the configs, the layers
 * as uncompressed tars (named by their diff IDs) and an OCI manifest per image;
 * `index.json` and `oci-layout` make it an OCI layout (`oci-archive:` in skopeo), and
 * `manifest.json` (Config, RepoTags, Layers as paths) and `repositories` make it the
 * docker-archive every Docker and skopeo's `docker-archive:` read. Docker 20.10's
 * `<id>/layer.tar` directories are not written: its readers go by manifest.json's paths.
 * `write` is awaited for each piece (backpressure across the RPC).
 */
export async function saveImages(blobs: BlobStore, items: readonly SaveItem[], write: (b: Uint8Array) => Promise<unknown> | void): Promise<void> {
  for (const { image } of items) {
    if (image.layers.some((l) => l.file)) throw new TabdockError('UNSUPPORTED', `${familiar(image.repoTags[0] ?? image.id)} is a WebAssembly artifact; docker save writes container images only`, { image: image.id });
  }
  const { readable, controller } = createTarPacker();
  const pumped = (async () => {
    const r = readable.getReader();
    for (let c = await r.read(); !c.done; c = await r.read()) await write(c.value);
  })();
  const failed = pumped.then(() => new Promise<never>(() => {}));
  const mtime = new Date(0);
  const file = async (name: string, bytes: Uint8Array) => {
    const w = controller.add({ name, size: bytes.byteLength, type: 'file', mode: 0o644, mtime }).getWriter();
    await w.write(bytes);
    await w.close();
  };
  const dir = (name: string) => controller.add({ name, size: 0, type: 'directory', mode: 0o755, mtime }).close();
  const enc = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));
  const work = (async () => {
    await dir('blobs/');
    await dir('blobs/sha256/');
    const written = new Set<string>();
    const docker: { Config: string; RepoTags: string[] | null; Layers: string[] }[] = [];
    const index: { mediaType: string; digest: string; size: number; annotations?: Record<string, string> }[] = [];
    const repositories: Record<string, Record<string, string>> = {};
    for (const { image, tags } of items) {
      const cfg = Digest.parse(image.id);
      if (!written.has(cfg.hex)) {
        const bytes = await readAll(blobs, cfg, `the config of ${image.id.slice(7, 19)}`);
        await file(`blobs/sha256/${cfg.hex}`, bytes);
        written.add(cfg.hex);
      }
      const layers: { mediaType: string; digest: string; size: number }[] = [];
      for (const l of image.layers) {
        const diff = Digest.parse(l.diffId);
        if (!written.has(diff.hex)) {
          await layerFile(controller, blobs, l, diff, mtime);
          written.add(diff.hex);
        }
        layers.push({ mediaType: LAYER_TAR, digest: l.diffId, size: l.uncompressedSize });
      }
      const cfgSize = (await blobs.size(cfg))!;
      const manifest = enc({ schemaVersion: 2, mediaType: MediaType.OciManifest, config: { mediaType: MediaType.OciConfig, digest: image.id, size: cfgSize }, layers });
      const md = await sha256Of(manifest);
      if (!written.has(md.hex)) {
        await file(`blobs/sha256/${md.hex}`, manifest);
        written.add(md.hex);
      }
      const names = tags.map((t) => familiar(t));
      docker.push({ Config: `blobs/sha256/${cfg.hex}`, RepoTags: names.length ? names : null, Layers: image.layers.map((l) => `blobs/sha256/${Digest.parse(l.diffId).hex}`) });
      const base = { mediaType: MediaType.OciManifest, digest: md.toString(), size: manifest.byteLength };
      if (tags.length === 0) index.push(base);
      for (const [i, t] of tags.entries()) {
        index.push({ ...base, annotations: { 'io.containerd.image.name': t, 'org.opencontainers.image.ref.name': t.slice(t.lastIndexOf(':') + 1) } });
        const n = names[i]!;
        const repo = n.slice(0, n.lastIndexOf(':'));
        (repositories[repo] ??= {})[n.slice(n.lastIndexOf(':') + 1)] = Digest.parse(image.layers.at(-1)?.diffId ?? image.id).hex;
      }
    }
    await file('index.json', enc({ schemaVersion: 2, mediaType: MediaType.OciIndex, manifests: index }));
    await file('manifest.json', enc(docker));
    await file('oci-layout', enc({ imageLayoutVersion: '1.0.0' }));
    if (Object.keys(repositories).length) await file('repositories', enc(repositories));
    controller.finalize();
    await pumped;
  })();
  await Promise.race([work, failed]);
}

/** A layer as its uncompressed tar, inflated from the stored blob on the way, checked against its size. */
async function layerFile(controller: ReturnType<typeof createTarPacker>['controller'], blobs: BlobStore, l: ImageRecord['layers'][number], diff: Digest, mtime: Date): Promise<void> {
  const d = Digest.parse(l.digest);
  const src = await blobs.get(d);
  if (!src) throw new TabdockError('LAYER_MISSING', `layer ${d.short} is not in the store; pull the image again to save it`, { digest: l.digest });
  const kind = layerKind(l.mediaType);
  if (!kind) throw new TabdockError('UNSUPPORTED_LAYER', `layer ${d.short} has media type ${l.mediaType}, which docker save cannot write as a tar`, { mediaType: l.mediaType });
  const w = controller.add({ name: `blobs/sha256/${diff.hex}`, size: l.uncompressedSize, type: 'file', mode: 0o644, mtime }).getWriter();
  const r = src.pipeThrough(decompressor(kind.compression, `layer ${d.short}`)).getReader();
  let n = 0;
  for (let c = await r.read(); !c.done; c = await r.read()) {
    n += c.value.byteLength;
    if (n > l.uncompressedSize) throw new TabdockError('SIZE_MISMATCH', `layer ${d.short} inflates to more than the ${l.uncompressedSize} bytes recorded for it`, {});
    await w.write(c.value);
  }
  if (n !== l.uncompressedSize) throw new TabdockError('SIZE_MISMATCH', `layer ${d.short} inflates to ${n} bytes, not the ${l.uncompressedSize} recorded for it`, {});
  await w.close();
}

async function readAll(blobs: BlobStore, d: Digest, what: string): Promise<Uint8Array> {
  const s = await blobs.get(d);
  if (!s) throw new TabdockError('LAYER_MISSING', `${what} is not in the store`, { digest: d.toString() });
  return new Uint8Array(await new Response(s).arrayBuffer());
}

function sha256Of(b: Uint8Array): Promise<Digest> {
  return sha256(b);
}
