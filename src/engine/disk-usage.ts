import type { ContainerSummary, VolumeSummary } from './api.ts';
import { layerSize, type ImageRecord } from './image-record.ts';
import { buildCacheUsage, isCacheOnly, type BuildCacheRecord } from './build/build-cache.ts';

/** `docker system df`'s data (moby `types.DiskUsage`, the fields the CLI prints). */
export interface DiskUsage {
  /** Every image layer once (uncompressed). */
  LayersSize: number;
  Images: Array<{ Id: string; RepoTags: string[]; RepoDigests: string[]; Created: string | undefined; Size: number; SharedSize: number; Containers: number }>;
  Containers: ContainerSummary[];
  Volumes: VolumeSummary[];
  /** The build cache: untagged images build steps made (build/build-cache.ts). */
  BuildCache: BuildCacheRecord[];
}

/**
 * moby `daemon/disk_usage.go` over the engine's records: an image's SharedSize is the bytes
 * of its layers that another image also has, Containers how many containers use it.
 */
export function diskUsage(all: ImageRecord[], containers: ContainerSummary[], volumes: VolumeSummary[]): DiskUsage {
  const images = all.filter((r) => !isCacheOnly(r));
  const refs = new Map<string, number>();
  const sizes = new Map<string, number>();
  for (const r of images) {
    for (const l of new Map(r.layers.map((x) => [x.diffId, x])).values()) {
      refs.set(l.diffId, (refs.get(l.diffId) ?? 0) + 1);
      sizes.set(l.diffId, layerSize(l));
    }
  }
  const uses = new Map<string, number>();
  for (const c of containers) uses.set(c.ImageID, (uses.get(c.ImageID) ?? 0) + 1);
  return {
    LayersSize: [...sizes.values()].reduce((a, b) => a + b, 0),
    Images: images.map((r) => ({
      Id: r.id, RepoTags: r.repoTags, RepoDigests: r.repoDigests, Created: r.config.created, Size: r.size,
      SharedSize: [...new Map(r.layers.map((x) => [x.diffId, x])).values()].filter((l) => (refs.get(l.diffId) ?? 0) > 1).reduce((a, l) => a + layerSize(l), 0),
      Containers: uses.get(r.id) ?? 0,
    })),
    Containers: containers,
    Volumes: volumes,
    BuildCache: buildCacheUsage(all, new Set(containers.map((c) => c.ImageID))),
  };
}
