/**
 * Node-only additions to fs-layers (a second public face): the directory stores. Node
 * composition roots (CLI, benches, tests) import these from here; browser code never does.
 */
export { DirBlobStore, DirMetaStore } from './dir-store.ts';
