import { CHUNK } from './layer-entry.ts';

/** file, dir, symlink, char dev, block dev, fifo, socket (sockets only come from the guest). */
export type Kind = 'f' | 'd' | 'l' | 'c' | 'b' | 'p' | 's';

/** One name of an inode: directories have exactly one, files one per hard link. */
export interface Link {
  dir: Inode;
  name: string;
}

/** POSIX type bits for each kind (S_IFREG etc.; v86 and Linux need them in modes). */
export const S_IF: Record<Kind, number> = { f: 0o100000, d: 0o040000, l: 0o120000, c: 0o020000, b: 0o060000, p: 0o010000, s: 0o140000 };

/**
 * An in-memory inode of a union tree. Image trees are built once per image and never
 * changed; a container works on its own clone, whose changes the writable layer persists.
 * Times are seconds since the epoch (fractional).
 */
export class Inode {
  children: Map<string, Inode> | undefined;
  links: Link[] = [];
  size = 0;
  chunks: (string | null)[] = [];
  /** Chunks written but not yet stored (writable layer), by chunk index. */
  dirty: Map<number, Uint8Array> | undefined;
  /** Chunks being stored by a flush right now (still read from here until done). */
  flushing: Map<number, Uint8Array> | undefined;
  /** A directory made in the container: lower content at its path stays hidden. */
  opaque = false;
  /** Whether the container's writable layer holds a record of this inode. */
  rw = false;
  target: string | undefined;
  rdev: [number, number] | undefined;
  xattrs: Record<string, string> | undefined;
  atime: number;
  ctime: number;

  constructor(
    public ino: number,
    public kind: Kind,
    public mode: number,
    public uid: number,
    public gid: number,
    public mtime: number,
  ) {
    this.atime = mtime;
    this.ctime = mtime;
    if (kind === 'd') this.children = new Map();
  }

  /** Child directories (kept by attach/detach: getattr must not scan a big directory). */
  subdirs = 0;

  get nlink(): number {
    return this.kind === 'd' ? 2 + this.subdirs : this.links.length;
  }

  /** The full type+permission mode, as stat reports it. */
  get fullMode(): number {
    return S_IF[this.kind] | (this.mode & 0o7777);
  }

  /** The path of its first link (`''` for the root), for the writable layer's records. */
  get path(): string {
    const parts: string[] = [];
    for (let n: Inode = this; n.links.length > 0; n = n.links[0]!.dir) parts.push(n.links[0]!.name);
    return parts.reverse().join('/');
  }

  get blocks(): number {
    return Math.ceil(this.size / 512);
  }
}

export function attach(dir: Inode, name: string, node: Inode): void {
  if (node.kind === 'd') dir.subdirs++;
  dir.children!.set(name, node);
  node.links.push({ dir, name });
}

export function detach(dir: Inode, name: string): Inode | undefined {
  const node = dir.children!.get(name);
  if (!node) return undefined;
  dir.children!.delete(name);
  if (node.kind === 'd') dir.subdirs--;
  const i = node.links.findIndex((l) => l.dir === dir && l.name === name);
  if (i >= 0) node.links.splice(i, 1);
  return node;
}

/** The inode at an exact path, following no symlink (the host never follows one). */
export function lookupPath(root: Inode, path: string): Inode | undefined {
  let n: Inode | undefined = root;
  if (path === '') return n;
  for (const part of path.split('/')) {
    n = n.children?.get(part);
    if (!n) return undefined;
  }
  return n;
}

export function chunkIndex(offset: number): number {
  return Math.floor(offset / CHUNK);
}
