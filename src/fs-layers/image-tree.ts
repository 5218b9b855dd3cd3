import type { LayerEntry } from './layer-entry.ts';
import { Inode, attach, detach, lookupPath, type Kind } from './inode.ts';
import type { LayerRecord } from './unpack.ts';

/** An image's merged tree: built once from its layers' records, then only read or cloned. */
export interface ImageTree {
  root: Inode;
  /** Inodes in the tree (next free inode number - 1). */
  count: number;
  /** Entries dropped while merging, with the reason. */
  skipped: string[];
}

/**
 * Applies layers bottom to top (OCI image spec, layer.md "Applying changesets" and
 * "Whiteouts"): in each layer, opaque markers and whiteouts act first and only on what
 * lower layers made (the marker may sit anywhere in the tar); then entries in tar order.
 * A directory replaces a lower non-directory and a non-directory replaces a lower
 * directory with everything under it; two directories merge.
 */
export function buildTree(layers: readonly LayerRecord[]): ImageTree {
  let next = 1;
  const root = new Inode(next++, 'd', 0o755, 0, 0, 0);
  const skipped: string[] = [];
  for (const layer of layers) {
    for (const e of layer.entries) {
      if (e.t === 'o') {
        const d = lookupPath(root, e.p);
        if (d?.kind === 'd') for (const name of [...d.children!.keys()]) detach(d, name);
      }
    }
    for (const e of layer.entries) {
      if (e.t !== 'w') continue;
      const slash = e.p.lastIndexOf('/');
      const dir = lookupPath(root, slash < 0 ? '' : e.p.slice(0, slash));
      if (dir?.kind === 'd') detach(dir, e.p.slice(slash + 1));
    }
    for (const e of layer.entries) {
      if (e.t === 'w' || e.t === 'o') continue;
      if (e.p === '') {
        if (e.t === 'd') meta(root, e);
        continue;
      }
      const slash = e.p.lastIndexOf('/');
      const parent = ensureDir(root, slash < 0 ? '' : e.p.slice(0, slash), e, () => next++);
      if (!parent) {
        skipped.push(`${e.p}: a parent is a symlink`);
        continue;
      }
      const name = e.p.slice(slash + 1);
      const existing = parent.children!.get(name);
      if (e.t === 'd') {
        if (existing?.kind === 'd') meta(existing, e);
        else {
          detach(parent, name);
          attach(parent, name, meta(new Inode(next++, 'd', 0, 0, 0, 0), e));
        }
        continue;
      }
      if (e.t === 'h') {
        const target = lookupPath(root, e.l!);
        if (!target || target.kind === 'd') {
          skipped.push(`${e.p}: hard link to missing ${e.l}`);
          continue;
        }
        if (target === existing) continue;
        detach(parent, name);
        attach(parent, name, target);
        continue;
      }
      const n = meta(new Inode(next++, e.t as Kind, 0, 0, 0, 0), e);
      if (e.t === 'f') {
        n.size = e.s ?? 0;
        n.chunks = e.c ?? [];
      }
      if (e.t === 'l') {
        n.target = e.l ?? '';
        n.size = new TextEncoder().encode(n.target).byteLength;
      }
      n.rdev = e.r;
      detach(parent, name);
      attach(parent, name, n);
    }
  }
  return { root, count: next - 1, skipped };
}

function meta(n: Inode, e: LayerEntry): Inode {
  n.mode = e.m ?? n.mode;
  n.uid = e.u ?? 0;
  n.gid = e.g ?? 0;
  n.mtime = n.atime = n.ctime = e.mt ?? 0;
  n.xattrs = e.x;
  return n;
}

/** Walks to a directory, creating missing ones; a lower file on the way is replaced. */
function ensureDir(root: Inode, path: string, e: LayerEntry, ino: () => number): Inode | undefined {
  let d = root;
  if (path === '') return d;
  for (const part of path.split('/')) {
    let c = d.children!.get(part);
    if (c?.kind === 'l') return undefined;
    if (!c || c.kind !== 'd') {
      detach(d, part);
      c = new Inode(ino(), 'd', 0o755, 0, 0, e.mt ?? 0);
      attach(d, part, c);
    }
    d = c;
  }
  return d;
}

/** A deep copy for a container to change (hard links stay shared between their names). */
export function cloneTree(root: Inode): Inode {
  const seen = new Map<Inode, Inode>();
  const copy = (n: Inode): Inode => {
    const had = seen.get(n);
    if (had) return had;
    const c = new Inode(n.ino, n.kind, n.mode, n.uid, n.gid, n.mtime);
    c.atime = n.atime;
    c.ctime = n.ctime;
    c.size = n.size;
    c.chunks = n.chunks.slice();
    c.target = n.target;
    c.rdev = n.rdev;
    c.xattrs = n.xattrs && { ...n.xattrs };
    seen.set(n, c);
    if (n.children) for (const [name, child] of n.children) attach(c, name, copy(child));
    return c;
  };
  return copy(root);
}
