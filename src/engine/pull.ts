import { contentSize, freeChunks, type BlobStore, type LayerStore, type MetaStore } from '../fs-layers/index.ts';
import { Digest, isWasmLayer, layerKind, parseReference, type Descriptor, type Platform, type RegistryClient } from '../registry-client/index.ts';
import { TabdockError } from '../shared/errors.ts';
import { layerSize, type ImageRecord, type LayerRecord } from './image-record.ts';
import type { ImageStore } from './image-store.ts';
import { completeLayer, pullLayer, type LayerFacts } from './pull-layer.ts';
import { wasmLayerPaths, wasmLayerTar, withWasmEntrypoint } from './wasi/artifact.ts';

/** Docker's per-layer pull states, in the order they happen. */
export type LayerStatus = 'Already exists' | 'Pulling fs layer' | 'Waiting' | 'Downloading' | 'Verifying Checksum' | 'Download complete' | 'Extracting' | 'Pull complete';

export type PullEvent =
  | { type: 'resolving'; reference: string }
  | { type: 'resolved'; reference: string; digest: string; platform: Platform; layers: { id: string; size: number }[] }
  | { type: 'layer'; id: string; status: LayerStatus; done?: number; total?: number };

export interface PullOptions {
  platform?: Platform;
  /** Without `platform`: what else the engine runs (emulated platforms), taken in this order when an image has no linux/386. */
  fallback?: readonly Platform[];
  onProgress?: (e: PullEvent) => void;
  /** Layers fetched at once (Docker's default is 3). */
  concurrency?: number;
  /** Stops the pull (its client went away): connections close, nothing half-done is kept. */
  signal?: AbortSignal;
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

export interface PullDeps {
  registry: RegistryClient;
  blobs: BlobStore;
  meta: MetaStore;
  images: ImageStore;
  /** Where layers are unpacked as they download (its own gunzip inflates them). */
  layers: LayerStore;
  now?: () => Date;
}

/**
 * Pulls one image: resolve, then the config and the layers (3 at a time) together, as
 * Docker does (a round trip less before the first layer byte), then the record. Each layer
 * streams once (`pullLayer`): its blob is stored under its digest only after it verified,
 * and the same bytes are unpacked into the layer store on the way, hashed once; the layer
 * record is written only when that hash equals the config's diff ID, so a truncated gzip
 * never lands and a `run` after the pull unpacks nothing. Progress is held back until the
 * config has said what the image is; a refused config (wrong platform, malformed) stops
 * the layers and leaves none of them stored. The image record is written last, then the
 * image's references on its layers: an interrupted pull leaves no image and no layer
 * record it had not finished. The whole pull runs in `layers.hold` (gc waits for it).
 */
export async function pullImage(deps: PullDeps, refText: string, opts: PullOptions = {}): Promise<PullResult> {
  const ref = parseReference(refText);
  try {
    return await deps.layers.hold(() => pull(deps, ref, opts));
  } catch (e) {
    // A pull cut short (a full store, above all) leaves chunks no record names: they go
    // now, not at the next removal, so the room they took is there for what comes next.
    if (TabdockError.is(e, 'STORE_FULL')) await freeChunks(deps.layers);
    throw e;
  }
}

async function pull(deps: PullDeps, ref: ReturnType<typeof parseReference>, opts: PullOptions): Promise<PullResult> {
  const emit = opts.onProgress ?? (() => {});
  emit({ type: 'resolving', reference: ref.familiar() });
  const signal = opts.signal;
  const img = await deps.registry.resolve(ref, { ...(opts.platform ? { platform: opts.platform } : {}), ...(opts.fallback?.length ? { fallback: opts.fallback } : {}), ...(signal ? { signal } : {}) });
  const id = img.manifest.config.digest;
  const layers = img.manifest.layers;

  for (const l of layers) {
    // A raw .wasm layer (the WebAssembly artifact form) is kept as the one-file tar it stands for.
    if (!layerKind(l.mediaType) && !isWasmLayer(l.mediaType)) {
      throw new TabdockError('UNSUPPORTED_LAYER', `${ref.familiar()} has a layer of media type ${l.mediaType}, which is not a container filesystem layer`, { mediaType: l.mediaType });
    }
  }

  const configP = deps.registry.fetchConfig(img, signal ? { signal } : {});
  configP.catch(() => {}); // awaited below; the layers learn of a failure through diffIdOf
  const stop = new AbortController();
  if (signal) {
    if (signal.aborted) stop.abort(signal.reason);
    else signal.addEventListener('abort', () => stop.abort(signal.reason), { once: true });
  }
  // Layer events wait for 'resolved' (it names the platform, which only the config knows);
  // of a layer's download progress meanwhile, only the latest is kept.
  let held: PullEvent[] | undefined = [];
  const heldProgress = new Map<string, number>();
  const emitLayer = (e: PullEvent): void => {
    if (!held) return emit(e);
    if (e.type === 'layer' && e.done !== undefined) {
      const at = heldProgress.get(`${e.id} ${e.status}`);
      if (at !== undefined) return void (held[at] = e);
      heldProgress.set(`${e.id} ${e.status}`, held.length);
    }
    held.push(e);
  };

  let updated = false;
  const facts: LayerFacts[] = new Array(layers.length);
  const queue = layers.map((l, i) => ({ l, i }));
  // Docker's first line per layer, in the manifest's order: "Already exists" for a complete
  // one, else "Pulling fs layer", and "Waiting" for those beyond the downloads at once.
  const concurrency = opts.concurrency ?? 3;
  const announced = await Promise.all(layers.map(async (l) => ((await completeLayer(deps, l)) ? 'Already exists' : 'Pulling fs layer') as 'Already exists' | 'Pulling fs layer'));
  for (const [i, l] of layers.entries()) emitLayer({ type: 'layer', id: l.digest.short, status: announced[i]! });
  layers.filter((_, i) => announced[i] === 'Pulling fs layer').slice(concurrency).forEach((l) => emitLayer({ type: 'layer', id: l.digest.short, status: 'Waiting' }));
  const workers = Array.from({ length: Math.min(concurrency, layers.length) }, async () => {
    for (let job = queue.shift(); job && !stop.signal.aborted; job = queue.shift()) {
      const i = job.i;
      const r = await pullLayer(deps, img, job.l, async () => (await configP).config.diffIds[i]!, emitLayer, stop.signal, announced[i]);
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
  // Cancelled between layers: the workers stopped taking jobs without a failure of their own.
  if (signal?.aborted) throw new TabdockError('DOWNLOAD_CANCELLED', `the pull of ${ref.familiar()} was cancelled (its client went away)`, {});
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
    const diffId = file ? await unpackWasmLayer(deps, l, file, facts[i]!, emit) : facts[i]!.diffId;
    // Facts written before content sizes were kept: read it from the layer's record.
    const content = facts[i]!.contentSize ?? (await deps.layers.record(Digest.parse(diffId)).then((r) => (r ? contentSize(r.entries) : undefined)));
    layerRecords.push({ digest: l.digest.toString(), size: l.size, mediaType: l.mediaType, diffId, uncompressedSize: facts[i]!.uncompressedSize, ...(content !== undefined ? { contentSize: content } : {}), ...(file ? { file } : {}) });
  }
  const now = (deps.now ?? (() => new Date()))().toISOString();
  const existing = await deps.images.get(id.toString());
  const digestRef = `${ref.name}@${img.digest}`;
  const tagRef = ref.tag ? `${ref.name}:${ref.tag}` : undefined;
  // Docker's "Image is up to date": the reference pulled (tag, or digest for a pull by
  // digest) already named this image (moby distribution/pull_v2.go, pullTag).
  const repos = await deps.images.repositories();
  const previous = tagRef ? repos.tags[tagRef] : repos.digests[digestRef];
  const record: ImageRecord = {
    id: id.toString(),
    repoTags: existing?.repoTags ?? [],
    repoDigests: existing?.repoDigests ?? [],
    manifestDigest: img.manifest.digest.toString(),
    manifestMediaType: img.manifest.mediaType,
    platform,
    layers: layerRecords,
    config: withWasmEntrypoint(config, files),
    size: layerRecords.reduce((a, l) => a + layerSize(l), 0),
    pulledAt: existing?.pulledAt ?? now,
    lastTagTime: now,
  };
  updated ||= previous !== record.id;
  await deps.images.save(record, { tag: tagRef, digestRef });
  // What ensureImageLayers did at the first create: the image holds its layers (rmi releases them).
  await deps.layers.retain(record.id, layerRecords.map((l) => Digest.parse(l.diffId)));
  const final = (await deps.images.get(record.id))!;
  return { image: final, digest: img.digest, updated, reference: ref.familiar(), canonical: ref.toString() };
}

async function putIfMissing(blobs: BlobStore, d: Digest, bytes: Uint8Array): Promise<void> {
  if (!(await blobs.has(d))) await blobs.put(d, bytes);
}

/**
 * A raw wasm layer's one-file tar into the layer store (its place is known only from the
 * config), unless the same tar is there already; answers that tar's diff ID.
 */
async function unpackWasmLayer(deps: PullDeps, l: Descriptor, file: string, facts: LayerFacts, emit: (e: PullEvent) => void): Promise<string> {
  if (facts.wasm?.file === file && (await deps.layers.has(Digest.parse(facts.wasm.diffId)))) return facts.wasm.diffId;
  const id = l.digest.short;
  emit({ type: 'layer', id, status: 'Extracting', done: 0, total: l.size });
  const r = await deps.layers.unpackPending({
    source: wasmLayerTar(file, l.size, (await deps.blobs.get(l.digest))!), compression: 'none', what: `wasm layer ${id}`,
    // The module verified against its digest (its config diff ID); the tar around it is ours.
    expected: async (got) => got,
  });
  await deps.meta.put(`layer/${l.digest}`, { ...facts, wasm: { file, diffId: r.diffId } });
  emit({ type: 'layer', id, status: 'Extracting', done: l.size, total: l.size });
  emit({ type: 'layer', id, status: 'Pull complete' });
  return r.diffId;
}
