import { layerSize, type ImageRecord } from './image-record.ts';

/** One row of `docker history`, newest first (moby's `image.HistoryResponseItem`). */
export interface ImageHistoryItem {
  /** The image ID on the top row; `<missing>` below it (layers pulled, not built here). */
  id: string;
  created: string | undefined;
  createdBy: string;
  tags: string[];
  /** Bytes of the layer this step made (uncompressed); 0 for `empty_layer` steps. */
  size: number;
  comment: string;
}

/**
 * moby `daemon/images` ImageHistory: walks the config's `history`, giving each entry that
 * made a layer the next layer's size (empty_layer entries make none), then lists them
 * newest first. An image without history gets one row per layer.
 */
export function imageHistory(img: ImageRecord): ImageHistoryItem[] {
  const steps = img.config.history?.length ? img.config.history : img.layers.map(() => ({}) as NonNullable<ImageRecord['config']['history']>[number]);
  let layer = 0;
  const out: ImageHistoryItem[] = steps.map((h) => {
    const l = h.empty_layer ? undefined : img.layers[layer++];
    const size = l ? layerSize(l) : 0;
    return { id: '<missing>', created: h.created, createdBy: h.created_by ?? '', tags: [], size, comment: h.comment ?? '' };
  });
  out.reverse();
  if (out[0]) {
    out[0].id = img.id;
    out[0].tags = img.repoTags;
  }
  return out;
}
