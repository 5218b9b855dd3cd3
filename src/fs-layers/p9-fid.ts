import type { ContainerFs } from './container-fs.ts';
import type { Inode } from './inode.ts';
import type { WireReader, WireWriter } from './p9-wire.ts';

/** One 9P request handler: sync work returns nothing, async work a promise. */
export type Handler = (r: WireReader, w: WireWriter) => Promise<void> | void;

/** What handlers outside the server class need of it. */
export interface P9Context {
  fid(n: number): Fid;
  fids: Map<number, Fid>;
  /** The fid's container tree; EPERM on the shared root, which holds no files. */
  fs(f: Fid): ContainerFs;
  /** What the fid's qid paths are offset by (unique across trees on one mount). */
  base(f: Fid): number;
}

export interface XattrWrite {
  name: string;
  flags: number;
  data: Uint8Array;
}

export interface Fid {
  /** Undefined on the shared root (attach name ''), whose entries are the trees. */
  fs: ContainerFs | undefined;
  node: Inode;
  /** Where the fid was walked to (for Tremove/Trename). */
  parent?: Inode;
  name?: string;
  uid: number;
  open?: number;
  dir?: [string, Inode][];
  xr?: Uint8Array;
  xw?: XattrWrite;
}

