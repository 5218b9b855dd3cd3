import { TabdockError } from '../shared/errors.ts';
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
 * newest first. The rows are the history's only: an image whose config has none has no
 * rows (Docker prints the header alone), and a history that claims more layers than the
 * image has is moby's error.
 */
export function imageHistory(img: ImageRecord): ImageHistoryItem[] {
  let layer = 0;
  const out: ImageHistoryItem[] = (img.config.history ?? []).map((h) => {
    let size = 0;
    if (!h.empty_layer) {
      const l = img.layers[layer++];
      if (!l) throw new TabdockError('LAYER_MISSING', 'too many non-empty layers in History section', { image: img.id });
      size = layerSize(l);
    }
    return { id: '<missing>', created: h.created, createdBy: h.created_by ?? '', tags: [], size, comment: h.comment ?? '' };
  });
  out.reverse();
  if (out[0]) {
    out[0].id = img.id;
    out[0].tags = img.repoTags;
  }
  return out;
}
