import { decompressor, type BlobStore, type Gunzip, type MetaStore } from '../fs-layers/index.ts';
import {
  Digest, isWasmLayer, type Compression, layerKind, parseReference, sha256Hasher, type Descriptor, type Platform, type RegistryClient, type ResolvedImage,
} from '../registry-client/index.ts';
import { TabdockError } from '../shared/errors.ts';
import type { ImageRecord, LayerRecord } from './image-record.ts';
import type { ImageStore } from './image-store.ts';
import { wasmLayerDiffId, wasmLayerPaths, withWasmEntrypoint } from './wasi/artifact.ts';

/** Docker's per-layer pull states, in the order they happen. */
export type LayerStatus = 'Already exists' | 'Pulling fs layer' | 'Waiting' | 'Downloading' | 'Verifying Checksum' | 'Download complete' | 'Extracting' | 'Pull complete';

export type PullEvent =
  | { type: 'resolving'; reference: string }
  | { type: 'resolved'; reference: string; digest: string; platform: Platform; layers: { id: string; size: number }[] }
  | { type: 'layer'; id: string; status: LayerStatus; done?: number; total?: number };

export interface PullOptions {
  platform?: Platform;
  onProgress?: (e: PullEvent) => void;
  /** Layers fetched at once (Docker's default is 3). */
  concurrency?: number;
}

export interface PullResult {
  image: ImageRecord;
  /** The digest Docker prints: the index's when there is one. */
  digest: Digest;
  /** Whether anything new was stored. */
  updated: boolean;
  /** Familiar form (`busybox:latest`) and fully qualified (`docker.io/library/busybox:latest`). */
  reference: string;
  canonical: string;
}

interface LayerFacts {
  diffId: string;
  uncompressedSize: number;
}

export interface PullDeps {
  registry: RegistryClient;
  blobs: BlobStore;
  meta: MetaStore;
  images: ImageStore;
  now?: () => Date;
  /** The platform's gzip inflater when faster than DecompressionStream (Node: zlib). */
  gunzip?: Gunzip;
}

/**
 * Pulls one image: resolve, then the config and the layers (3 at a time) together, as
 * Docker does (a round trip less before the first layer byte), then the record. Every blob
 * is stored under its digest only after it verified; each layer's uncompressed stream is
 * hashed on the way and must match the config's diff ID, so a truncated gzip never lands.
 * Progress is held back until the config has said what the image is; a refused config
 * (wrong platform, malformed) stops the layers and leaves none of them stored. The image
 * record is written last: an interrupted pull leaves no image.
 */
export async function pullImage(deps: PullDeps, refText: string, opts: PullOptions = {}): Promise<PullResult> {
  const ref = parseReference(refText);
  const emit = opts.onProgress ?? (() => {});
  emit({ type: 'resolving', reference: ref.familiar() });
  const img = await deps.registry.resolve(ref, opts.platform ? { platform: opts.platform } : {});
  const id = img.manifest.config.digest;
  const layers = img.manifest.layers;

  for (const l of layers) {
    // A raw .wasm layer (the WebAssembly artifact form) is kept as the one-file tar it stands for.
    if (!layerKind(l.mediaType) && !isWasmLayer(l.mediaType)) {
      throw new TabdockError('UNSUPPORTED_LAYER', `${ref.familiar()} has a layer of media type ${l.mediaType}, which is not a container filesystem layer`, { mediaType: l.mediaType });
    }
  }

  const configP = deps.registry.fetchConfig(img);
  configP.catch(() => {}); // awaited below; the layers learn of a failure through diffIdOf
  const stop = new AbortController();
  // Layer events wait for 'resolved' (it names the platform, which only the config knows);
  // of a layer's download progress meanwhile, only the latest is kept.
  let held: PullEvent[] | undefined = [];
  const heldProgress = new Map<string, number>();
  const emitLayer = (e: PullEvent): void => {
    if (!held) return emit(e);
    if (e.type === 'layer' && e.status === 'Downloading') {
      const at = heldProgress.get(e.id);
      if (at !== undefined) return void (held[at] = e);
      heldProgress.set(e.id, held.length);
    }
    held.push(e);
  };

  let updated = false;
  const facts: LayerFacts[] = new Array(layers.length);
  const queue = layers.map((l, i) => ({ l, i }));
  for (const l of layers.slice(3)) emitLayer({ type: 'layer', id: l.digest.short, status: 'Waiting' });
  const workers = Array.from({ length: Math.min(opts.concurrency ?? 3, layers.length) }, async () => {
    for (let job = queue.shift(); job && !stop.signal.aborted; job = queue.shift()) {
      const i = job.i;
      const r = await pullLayer(deps, img, job.l, async () => (await configP).config.diffIds[i]!, emitLayer, stop.signal);
      facts[i] = r.facts;
      updated ||= r.downloaded;
    }
  });
  // The first failure (the config's first) stops the other layers; all settle before it is thrown.
  const settled = Promise.all(workers).catch((e: unknown) => {
    stop.abort(e);
    throw e;
  });
  // A layer that fails before the config arrives is reported at once, not after it.
  const layerFailed = settled.then(() => new Promise<never>(() => {}));
  layerFailed.catch(() => {}); // raced below; settled itself is awaited after the config
  let configBytes: Uint8Array;
  let config: Awaited<typeof configP>['config'];
  let platform: Platform;
  try {
    ({ bytes: configBytes, config, platform } = await Promise.race([configP, layerFailed]));
  } catch (e) {
    stop.abort(e);
    await Promise.allSettled(workers);
    throw e;
  }
  emit({ type: 'resolved', reference: ref.familiar(), digest: img.digest.toString(), platform, layers: layers.map((l) => ({ id: l.digest.short, size: l.size })) });
  for (const e of held) emit(e);
  held = undefined;
  try {
    await settled;
  } catch (e) {
    await Promise.allSettled(workers);
    throw e;
  }
  // A layer found stored was not held up by the config; its recorded diff ID is checked now.
  for (const [i, l] of layers.entries()) {
    const want = config.diffIds[i]!.toString();
    if (facts[i]!.diffId !== want) {
      throw new TabdockError('DIFF_ID_MISMATCH', `layer ${l.digest.short} of ${ref.familiar()}: its uncompressed content (${facts[i]!.diffId}) does not match the image config's diff ID ${want}; refusing it`, { expected: want, actual: facts[i]!.diffId });
    }
  }

  // Config and manifest(s) are kept as blobs too, so inspect and push need no network.
  await putIfMissing(deps.blobs, id, configBytes);
  await putIfMissing(deps.blobs, img.manifest.digest, img.manifest.bytes);
  if (img.index) await putIfMissing(deps.blobs, img.index.digest, img.index.bytes);

  const files = wasmLayerPaths(config, layers);
  const layerRecords: LayerRecord[] = [];
  for (const [i, l] of layers.entries()) {
    const file = files[i];
    const diffId = file ? (await wasmLayerDiffId(file, l.size, (await deps.blobs.get(l.digest))!, deps.registry.hasher)).toString() : facts[i]!.diffId;
    layerRecords.push({ digest: l.digest.toString(), size: l.size, mediaType: l.mediaType, diffId, uncompressedSize: facts[i]!.uncompressedSize, ...(file ? { file } : {}) });
  }
  const now = (deps.now ?? (() => new Date()))().toISOString();
  const existing = await deps.images.get(id.toString());
  const digestRef = `${ref.name}@${img.digest}`;
  const tagRef = ref.tag ? `${ref.name}:${ref.tag}` : undefined;
  const previous = tagRef ? await deps.images.resolveTag(tagRef) : undefined;
  const record: ImageRecord = {
    id: id.toString(),
    repoTags: existing?.repoTags ?? [],
    repoDigests: existing?.repoDigests ?? [],
    manifestDigest: img.manifest.digest.toString(),
    manifestMediaType: img.manifest.mediaType,
    platform,
    layers: layerRecords,
    config: withWasmEntrypoint(config, files),
    size: layerRecords.reduce((a, l) => a + l.uncompressedSize, 0),
    pulledAt: existing?.pulledAt ?? now,
    lastTagTime: now,
  };
  updated ||= !existing || previous !== record.id;
  await deps.images.save(record, { tag: tagRef, digestRef });
  const final = (await deps.images.get(record.id))!;
  return { image: final, digest: img.digest, updated, reference: ref.familiar(), canonical: ref.toString() };
}

async function putIfMissing(blobs: BlobStore, d: Digest, bytes: Uint8Array): Promise<void> {
  if (!(await blobs.has(d))) await blobs.put(d, bytes);
}

/** Layer blobs being downloaded now, per store: two pulls of images that share a layer. */
const downloading = new WeakMap<BlobStore, Map<string, number>>();

function downloadsOf(blobs: BlobStore): Map<string, number> {
  let m = downloading.get(blobs);
  if (!m) downloading.set(blobs, (m = new Map()));
  return m;
}

/**
 * Removes a layer blob this pull stored and will not use, unless another pull of the
 * same layer is under way or finished (its facts are recorded): that one's blob it is too.
 */
async function dropBlob(deps: PullDeps, d: Digest): Promise<void> {
  if ((downloadsOf(deps.blobs).get(d.toString()) ?? 0) > 1 || (await deps.meta.get(`layer/${d}`))) return;
  await deps.blobs.delete(d);
}

async function pullLayer(
  deps: PullDeps, img: ResolvedImage, l: Descriptor, diffIdOf: () => Promise<Digest>, emit: (e: PullEvent) => void, signal: AbortSignal,
): Promise<{ facts: LayerFacts; downloaded: boolean }> {
  const id = l.digest.short;
  const known = await deps.meta.get<LayerFacts>(`layer/${l.digest}`);
  if (known && (await deps.blobs.has(l.digest))) {
    emit({ type: 'layer', id, status: 'Already exists' });
    return { facts: known, downloaded: false };
  }
  const what = `layer ${id} of ${img.reference.familiar()}`;
  // A raw wasm layer is its own uncompressed content: its config diff ID is its digest.
  const kind = layerKind(l.mediaType) ?? { compression: 'none' as const };
  emit({ type: 'layer', id, status: 'Pulling fs layer' });
  let source: ReadableStream<Uint8Array>;
  let downloaded = true;
  if (await deps.blobs.has(l.digest)) {
    source = (await deps.blobs.get(l.digest))!;
    downloaded = false;
  } else {
    source = deps.registry.openBlob(img, l, { onProgress: (done, total) => emit({ type: 'layer', id, status: 'Downloading', done, total }) });
  }
  const key = l.digest.toString();
  const inFlight = downloadsOf(deps.blobs);
  inFlight.set(key, (inFlight.get(key) ?? 0) + 1);
  try {
    return await inflateAndCheck(deps, l, what, kind.compression, source, downloaded, diffIdOf, emit, signal);
  } finally {
    const n = (inFlight.get(key) ?? 1) - 1;
    if (n > 0) inFlight.set(key, n);
    else inFlight.delete(key);
  }
}

async function inflateAndCheck(
  deps: PullDeps, l: Descriptor, what: string, compression: Compression, source: ReadableStream<Uint8Array>, downloaded: boolean,
  diffIdOf: () => Promise<Digest>, emit: (e: PullEvent) => void, signal: AbortSignal,
): Promise<{ facts: LayerFacts; downloaded: boolean }> {
  const id = l.digest.short;
  // Stopped (another part of the pull failed): the source is cancelled, both branches error.
  source = source.pipeThrough(new TransformStream(), { signal });
  // One pass: the compressed bytes go to the store while the inflated bytes are hashed.
  const [toStore, toInflate] = source.tee();
  const h = await (deps.registry.hasher ?? sha256Hasher)();
  let uncompressedSize = 0;
  const inflate = toInflate.pipeThrough(decompressor(compression, what, deps.gunzip)).pipeTo(
    new WritableStream({
      write(chunk) {
        uncompressedSize += chunk.byteLength;
        h.update(chunk);
      },
    }),
  );
  const store = downloaded ? deps.blobs.put(l.digest, toStore) : toStore.cancel();
  const [s, i] = await Promise.allSettled([store, inflate]);
  // The download's own error (digest, size, network) explains more than the inflater's; a
  // failed put stored nothing.
  if (s.status === 'rejected') throw s.reason;
  if (i.status === 'rejected') {
    if (downloaded) await dropBlob(deps, l.digest);
    throw i.reason;
  }
  emit({ type: 'layer', id, status: 'Verifying Checksum' });
  emit({ type: 'layer', id, status: 'Download complete' });
  const got = h.digest();
  let diffId: Digest;
  try {
    diffId = await diffIdOf();
  } catch (e) {
    // The config was refused: a layer of an image that is not pulled is not kept.
    if (downloaded) await dropBlob(deps, l.digest);
    throw e;
  }
  if (!got.equals(diffId)) {
    if (downloaded) await dropBlob(deps, l.digest);
    throw new TabdockError('DIFF_ID_MISMATCH', `${what}: its uncompressed content (${got}) does not match the image config's diff ID ${diffId}; refusing it`, { expected: diffId.toString(), actual: got.toString() });
  }
  const facts = { diffId: diffId.toString(), uncompressedSize };
  await deps.meta.put(`layer/${l.digest}`, facts);
  emit({ type: 'layer', id, status: 'Pull complete' });
  return { facts, downloaded };
}

