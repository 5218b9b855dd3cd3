/** fs-layers: blob and metadata stores (the layer store and union FS build on these). */
export type { BlobStore, MetaStore } from './store.ts';
export { DirBlobStore, DirMetaStore } from './dir-store.ts';
export { decompressor } from './decompress.ts';
