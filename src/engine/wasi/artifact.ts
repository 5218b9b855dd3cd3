import { ensureImageLayers, type BlobStore, type LayerStore } from '../../fs-layers/index.ts';
import { Digest, isWasmLayer, sha256Hasher, type HasherFactory, type ImageConfig } from '../../registry-client/index.ts';
import { TabdockError } from '../../shared/errors.ts';

/**
 * The WebAssembly artifact form: a layer that is one raw `.wasm` binary, not a tar
 * (`application/wasm`, `application/vnd.wasm.content.layer.v1+wasm`, any `+wasm`). The
 * layer store keeps tar layers only, so such a layer is stored as the tar it stands for:
 * one file (and its parent directories) with fixed metadata, written here byte for byte.
 * Its "diff ID" is that tar's sha256, the same every time for the same module and path.
 *
 * Where the file goes: the image config's Entrypoint (or Cmd) names it when its first word
 * is a `.wasm` path (runwasi reads the module from the layer and takes args from the spec,
 * `path#func` included); else the layer's `org.opencontainers.image.title` annotation
 * (ORAS and wasm-to-oci name the pushed file there); else `/module.wasm` (`/module-N.wasm`
 * for the N-th further one). An artifact without Entrypoint and Cmd runs its first module.
 */
export interface WasmLayerDescriptor {
  mediaType: string;
  digest: Digest;
  size: number;
  annotations?: Record<string, string>;
}

const TITLE = 'org.opencontainers.image.title';

/** The absolute path in the container tree of each raw wasm layer (undefined for tar layers). */
export function wasmLayerPaths(config: ImageConfig, layers: readonly WasmLayerDescriptor[]): (string | undefined)[] {
  const cfg = config.config ?? {};
  const first = (cfg.Entrypoint?.length ? cfg.Entrypoint : cfg.Cmd)?.[0];
  const named = first ? modulePath(first, cfg.WorkingDir) : undefined;
  const taken = new Set<string>();
  let n = 0;
  return layers.map((l) => {
    if (!isWasmLayer(l.mediaType)) return undefined;
    const title = l.annotations?.[TITLE]?.split('/').pop()?.replace(/[^A-Za-z0-9._-]/g, '_');
    const candidates = [n === 0 ? named : undefined, title ? `/${title}` : undefined, n === 0 ? '/module.wasm' : `/module-${n}.wasm`];
    n++;
    const p = candidates.find((c) => c !== undefined && !taken.has(c)) ?? `/module-${l.digest.hex.slice(0, 12)}.wasm`;
    taken.add(p);
    return p;
  });
}

/** `hello.wasm#run`, `./app/x.wasm` -> an absolute `.wasm` path, or undefined if not a module path. */
function modulePath(arg: string, workdir = ''): string | undefined {
  const file = arg.split('#')[0]!;
  if (!file.endsWith('.wasm')) return undefined;
  const parts = `${file.startsWith('/') ? '' : workdir || '/'}/${file}`.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) return undefined;
  return `/${parts.join('/')}`;
}

/** The config with an Entrypoint to the first module when it had neither Entrypoint nor Cmd. */
export function withWasmEntrypoint<C extends ImageConfig>(config: C, paths: readonly (string | undefined)[]): C {
  const first = paths.find((p) => p !== undefined);
  const cfg = config.config ?? {};
  if (!first || cfg.Entrypoint?.length || cfg.Cmd?.length) return config;
  return { ...config, config: { ...cfg, Entrypoint: [first] } };
}

const BLOCK = 512;

/** A ustar header (POSIX.1-1988): fixed owner root, mtime 0, so the bytes never vary. */
function header(name: string, kind: 'file' | 'dir', size: number): Uint8Array {
  const h = new Uint8Array(BLOCK);
  const enc = new TextEncoder();
  const put = (at: number, len: number, s: string) => h.set(enc.encode(s).subarray(0, len), at);
  const octal = (n: number, width: number) => n.toString(8).padStart(width - 1, '0');
  let path = kind === 'dir' ? `${name}/` : name;
  let prefix = '';
  if (enc.encode(path).length > 100) {
    const cut = path.lastIndexOf('/', path.length - 2);
    prefix = path.slice(0, cut);
    path = path.slice(cut + 1);
    if (enc.encode(path).length > 100 || enc.encode(prefix).length > 155) throw new TabdockError('INVALID_CONFIG', `module path too long for a layer: ${name}`, { path: name });
  }
  put(0, 100, path);
  put(100, 8, octal(0o755, 8));
  put(108, 8, octal(0, 8));
  put(116, 8, octal(0, 8));
  put(124, 12, octal(size, 12));
  put(136, 12, octal(0, 12));
  put(148, 8, '        ');
  put(156, 1, kind === 'dir' ? '5' : '0');
  put(257, 6, 'ustar');
  put(263, 2, '00');
  put(345, 155, prefix);
  let sum = 0;
  for (const b of h) sum += b;
  put(148, 8, `${sum.toString(8).padStart(6, '0')}\0 `);
  return h;
}

/** Headers of the parent directories and of the file, then (after the data) padding and the end blocks. */
function tarFrame(path: string, size: number): { head: Uint8Array; tail: Uint8Array } {
  const parts = path.split('/').filter(Boolean);
  const heads = parts.slice(0, -1).map((_, i) => header(parts.slice(0, i + 1).join('/'), 'dir', 0));
  heads.push(header(parts.join('/'), 'file', size));
  const head = new Uint8Array(heads.length * BLOCK);
  heads.forEach((h, i) => head.set(h, i * BLOCK));
  const pad = (BLOCK - (size % BLOCK)) % BLOCK;
  return { head, tail: new Uint8Array(pad + 2 * BLOCK) };
}

/** The one-file tar a raw wasm layer stands for, streamed around the module's bytes. */
export function wasmLayerTar(path: string, size: number, module: ReadableStream<Uint8Array>): ReadableStream<Uint8Array> {
  const { head, tail } = tarFrame(path, size);
  const reader = module.getReader();
  let stage: 'head' | 'body' | 'done' = 'head';
  return new ReadableStream<Uint8Array>({
    async pull(ctl) {
      if (stage === 'head') {
        stage = 'body';
        ctl.enqueue(head);
        return;
      }
      const r = await reader.read();
      if (!r.done) return ctl.enqueue(r.value);
      if (stage === 'body') ctl.enqueue(tail);
      stage = 'done';
      ctl.close();
    },
    cancel: (why) => reader.cancel(why),
  });
}

/** The diff ID of that tar: sha256 over header, module bytes and trailer. */
export async function wasmLayerDiffId(path: string, size: number, module: ReadableStream<Uint8Array>, hasher: HasherFactory = sha256Hasher): Promise<Digest> {
  const h = await hasher();
  const tar = wasmLayerTar(path, size, module).getReader();
  for (let r = await tar.read(); !r.done; r = await tar.read()) h.update(r.value);
  return h.digest();
}

/** An image layer as the engine records it (the LayerRecord fields this needs). */
export interface RecordedLayer {
  digest: string;
  mediaType: string;
  diffId: string;
  size: number;
  /** Raw wasm layers: where the module goes in the tree. */
  file?: string;
}

/**
 * Unpacks an image's layers into the layer store once (tar layers as the guest's runtime
 * does; raw wasm layers as their one-file tar) and takes `owner`'s reference on them all.
 */
export async function ensureWasiImageLayers(layers: LayerStore, blobs: BlobStore, owner: string, image: readonly RecordedLayer[]): Promise<Digest[]> {
  const diffIds = image.map((l) => Digest.parse(l.diffId));
  for (const [i, l] of image.entries()) {
    if (!l.file || (await layers.has(diffIds[i]!))) continue;
    const digest = Digest.parse(l.digest);
    const source = await blobs.get(digest);
    if (!source) throw new TabdockError('LAYER_MISSING', `layer ${digest.short} is not in the store; pull the image again`, { digest: l.digest });
    await layers.unpack({ diffId: diffIds[i]!, source: wasmLayerTar(l.file, l.size, source), compression: 'none', what: `wasm layer ${digest.short}` });
  }
  const tars = image.flatMap((l, i) => (l.file ? [] : [{ digest: Digest.parse(l.digest), mediaType: l.mediaType, diffId: diffIds[i]! }]));
  await ensureImageLayers(layers, blobs, owner, tars);
  await layers.retain(owner, diffIds);
  return diffIds;
}
