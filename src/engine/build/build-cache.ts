/**
 * The build cache: the images build steps made (ImageRecord.buildCache) and the keys that
 * find them (`buildcache/<step key>` in the meta store -> image ID). A tagged one is an
 * image like any other; untagged, it is cache: out of `docker images` and `image prune`,
 * counted by `system df` as Build Cache, removed by `builder prune`.
 */
import type { MetaStore } from '../../fs-layers/index.ts';
import { layerSize, type ImageRecord } from '../image-record.ts';
import type { ImageService } from '../images.ts';
import { freedBytes } from '../image-prune.ts';

export const CACHE_PREFIX = 'buildcache/';

/** Untagged build-step images: the cache. */
export function isCacheOnly(r: ImageRecord): boolean {
  return r.buildCache === true && r.repoTags.length === 0;
}

/** moby `types.BuildCache`, the fields `system df` reads. */
export interface BuildCacheRecord {
  ID: string;
  Type: string;
  Description: string;
  InUse: boolean;
  Shared: boolean;
  Size: number;
  CreatedAt: string;
  UsageCount: number;
}

/**
 * The cache's records for `system df`: one per cache image, its Size the bytes of its
 * layers no listed image holds (each layer counted once, by the first entry that has it).
 */
export function buildCacheUsage(all: ImageRecord[], inUse: ReadonlySet<string>): BuildCacheRecord[] {
  const listed = new Set(all.filter((r) => !isCacheOnly(r)).flatMap((r) => r.layers.map((l) => l.diffId)));
  const counted = new Set<string>();
  return all.filter(isCacheOnly).map((r) => {
    let size = 0;
    for (const l of r.layers) {
      if (listed.has(l.diffId) || counted.has(l.diffId)) continue;
      counted.add(l.diffId);
      size += layerSize(l);
    }
    const last = r.config.history?.at(-1);
    return { ID: r.id.slice(7, 32), Type: 'regular', Description: last?.created_by ?? '', InUse: inUse.has(r.id), Shared: false, Size: size, CreatedAt: r.pulledAt, UsageCount: 0 };
  });
}

/**
 * `docker builder prune`: removes the cache images no container uses, and the keys that
 * named them (with `all`, the keys of tagged build results too, so the next build runs
 * every step). Reclaimed: the bytes of layers no remaining image holds.
 */
export async function pruneBuildCache(d: { images: ImageService; meta: MetaStore }, inUse: ReadonlySet<string>, opts: { all?: boolean } = {}): Promise<{ deleted: string[]; reclaimed: number }> {
  const before = await d.images.list();
  const doomed = before.filter((r) => isCacheOnly(r) && !inUse.has(r.id));
  const gone = new Set<string>();
  for (const r of doomed) {
    await d.images.remove(r.id, { force: true }).catch(() => {});
    gone.add(r.id);
  }
  for (const k of await d.meta.keys(CACHE_PREFIX)) {
    const id = await d.meta.get<string>(k);
    if (opts.all || !id || gone.has(id)) await d.meta.delete(k);
  }
  // Counted as `image prune` counts: the layers no remaining image holds, once each.
  return { deleted: doomed.map((r) => r.id.slice(7, 32)), reclaimed: freedBytes(doomed, await d.images.list()) };
}
