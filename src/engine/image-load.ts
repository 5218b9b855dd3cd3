import { createTarDecoder } from 'modern-tar';
import { contentSize, type BlobStore, type LayerStore } from '../fs-layers/index.ts';
import { Digest, MediaType, layerKind, parseImageConfig, parseReference, sha256, type Compression, type ImageConfig } from '../registry-client/index.ts';
import { TabdockError } from '../shared/errors.ts';
import type { ImageToRecord } from './image-create.ts';
import type { ImageRecord, LayerRecord } from './image-record.ts';

export interface LoadDeps {
  blobs: BlobStore;
  layers: LayerStore;
  /** Records an image whose config is final (image-create.ts `recordImage`). */
  record(img: ImageToRecord): Promise<ImageRecord>;
}

export interface LoadedImage {
  id: string;
  /** Familiar tags (`busybox:latest`); none: loaded by ID. */
  tags: string[];
}

/** A file of the archive: in the blob store under the digest its name gives, or held in memory. */
type Entry = { digest: Digest } | { bytes: Uint8Array };

/** Files whose names carry no digest are held in memory while the archive streams: at most this big. */
const MAX_UNNAMED = 256 << 20;
const MAX_JSON = 16 << 20;

const invalid = (message: string, data: Record<string, unknown> = {}) => new TabdockError('ARCHIVE_INVALID', message, data);

/**
 * `docker load`: a docker-archive (`manifest.json`: Config, RepoTags, Layers as paths; Docker
 * 20.10's `<id>/layer.tar` with symlinks for shared layers, skopeo's `<hex>.tar`, Docker 25's
 * `blobs/sha256/<hex>`) or an OCI image layout (`index.json`, `oci-layout`), as one tar
 * stream pulled with `next`. A file whose name is a digest goes into the blob store under
 * it and is checked against it as it streams; others are hashed here. Every layer is
 * unpacked and checked against its config's diff ID before any image is recorded, so an
 * archive that lies (a digest, a diff ID, a path out of the archive, a missing file) stores
 * no image and keeps none of the blobs it brought.
 */
export async function loadImages(d: LoadDeps, next: () => Promise<Uint8Array | null | undefined>): Promise<LoadedImage[]> {
  const files = new Map<string, Entry>();
  const links = new Map<string, string>();
  const added: Digest[] = [];
  // The layers unpacked are held under this owner until their images hold them (a gc meanwhile keeps them).
  const owner = `load:${Date.now()}:${Math.random().toString(36).slice(2)}`;
  try {
    await readArchive(d, next, files, links, added);
    const get = (path: string, what: string): Entry => {
      let p = clean(path, what);
      for (let hops = 0; links.has(p); hops++) {
        if (hops > 8) throw invalid(`the archive's ${what} (${path}) is a chain of links`);
        p = links.get(p)!;
      }
      const e = files.get(p);
      if (!e) throw invalid(`the archive names ${what} ${path}, which it does not hold`, { path });
      return e;
    };
    const plans = files.has('manifest.json') ? await dockerPlans(d, get) : files.has('index.json') ? await ociPlans(d, get) : undefined;
    if (!plans) throw invalid('this is neither a docker-archive (no manifest.json) nor an OCI image layout (no index.json)');
    // Every layer unpacked and checked before any image is recorded.
    const ready: ImageToRecord[] = [];
    for (const p of plans) ready.push(await prepare(d, p, added, owner));
    const out: LoadedImage[] = [];
    for (const r of ready) {
      const img = await d.record(r);
      out.push({ id: img.id, tags: (r.tags ?? []).map((t) => parseReference(t).familiar()) });
    }
    return out;
  } catch (e) {
    for (const g of added) await d.blobs.delete(g).catch(() => {});
    throw e;
  } finally {
    await d.layers.release(owner).catch(() => {});
  }
}

async function readArchive(d: LoadDeps, next: () => Promise<Uint8Array | null | undefined>, files: Map<string, Entry>, links: Map<string, string>, added: Digest[]): Promise<void> {
  const { readable, writable } = createTarDecoder();
  const w = writable.getWriter();
  const feed = (async () => {
    for (let c = await next(); c; c = await next()) await w.write(c);
    await w.close();
  })();
  feed.catch(() => {});
  const reader = readable.getReader();
  try {
    for (let r = await reader.read(); !r.done; r = await reader.read()) {
      const { header, body } = r.value;
      const name = clean(header.name, 'entry');
      if (header.type === 'directory' || name === '') {
        await skip(body);
        continue;
      }
      if (header.type === 'symlink' || header.type === 'link') {
        await skip(body);
        const target = header.type === 'symlink' ? join(dirOf(name), header.linkname ?? '') : header.linkname ?? '';
        links.set(name, clean(target, `link ${name}`));
        continue;
      }
      if (header.type !== 'file' && header.type !== undefined) {
        await skip(body);
        continue;
      }
      const named = digestIn(name);
      if (named) {
        if (await d.blobs.has(named)) await skip(body);
        else {
          await d.blobs.put(named, body, { size: header.size }).catch((e: unknown) => {
            if (TabdockError.is(e, 'DIGEST_MISMATCH') || TabdockError.is(e, 'SIZE_MISMATCH')) throw invalid(`the archive's ${name} does not hold what its name says (sha256:${named.hex.slice(0, 12)}); refusing the archive`, { path: name });
            throw e;
          });
          added.push(named);
        }
        files.set(name, { digest: named });
        continue;
      }
      if (header.size > MAX_UNNAMED) throw invalid(`the archive's ${name} is ${header.size} bytes; tabdock loads files that large only under their digest (blobs/sha256/<hex>, <hex>.tar)`, { path: name });
      files.set(name, { bytes: new Uint8Array(await new Response(body).arrayBuffer()) });
    }
    await feed;
  } catch (e) {
    await reader.cancel().catch(() => {});
    if (TabdockError.is(e)) throw e;
    throw invalid(`the archive is not a readable tar: ${e instanceof Error ? e.message : String(e)}`);
  }
}

interface Plan {
  config: Entry;
  layers: { entry: Entry; mediaType?: string }[];
  tags: string[];
  what: string;
}

async function json(d: LoadDeps, e: Entry, what: string): Promise<unknown> {
  const bytes = await bytesOf(d, e, what);
  if (bytes.byteLength > MAX_JSON) throw invalid(`the archive's ${what} is too large`);
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw invalid(`the archive's ${what} is not JSON`);
  }
}

async function bytesOf(d: LoadDeps, e: Entry, what: string): Promise<Uint8Array> {
  if ('bytes' in e) return e.bytes;
  const s = await d.blobs.get(e.digest);
  if (!s) throw invalid(`the archive's ${what} went missing from the store`);
  return new Uint8Array(await new Response(s).arrayBuffer());
}

async function dockerPlans(d: LoadDeps, get: (p: string, what: string) => Entry): Promise<Plan[]> {
  const m = await json(d, get('manifest.json', 'manifest.json'), 'manifest.json');
  if (!Array.isArray(m)) throw invalid("the archive's manifest.json is not a list");
  return m.map((item: unknown, i) => {
    const o = item as { Config?: unknown; RepoTags?: unknown; Layers?: unknown };
    if (typeof o?.Config !== 'string' || !Array.isArray(o.Layers) || o.Layers.some((l) => typeof l !== 'string')) throw invalid(`manifest.json entry ${i} has no Config or Layers`);
    const tags = Array.isArray(o.RepoTags) ? (o.RepoTags as unknown[]).filter((t): t is string => typeof t === 'string') : [];
    return {
      config: get(o.Config, 'config'),
      layers: (o.Layers as string[]).map((l) => ({ entry: get(l, 'layer') })),
      tags: tags.map((t) => fullTag(t)),
      what: tags[0] ?? `image ${i + 1}`,
    };
  });
}

async function ociPlans(d: LoadDeps, get: (p: string, what: string) => Entry): Promise<Plan[]> {
  const blob = (digest: unknown, what: string) => {
    const g = typeof digest === 'string' ? Digest.tryParse(digest) : undefined;
    if (!g) throw invalid(`the archive's ${what} names an invalid digest`);
    return get(`blobs/${g.algorithm}/${g.hex}`, what);
  };
  const index = (await json(d, get('index.json', 'index.json'), 'index.json')) as { manifests?: { mediaType?: string; digest?: string; annotations?: Record<string, string> }[] };
  if (!Array.isArray(index?.manifests)) throw invalid("the archive's index.json lists no manifests");
  const plans: Plan[] = [];
  for (const desc of index.manifests) {
    let m = (await json(d, blob(desc.digest, 'manifest'), 'manifest')) as { mediaType?: string; manifests?: typeof index.manifests; config?: { digest?: string }; layers?: { digest?: string; mediaType?: string }[] };
    // A nested index (a multi-platform image): its linux/386 manifest, as a pull would choose.
    if (Array.isArray(m.manifests)) {
      const pick = (m.manifests as ({ digest?: string; platform?: { os?: string; architecture?: string } })[]).find((x) => x.platform?.os === 'linux' && x.platform.architecture === '386') ?? (m.manifests.length === 1 ? m.manifests[0] : undefined);
      if (!pick) throw invalid('the archive holds a multi-platform index with no linux/386 image');
      m = (await json(d, blob(pick.digest, 'manifest'), 'manifest')) as typeof m;
    }
    if (!m.config || !Array.isArray(m.layers)) throw invalid("a manifest in the archive has no config or layers");
    const name = desc.annotations?.['io.containerd.image.name'];
    const tags = name ? [fullTag(name)] : [];
    plans.push({
      config: blob(m.config.digest, 'config'),
      layers: m.layers.map((l) => ({ entry: blob(l.digest, 'layer'), ...(l.mediaType ? { mediaType: l.mediaType } : {}) })),
      tags,
      what: name ?? desc.digest ?? 'image',
    });
  }
  return plans;
}

/** The image's blobs in the store, each layer unpacked and checked against the config's diff ID. */
async function prepare(d: LoadDeps, p: Plan, added: Digest[], owner: string): Promise<ImageToRecord> {
  const configBytes = await bytesOf(d, p.config, `config of ${p.what}`);
  let config: ImageConfig & { diffIds: Digest[] };
  try {
    config = parseImageConfig(configBytes, p.what);
  } catch (e) {
    throw invalid(`the archive's config of ${p.what}: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (config.diffIds.length !== p.layers.length) throw invalid(`${p.what}: its config lists ${config.diffIds.length} layers, the archive ${p.layers.length}`);
  const layers: LayerRecord[] = [];
  for (const [i, l] of p.layers.entries()) {
    let digest: Digest;
    if ('bytes' in l.entry) {
      digest = await sha256(l.entry.bytes);
      if (!(await d.blobs.has(digest))) {
        await d.blobs.put(digest, l.entry.bytes);
        added.push(digest);
      }
    } else digest = l.entry.digest;
    const compression = l.mediaType ? layerKind(l.mediaType)?.compression : await sniff(d.blobs, digest);
    if (!compression) throw invalid(`${p.what}: layer ${digest.short} has media type ${l.mediaType}, which is no layer tabdock can apply`);
    const diffId = config.diffIds[i]!;
    const source = (await d.blobs.get(digest))!;
    // Held from the unpack to the reference, with nothing awaited before the unpack starts (it waits for a gc under way, and a gc waits for holds).
    const rec = await d.layers.hold(async () => {
      const r = await d.layers.unpackHeld({ diffId, source, compression, what: `layer ${digest.short} of ${p.what}` });
      await d.layers.retain(owner, [diffId]);
      return r;
    }).catch((e: unknown) => {
      if (TabdockError.is(e, 'DIFF_ID_MISMATCH')) throw invalid(`${p.what}: layer ${digest.short} is not the layer its config names (${diffId.short}); refusing the archive`, { layer: digest.toString() });
      throw e;
    });
    layers.push({ digest: digest.toString(), size: (await d.blobs.size(digest))!, mediaType: MEDIA[compression], diffId: diffId.toString(), uncompressedSize: rec.size, contentSize: contentSize(rec.entries) });
  }
  const platform = { os: config.os, architecture: config.architecture, ...(config.variant ? { variant: config.variant } : {}) };
  const { diffIds: _, ...plain } = config;
  return { configBytes, config: plain, layers, platform, tags: p.tags };
}

const MEDIA: Record<Compression, string> = {
  none: 'application/vnd.oci.image.layer.v1.tar',
  gzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  zstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
};

/** Docker reads layer.tar compressed or not (moby DecompressStream); so does this. */
async function sniff(blobs: BlobStore, d: Digest): Promise<Compression> {
  const head = (await blobs.read(d, 0, 4)) ?? new Uint8Array();
  if (head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head[0] === 0x28 && head[1] === 0xb5 && head[2] === 0x2f && head[3] === 0xfd) return 'zstd';
  return 'none';
}

/**
 * Reads an entry's body to its end. modern-tar 0.8's decoder stalls for good when a body
 * is cancelled before its bytes have all arrived and a large entry follows, so skipped
 * entries are drained, never cancelled.
 */
function skip(body: ReadableStream<Uint8Array>): Promise<void> {
  return body.pipeTo(new WritableStream());
}

/** An archive path, normalised; one that leaves the archive (absolute, `..` above its root) is refused. */
function clean(path: string, what: string): string {
  if (path.startsWith('/')) throw invalid(`the archive's ${what} ${path} is an absolute path; refusing the archive`, { path });
  const out: string[] = [];
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (out.length === 0) throw invalid(`the archive's ${what} ${path} points outside the archive; refusing it`, { path });
      out.pop();
    } else out.push(part);
  }
  return out.join('/');
}

function dirOf(p: string): string {
  const i = p.lastIndexOf('/');
  return i < 0 ? '' : p.slice(0, i);
}

function join(dir: string, rel: string): string {
  return rel.startsWith('/') ? rel : dir ? `${dir}/${rel}` : rel;
}

/** `blobs/sha256/<hex>`, `<hex>.tar`, `<hex>.json`, `<hex>/layer.tar`: the digest a name gives, if any. */
function digestIn(name: string): Digest | undefined {
  const m = /^(?:blobs\/sha256\/([0-9a-f]{64})|([0-9a-f]{64})\.(?:tar|json))$/.exec(name);
  const hex = m?.[1] ?? m?.[2];
  return hex ? Digest.parse(`sha256:${hex}`) : undefined;
}

function fullTag(t: string): string {
  const r = parseReference(t);
  return `${r.name}:${r.tag ?? 'latest'}`;
}

export { MediaType };
