import { contentSize, type BlobStore, type LayerStore, type MetaStore } from '../fs-layers/index.ts';
import { Digest, isWasmLayer, layerKind, sha256Hasher, type Descriptor, type RegistryClient, type ResolvedImage } from '../registry-client/index.ts';
import { TabdockError } from '../shared/errors.ts';
import { boundedTee } from './bounded-tee.ts';
import type { PullEvent } from './pull.ts';

/** What a pull remembers of a layer blob, under `layer/<blob digest>`. */
export interface LayerFacts {
  /** The config's diff ID (a raw wasm layer's: the module's own digest). */
  diffId: string;
  uncompressedSize: number;
  /** Its files' bytes as Docker counts a layer's size (fs-layers `contentSize`). */
  contentSize?: number;
  /** Raw wasm layers: the one-file tar the layer store keeps, and where the module sat in it. */
  wasm?: { file: string; diffId: string };
}

export interface LayerPullDeps {
  registry: RegistryClient;
  blobs: BlobStore;
  meta: MetaStore;
  layers: LayerStore;
}

/**
 * Progress is reported every this many bytes (and at the end), as Docker's progress reader
 * does: per network read it would be hundreds of events a layer, each crossing the daemon's
 * socket or the worker's port to be drawn.
 */
const REPORT_EVERY = 512 << 10;

/** A progress callback that passes on every REPORT_EVERY bytes and the last one. */
function throttled(f: (done: number, total: number) => void): (done: number, total: number) => void {
  let last = -REPORT_EVERY;
  return (done, total) => {
    if (done - last < REPORT_EVERY && done !== total) return;
    last = done;
    f(done, total);
  };
}

/** Bytes the download may run ahead of the unpack (or the unpack ahead of the blob write). */
const AHEAD = 4 << 20;

/** Layer blobs being pulled now, per store: two pulls of images that share a layer. */
const inFlight = new WeakMap<BlobStore, Map<string, number>>();

function inFlightOf(blobs: BlobStore): Map<string, number> {
  let m = inFlight.get(blobs);
  if (!m) inFlight.set(blobs, (m = new Map()));
  return m;
}

/**
 * Removes a layer blob this pull stored and will not use, unless another pull of the
 * same layer is under way or finished (its facts are recorded): that one's blob it is too.
 */
async function dropBlob(deps: LayerPullDeps, d: Digest): Promise<void> {
  if ((inFlightOf(deps.blobs).get(d.toString()) ?? 0) > 1 || (await deps.meta.get(`layer/${d}`))) return;
  await deps.blobs.delete(d);
}

/**
 * A layer that is complete in the store (its blob, which push and save need, its facts and,
 * for a tar layer, its record in the layer store): a pull says "Already exists" and takes
 * nothing. Returns its facts, or undefined.
 */
export async function completeLayer(deps: LayerPullDeps, l: Descriptor): Promise<LayerFacts | undefined> {
  const known = await deps.meta.get<LayerFacts>(`layer/${l.digest}`);
  if (!known || !(await deps.blobs.has(l.digest))) return undefined;
  return isWasmLayer(l.mediaType) || (await deps.layers.has(Digest.parse(known.diffId))) ? known : undefined;
}

/**
 * Pulls one layer in one pass. A tar layer streams once: its compressed bytes go to the
 * blob store (verified against the blob digest) while the same bytes are inflated, hashed
 * (the one diff-ID hash) and cut into chunks in the layer store; the layer record is written
 * only when the blob verified and the hash equals the config's diff ID (`diffIdOf`). A raw
 * wasm layer is stored and hashed here; its one-file tar goes to the layer store once the
 * config has said where the module goes (`unpackWasmLayer`).
 *
 * Progress, as Docker's: Downloading (bytes received) -> Verifying Checksum -> Download
 * complete -> Extracting (compressed bytes the unpack has taken in, of the blob's size: the
 * unpack runs beside the download, so this is the part still to go once the last byte is
 * here) -> Pull complete (the record is written).
 */
export async function pullLayer(
  deps: LayerPullDeps, img: ResolvedImage, l: Descriptor, diffIdOf: () => Promise<Digest>, emit: (e: PullEvent) => void, signal: AbortSignal,
  announced?: 'Already exists' | 'Pulling fs layer',
): Promise<{ facts: LayerFacts; downloaded: boolean }> {
  const id = l.digest.short;
  const wasm = isWasmLayer(l.mediaType);
  const haveBlob = await deps.blobs.has(l.digest);
  // The caller has announced the layer's first state already (Docker prints it once, in
  // the manifest's order); it is said again only if the store changed since.
  const first = (status: 'Already exists' | 'Pulling fs layer'): void => {
    if (announced !== status) emit({ type: 'layer', id, status });
  };
  const known = await completeLayer(deps, l);
  if (known && haveBlob) {
    first('Already exists');
    return { facts: known, downloaded: false };
  }
  first('Pulling fs layer');
  // A blob stored by an earlier version (which unpacked at the first create) is not fetched again.
  const downloaded = !haveBlob;
  const source = haveBlob
    ? (await deps.blobs.get(l.digest))!
    : deps.registry.openBlob(img, l, { signal, onProgress: throttled((done, total) => emit({ type: 'layer', id, status: 'Downloading', done, total })) });
  const key = l.digest.toString();
  const pulling = inFlightOf(deps.blobs);
  pulling.set(key, (pulling.get(key) ?? 0) + 1);
  try {
    const what = `layer ${id} of ${img.reference.familiar()}`;
    // Stopped (another part of the pull failed, or this layer's unpack refused it): the
    // source is cancelled, both branches error.
    const stop = new AbortController();
    const onAbort = () => stop.abort(signal.reason);
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    const stoppable = source.pipeThrough(new TransformStream(), { signal: stop.signal });
    const facts = await (wasm
      ? hashOnly(deps, l, what, stoppable, downloaded, diffIdOf, emit)
      : streamLayer(deps, l, what, stoppable, downloaded, diffIdOf, emit, (e) => stop.abort(e))).finally(() => signal.removeEventListener('abort', onAbort));
    return { facts, downloaded };
  } finally {
    const n = (pulling.get(key) ?? 1) - 1;
    if (n > 0) pulling.set(key, n);
    else pulling.delete(key);
  }
}

async function streamLayer(
  deps: LayerPullDeps, l: Descriptor, what: string, source: ReadableStream<Uint8Array>, downloaded: boolean,
  diffIdOf: () => Promise<Digest>, emit: (e: PullEvent) => void, stopDownload: (why: unknown) => void,
): Promise<LayerFacts> {
  const id = l.digest.short;
  const kind = layerKind(l.mediaType)!;
  const [toStore, toUnpack] = downloaded ? boundedTee(source, AHEAD) : [undefined, source];
  let taken = 0;
  let here = false;
  const report = throttled((done, total) => emit({ type: 'layer', id, status: 'Extracting', done, total }));
  const extracting = () => report(taken, l.size);
  const counted = toUnpack.pipeThrough(new TransformStream<Uint8Array, Uint8Array>({
    transform(c, ctl) {
      taken += c.byteLength;
      if (here) extracting();
      ctl.enqueue(c);
    },
  }));
  // The registry client's verified stream errors unless the blob hashes to its digest (the
  // last bytes wait for the check): the store need not hash it a second time.
  const stored = (toStore ? deps.blobs.put(l.digest, toStore, { hashed: true }) : Promise.resolve()).then(() => {
    if (downloaded) emit({ type: 'layer', id, status: 'Verifying Checksum' });
    emit({ type: 'layer', id, status: 'Download complete' });
    here = true;
    extracting();
  });
  stored.catch(() => {}); // awaited below
  const unpack = deps.layers.unpackPending({
    source: counted, compression: kind.compression, what,
    // The record is written only after the blob verified and the config named the diff ID.
    expected: async (got) => {
      await stored;
      const want = await diffIdOf();
      if (!got.equals(want)) throw diffIdMismatch(what, got, want);
      return want;
    },
  });
  // A layer the unpack refuses for what it holds (an unsafe entry, a zstd window over the
  // limit) is not downloaded to its end. Other unpack errors may come of the download's own
  // failure, which explains more, so those wait for it as before.
  let refused = false;
  unpack.catch((e: unknown) => {
    if (!TabdockError.is(e, 'LAYER_UNSAFE')) return;
    refused = true;
    stopDownload(e);
  });
  const [s, u] = await Promise.allSettled([stored, unpack]);
  if (refused && u.status === 'rejected') {
    if (downloaded && s.status === 'fulfilled') await dropBlob(deps, l.digest);
    throw u.reason;
  }
  // The download's own error (digest, size, network) explains more than the unpack's; a
  // failed put stored nothing.
  if (s.status === 'rejected') throw s.reason;
  if (u.status === 'rejected') {
    // Corrupt, refused by the config, or not what the config names: the blob is not kept.
    if (downloaded) await dropBlob(deps, l.digest);
    throw u.reason;
  }
  const facts: LayerFacts = { diffId: u.value.diffId, uncompressedSize: u.value.size, contentSize: contentSize(u.value.entries) };
  await deps.meta.put(`layer/${l.digest}`, facts);
  emit({ type: 'layer', id, status: 'Pull complete' });
  return facts;
}

/** A raw wasm layer: stored and hashed (its own content is its diff ID); unpacked later. */
async function hashOnly(
  deps: LayerPullDeps, l: Descriptor, what: string, source: ReadableStream<Uint8Array>, downloaded: boolean,
  diffIdOf: () => Promise<Digest>, emit: (e: PullEvent) => void,
): Promise<LayerFacts> {
  const id = l.digest.short;
  const [toStore, toHash] = downloaded ? boundedTee(source, AHEAD) : [undefined, source];
  const h = await (deps.registry.hasher ?? sha256Hasher)();
  let size = 0;
  const hashing = toHash.pipeTo(new WritableStream({
    write(c) {
      size += c.byteLength;
      h.update(c);
    },
  }));
  const store = toStore ? deps.blobs.put(l.digest, toStore, { hashed: true }) : Promise.resolve();
  const [s, i] = await Promise.allSettled([store, hashing]);
  if (s.status === 'rejected') throw s.reason;
  if (i.status === 'rejected') {
    if (downloaded) await dropBlob(deps, l.digest);
    throw i.reason;
  }
  if (downloaded) emit({ type: 'layer', id, status: 'Verifying Checksum' });
  emit({ type: 'layer', id, status: 'Download complete' });
  const got = h.digest();
  let want: Digest;
  try {
    want = await diffIdOf();
    if (!got.equals(want)) throw diffIdMismatch(what, got, want);
  } catch (e) {
    if (downloaded) await dropBlob(deps, l.digest);
    throw e;
  }
  // The module is the layer's one file: its bytes are its size.
  const facts: LayerFacts = { diffId: want.toString(), uncompressedSize: size, contentSize: size };
  await deps.meta.put(`layer/${l.digest}`, facts);
  return facts;
}

export function diffIdMismatch(what: string, got: Digest, want: Digest): TabdockError {
  return new TabdockError('DIFF_ID_MISMATCH', `${what}: its uncompressed content (${got}) does not match the image config's diff ID ${want}; refusing it`, { expected: want.toString(), actual: got.toString() });
}
