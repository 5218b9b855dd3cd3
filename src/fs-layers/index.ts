/** fs-layers: blob and metadata stores, layer store, union view, writable layers, 9P2000.L server. */
export type { BlobStore, MetaStore, PutOptions, StoreOptions } from './store.ts';
// The browsers' stores; the Node directory stores are in './node.ts' only, so that page
// bundles never pull in node:fs (tsconfig.worker.json checks it).
export { IdbBlobStore, IdbMetaStore } from './idb-store.ts';
export { storeFull, isNoSpace } from './store-full.ts';
export { StoreSpace, DEFAULT_DISK_RESERVE, type StoreSpaceOptions } from './store-space.ts';
export { decompressor, corruptLayer, type Gunzip } from './decompress.ts';
export { LayerStore, freeChunks, type LayerStoreDeps, type GcResult, type ChunkPins } from './layer-store.ts';
export type { LayerRecord, UnpackInput } from './unpack.ts';
export { CHUNK, contentSize, type LayerEntry } from './layer-entry.ts';
export { Inode, lookupPath, type Kind } from './inode.ts';
export type { ImageTree } from './image-tree.ts';
export { ChunkCache, readFile } from './chunk-cache.ts';
export { ContainerFs, type NewNode, type SetAttr } from './container-fs.ts';
export { changes, exportLayer, exportTree, type Change } from './layer-export.ts';
export { FsError, E as Errno, errnoOf } from './fs-error.ts';
export { P9Server, type P9Deps } from './p9-server.ts';
export { ensureImageLayers, type ImageLayer } from './image-layers.ts';
