import type { BlobStore, LayerStore, MetaStore } from '../fs-layers/index.ts';
import { Digest, parseReference, sha256, usesDefaultTag, type Platform, type RegistryClient } from '../registry-client/index.ts';
import { TabdockError } from '../shared/errors.ts';
import type { ImageRecord } from './image-record.ts';
import { ImageStore } from './image-store.ts';
import { pullImage, type PullOptions, type PullResult } from './pull.ts';
import { NO_EVENTS, type EventPublisher } from './events.ts';
import { createImage, type NewImageRequest } from './image-create.ts';
import { pushImage, type PushOptions, type PushSummary } from './image-push.ts';
import { recordImage, type ImageToRecord } from './image-create.ts';
import { saveImages, type SaveItem } from './image-save.ts';
import { loadImages, type LoadedImage } from './image-load.ts';

export interface ImageServiceDeps {
  registry: RegistryClient;
  blobs: BlobStore;
  meta: MetaStore;
  /** Where a pull unpacks each layer as it downloads (the store's own gunzip inflates). */
  layers: LayerStore;
  now?: () => Date;
  /** After an image is deleted: free what only it held (the unpacked layers' chunks). */
  onImageDeleted?: (imageId: string) => Promise<void>;
  /** Answers the ID of a container that uses the image, if any (the container layer sets this). */
  imageInUse?: (imageId: string) => Promise<string | undefined>;
  /** Where pull/tag/untag/delete are published. */
  events?: EventPublisher;
  /** The platforms the runtimes also run (emulated), best first: a pull without --platform falls back to them. */
  fallbackPlatforms?: readonly Platform[];
}

export interface RemoveResult {
  untagged: string[];
  deleted: string[];
}

/** Docker's image commands over the stores: pull, list, inspect, tag, remove. */
export class ImageService {
  readonly store: ImageStore;
  private readonly events: EventPublisher;

  constructor(private readonly deps: ImageServiceDeps) {
    this.store = new ImageStore(deps.meta);
    this.events = deps.events ?? NO_EVENTS;
  }

  private time(): string {
    return (this.deps.now?.() ?? new Date()).toISOString();
  }

  /** Progress stays per call (`onProgress`); the completed pull is an event for everyone. */
  async pull(ref: string, opts: PullOptions = {}): Promise<PullResult> {
    const fallback = opts.fallback ?? this.deps.fallbackPlatforms;
    const r = await pullImage({ ...this.deps, images: this.store }, ref, { ...opts, ...(fallback?.length && !opts.platform ? { fallback } : {}) });
    this.events.publish({ type: 'image', action: 'pull', id: r.image.id, ref: r.canonical, time: this.time() });
    return r;
  }

  /** Records an image whose config is final (a load, an import): image-create.ts `recordImage`. */
  record(img: ImageToRecord): Promise<ImageRecord> {
    return recordImage({ ...this.deps, images: this.store }, img);
  }

  /**
   * `docker save IMAGE...` (image-save.ts): a reference with a tag saves that tag, a bare
   * name every tag of its repository (moby tarexport), an ID the image untagged.
   */
  async save(refs: readonly string[], write: (b: Uint8Array) => Promise<unknown> | void): Promise<void> {
    const items = new Map<string, SaveItem>();
    const repos = await this.store.repositories();
    for (const text of refs) {
      const ref = tryRef(text);
      let pairs: [string, string | undefined][] = [];
      if (ref && !ref.digest && usesDefaultTag(text)) pairs = Object.entries(repos.tags).filter(([t]) => t.startsWith(`${ref.name}:`));
      if (pairs.length === 0) {
        const img = await this.get(text);
        const tag = ref && !ref.digest && repos.tags[`${ref.name}:${ref.tag}`] === img.id ? `${ref.name}:${ref.tag}` : undefined;
        pairs = [[tag ?? '', img.id]];
      }
      for (const [tag, id] of pairs) {
        const img = (await this.store.get(id!))!;
        const item = items.get(img.id) ?? { image: img, tags: [] };
        if (tag && !item.tags.includes(tag)) item.tags.push(tag);
        items.set(img.id, item);
      }
    }
    await saveImages(this.deps.blobs, [...items.values()], write);
    for (const it of items.values()) this.events.publish({ type: 'image', action: 'save', id: it.image.id, ref: it.tags[0] ?? it.image.id, time: this.time() });
  }

  /** `docker load` (image-load.ts): the images of a docker-archive or an OCI layout tar. */
  async load(next: () => Promise<Uint8Array | null | undefined>): Promise<LoadedImage[]> {
    const out = await loadImages({ blobs: this.deps.blobs, layers: this.deps.layers, record: (img) => this.record(img) }, next);
    for (const l of out) this.events.publish({ type: 'image', action: 'load', id: l.id, ref: l.tags[0] ?? l.id, time: this.time() });
    return out;
  }

  /** `docker push NAME[:TAG]` (image-push.ts). */
  async push(ref: string, opts: PushOptions = {}): Promise<PushSummary> {
    const r = await pushImage({ registry: this.deps.registry, blobs: this.deps.blobs, images: this.store }, ref, opts);
    const id = await this.store.resolveTag(`${parseReference(ref).name}:${r.tag}`);
    if (id) this.events.publish({ type: 'image', action: 'push', id, ref: parseReference(ref).toString(), time: this.time() });
    return r;
  }

  list(): Promise<ImageRecord[]> {
    return this.store.list();
  }

  /**
   * Makes an image from a parent (or scratch), new layers and a config (image-create.ts):
   * `commit`, `import`, `load` and `build` all make theirs here. A tag given is published.
   */
  async create(req: NewImageRequest): Promise<ImageRecord> {
    const r = await createImage({ ...this.deps, images: this.store }, req);
    if (req.tag) this.events.publish({ type: 'image', action: 'tag', id: r.id, ref: req.tag, time: this.time() });
    return r;
  }

  /**
   * Finds an image as Docker does: by reference (`busybox`, `busybox:1`, `name@digest`),
   * by full ID, or by an unambiguous ID prefix.
   */
  async find(text: string): Promise<ImageRecord | undefined> {
    // A full ID is read directly (a build looks one up per step): no listing.
    const full = /^(sha256:)?([a-f0-9]{64})$/.exec(text);
    if (full) {
      const r = await this.store.get(`sha256:${full[2]}`);
      if (r) return r;
    }
    const repos = await this.store.repositories();
    const ref = tryRef(text);
    if (ref) {
      const key = ref.digest ? `${ref.name}@${ref.digest}` : `${ref.name}:${ref.tag}`;
      const id = ref.digest ? repos.digests[key] : repos.tags[key];
      if (id) return this.store.get(id);
    }
    const hex = text.replace(/^sha256:/, '');
    if (/^[a-f0-9]{1,64}$/.test(hex)) {
      const hits = (await this.store.list()).filter((r) => r.id.slice('sha256:'.length).startsWith(hex));
      if (hits.length > 1) throw new TabdockError('AMBIGUOUS_ID', `image ID prefix ${text} is ambiguous: it matches ${hits.length} images`, { prefix: text });
      return hits[0];
    }
    return undefined;
  }

  async get(text: string): Promise<ImageRecord> {
    const r = await this.find(text);
    if (!r) throw new TabdockError('NO_SUCH_IMAGE', `No such image: ${text}`, { image: text });
    return r;
  }

  /** `docker tag SOURCE TARGET` */
  async tag(source: string, target: string): Promise<void> {
    const img = await this.get(source);
    const ref = parseReference(target);
    if (ref.digest) throw new TabdockError('INVALID_REFERENCE', `refusing to create a tag with a digest reference`, { target });
    await this.store.save(img, { tag: `${ref.name}:${ref.tag}` });
    this.events.publish({ type: 'image', action: 'tag', id: img.id, ref: `${ref.name}:${ref.tag}`, time: this.time() });
  }

  /** `docker rmi`: untags, and deletes the image and its unshared blobs once nothing names it. */
  async remove(text: string, opts: { force?: boolean } = {}): Promise<RemoveResult> {
    const img = await this.get(text);
    const out = await this.removeQuietly(img, text, opts);
    // Published after the fact, once, whichever way it returned (untagged only, or deleted).
    const time = this.time();
    for (const ref of out.untagged) this.events.publish({ type: 'image', action: 'untag', id: img.id, ref, time });
    if (out.deleted.includes(img.id)) this.events.publish({ type: 'image', action: 'delete', id: img.id, time });
    return out;
  }

  private async removeQuietly(img: ImageRecord, text: string, opts: { force?: boolean }): Promise<RemoveResult> {
    const out: RemoveResult = { untagged: [], deleted: [] };
    const ref = tryRef(text);
    const repos = await this.store.repositories();
    const byRef = ref && (ref.digest ? repos.digests[`${ref.name}@${ref.digest}`] : repos.tags[`${ref.name}:${ref.tag}`]) === img.id;
    if (byRef && ref) {
      const key = ref.digest ? `${ref.name}@${ref.digest}` : `${ref.name}:${ref.tag}`;
      await this.store.untag(key);
      out.untagged.push(familiar(key));
      const left = (await this.store.get(img.id))!;
      // Other tags still name it: untagging was all (Docker keeps the image).
      if (left.repoTags.length > 0 && !opts.force) return out;
    } else if (!opts.force && new Set(img.repoTags.map((t) => t.replace(/:[^:/]+$/, ''))).size > 1) {
      throw new TabdockError('CONFLICT', `conflict: unable to delete ${img.id.slice(7, 19)} (must be forced) - image is referenced in multiple repositories`, { id: img.id });
    }
    const user = await this.deps.imageInUse?.(img.id);
    if (user && !opts.force) {
      throw new TabdockError('CONFLICT', `conflict: unable to remove repository reference "${text}" (must force) - container ${user.slice(0, 12)} is using its referenced image ${img.id.slice(7, 19)}`, { id: img.id, container: user });
    }
    const current = (await this.store.get(img.id))!;
    for (const r of [...current.repoTags, ...current.repoDigests]) {
      await this.store.untag(r);
      out.untagged.push(familiar(r));
    }
    if (user) return out; // forced while in use: Docker untags but keeps the image.
    await this.store.remove(img.id);
    out.deleted.push(img.id);
    out.deleted.push(...(await this.freeBlobs(img)));
    await this.deps.onImageDeleted?.(img.id);
    return out;
  }

  /** Deletes the blobs of a removed image that no other image uses; returns the layers' chain IDs. */
  private async freeBlobs(img: ImageRecord): Promise<string[]> {
    const inUse = new Set<string>();
    for (const r of await this.store.list()) {
      inUse.add(r.id).add(r.manifestDigest);
      for (const l of r.layers) inUse.add(l.digest);
    }
    const chain = await chainIds(img.layers.map((l) => l.diffId));
    const deleted: string[] = [];
    for (const [i, l] of img.layers.entries()) {
      if (inUse.has(l.digest)) continue;
      await this.deps.blobs.delete(Digest.parse(l.digest));
      await this.deps.meta.delete(`layer/${l.digest}`);
      deleted.push(chain[i]!);
    }
    for (const d of [img.id, img.manifestDigest]) if (!inUse.has(d)) await this.deps.blobs.delete(Digest.parse(d));
    return deleted.reverse();
  }
}

/** OCI ChainIDs: ChainID(L0) = DiffID(L0); ChainID(Ln) = sha256(ChainID(Ln-1) + " " + DiffID(Ln)). */
export async function chainIds(diffIds: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const d of diffIds) {
    const prev = out[out.length - 1];
    out.push(prev === undefined ? d : (await sha256(new TextEncoder().encode(`${prev} ${d}`))).toString());
  }
  return out;
}

function tryRef(text: string) {
  try {
    return parseReference(text);
  } catch {
    return undefined;
  }
}

/** `docker.io/library/busybox:latest` -> `busybox:latest` */
export function familiar(full: string): string {
  const r = tryRef(full);
  return r ? r.familiar() : full;
}
