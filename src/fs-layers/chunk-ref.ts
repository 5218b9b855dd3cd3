/**
 * How records name a file's chunk: the hex digest of a blob holding exactly its bytes,
 * or `<hex>.<offset>.<length>` for bytes [offset, offset + length) of a shared pack blob.
 * Small files of a layer are packed (`ChunkWriter`): 100,000 tiny files cost a few hundred
 * blobs, not 100,000, and reading one brings its neighbours into memory with it.
 */
export interface PackedRef {
  hex: string;
  off: number;
  len: number;
}

export function packRef(hex: string, off: number, len: number): string {
  return `${hex}.${off}.${len}`;
}

/** The blob a chunk reference reads from. */
export function refHex(ref: string): string {
  const dot = ref.indexOf('.');
  return dot < 0 ? ref : ref.slice(0, dot);
}

/** The pack slice a reference names, or undefined for a whole blob. */
export function packed(ref: string): PackedRef | undefined {
  const dot = ref.indexOf('.');
  if (dot < 0) return undefined;
  const dot2 = ref.indexOf('.', dot + 1);
  return { hex: ref.slice(0, dot), off: Number(ref.slice(dot + 1, dot2)), len: Number(ref.slice(dot2 + 1)) };
}
