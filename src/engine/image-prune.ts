import { layerSize, type ImageRecord } from './image-record.ts';
import { familiar, type ImageService } from './images.ts';

/** moby's `types.ImagesPruneReport`: what went (untagged refs, deleted IDs) and the bytes freed. */
export interface ImagePruneReport {
  deleted: { untagged?: string; deleted?: string }[];
  reclaimed: number;
}

/**
 * `docker image prune`: removes dangling images (no tag), or with `all` every image no
 * container uses. Reclaimed space counts the layers (uncompressed) that no remaining
 * image shares, once each, as moby counts the layers it released.
 */
export async function pruneImages(images: ImageService, inUse: ReadonlySet<string>, opts: { all?: boolean } = {}): Promise<ImagePruneReport> {
  const before = await images.list();
  const doomed = before.filter((r) => !inUse.has(r.id) && (opts.all || r.repoTags.length === 0));
  const report: ImagePruneReport = { deleted: [], reclaimed: 0 };
  for (const img of doomed) {
    const r = await images.remove(img.id, { force: true });
    for (const u of r.untagged) report.deleted.push({ untagged: familiar(u) });
    for (const d of r.deleted) report.deleted.push({ deleted: d });
  }
  report.reclaimed = freedBytes(doomed, await images.list());
  return report;
}

export function freedBytes(removed: ImageRecord[], left: ImageRecord[]): number {
  const kept = new Set(left.flatMap((r) => r.layers.map((l) => l.diffId)));
  const counted = new Set<string>();
  let total = 0;
  for (const l of removed.flatMap((r) => r.layers)) {
    if (kept.has(l.diffId) || counted.has(l.diffId)) continue;
    counted.add(l.diffId);
    total += layerSize(l);
  }
  return total;
}
