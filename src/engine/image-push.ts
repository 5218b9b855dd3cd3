import type { BlobStore } from '../fs-layers/index.ts';
import { Digest, layerKind, parseReference, type RegistryClient } from '../registry-client/index.ts';
import { TabdockError } from '../shared/errors.ts';
import type { ImageRecord } from './image-record.ts';
import type { ImageStore } from './image-store.ts';

export type PushStatus = 'Preparing' | 'Waiting' | 'Pushing' | 'Pushed' | 'Layer already exists' | `Mounted from ${string}`;

/** Progress of a push, per layer (Docker's jsonmessage lines: `ID: Pushed`). */
export type PushEvent = { type: 'layer'; id: string; status: PushStatus; done?: number; total?: number };

export interface PushSummary {
  /** The tag pushed (`v1`). */
  tag: string;
  /** The manifest's digest, as the registry now names it. */
  digest: string;
  /** The manifest's size in bytes. */
  size: number;
}

export interface PushOptions {
  onProgress?: (e: PushEvent) => void;
  /** Blobs above this go up in PATCH chunks (registry-client push.ts). */
  chunkSize?: number;
  /** Uploads at once (Docker's max-concurrent-uploads: 5). */
  concurrency?: number;
}

export interface PushDeps {
  registry: RegistryClient;
  blobs: BlobStore;
  images: ImageStore;
}

/**
 * `docker push NAME[:TAG]` (moby distribution/push_v2.go): the image the tag names goes up
 * as it is stored (its manifest's bytes, so its digest is kept): each layer's blob unless
 * the repository has it (HEAD) or can mount it from another repository of the same
 * registry that an image here came from, then the config, then the manifest under the tag.
 * Non-distributable layers are not pushed (as Docker). The image gets the pushed
 * `name@digest` as a RepoDigest.
 */
export async function pushImage(d: PushDeps, text: string, opts: PushOptions = {}): Promise<PushSummary> {
  const ref = parseReference(text);
  if (ref.digest) throw new TabdockError('INVALID_REFERENCE', `cannot push a digest reference (${text}): push a tag`, { reference: text });
  const tag = ref.tag ?? 'latest';
  const id = await d.images.resolveTag(`${ref.name}:${tag}`);
  const img = id ? await d.images.get(id) : undefined;
  if (!img) throw new TabdockError('NO_SUCH_IMAGE', `An image does not exist locally with the tag: ${ref.familiarName}`, { image: text });
  if (img.layers.some((l) => l.file)) throw new TabdockError('UNSUPPORTED', `${text} is a WebAssembly artifact; tabdock pushes container images only`, { image: text });
  const manifestDigest = Digest.parse(img.manifestDigest);
  const manifest = await readAll(d.blobs, manifestDigest, 'the manifest');
  const pusher = d.registry.pusher(ref);
  const sources = await mountSources(d.images, ref.registry);
  const emit = opts.onProgress ?? (() => {});
  const layers = img.layers.map((l) => ({ ...l, id: Digest.parse(l.diffId).hex.slice(0, 12) })).reverse();
  for (const l of layers) emit({ type: 'layer', id: l.id, status: 'Preparing' });
  const limit = opts.concurrency ?? 5;
  for (const l of layers.slice(limit)) emit({ type: 'layer', id: l.id, status: 'Waiting' });
  let next = 0;
  const worker = async () => {
    while (next < layers.length) {
      const l = layers[next++]!;
      if (layerKind(l.mediaType)?.foreign) continue;
      const digest = Digest.parse(l.digest);
      if (!(await d.blobs.has(digest))) throw new TabdockError('LAYER_MISSING', `layer ${digest.short} of ${text} is not in the store; pull the image again to push it`, { digest: l.digest });
      const r = await pusher.pushBlob({ digest, size: l.size, open: () => openBlob(d.blobs, digest), read: () => readBlob(d.blobs, digest, l.size) }, {
        mountFrom: sources.get(l.digest) ?? [],
        ...(opts.chunkSize ? { chunkSize: opts.chunkSize } : {}),
        onProgress: (done, total) => emit({ type: 'layer', id: l.id, status: 'Pushing', done, total }),
      });
      emit({ type: 'layer', id: l.id, status: r.status === 'exists' ? 'Layer already exists' : r.status === 'mounted' ? `Mounted from ${r.from}` : 'Pushed' });
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, layers.length) }, worker));
  const config = Digest.parse(img.id);
  const cfgSize = await d.blobs.size(config);
  if (cfgSize === undefined) throw new TabdockError('LAYER_MISSING', `the config of ${text} is not in the store`, { digest: img.id });
  await pusher.pushBlob({ digest: config, size: cfgSize, open: () => openBlob(d.blobs, config) });
  const pushed = await pusher.putManifest(tag, manifest, img.manifestMediaType);
  await d.images.save(img, { digestRef: `${ref.name}@${pushed}` });
  return { tag, digest: pushed.toString(), size: manifest.byteLength };
}

/** For each layer blob, the repositories of `registry` that images here came from or went to (cross-repository mount sources). */
async function mountSources(images: ImageStore, registry: string): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  for (const r of await images.list()) {
    const repos = new Set<string>();
    for (const name of [...r.repoDigests, ...r.repoTags]) {
      try {
        const ref = parseReference(name);
        if (ref.registry === registry) repos.add(ref.repository);
      } catch {
        // a name that does not parse names no source
      }
    }
    for (const l of r.layers) out.set(l.digest, [...new Set([...(out.get(l.digest) ?? []), ...repos])]);
  }
  return out;
}

async function openBlob(blobs: BlobStore, d: Digest): Promise<ReadableStream<Uint8Array>> {
  const s = await blobs.get(d);
  if (!s) throw new TabdockError('LAYER_MISSING', `blob ${d.short} went missing from the store`, { digest: d.toString() });
  return s;
}

async function readBlob(blobs: BlobStore, d: Digest, size: number): Promise<Uint8Array> {
  const b = await blobs.read(d, 0, size);
  if (!b) throw new TabdockError('LAYER_MISSING', `blob ${d.short} went missing from the store`, { digest: d.toString() });
  return b;
}

async function readAll(blobs: BlobStore, d: Digest, what: string): Promise<Uint8Array> {
  const s = await blobs.get(d);
  if (!s) throw new TabdockError('LAYER_MISSING', `${what} (${d.short}) is not in the store`, { digest: d.toString() });
  return new Uint8Array(await new Response(s).arrayBuffer());
}

export type { ImageRecord };
