import { changes, lookupPath, type Change, type ContainerFs, type Inode } from '../../fs-layers/index.ts';
import { TabdockError } from '../../shared/errors.ts';

/**
 * `docker diff` and `docker cp` over a container's tree (its ContainerFs: the same object
 * the 9P server serves; the engine has the guest write back before it reads a running
 * container's tree and forget its cache after it wrote one: see TREE_MOUNT_OPTIONS).
 * Paths are resolved inside the container's root: symlinks in the middle of a path are
 * followed within the tree, never on the host (docker cp's `FollowSymlinkInScope`); the
 * last component is taken as it is (cp copies a link itself).
 */
export type { Change };

/** What `docker cp` needs to know about a path (the container-path-stat header). */
export interface PathStat {
  name: string;
  kind: 'f' | 'd' | 'l' | 'other';
  size: number;
  mode: number;
  mtime: number;
  linkTarget?: string;
}

/**
 * One node of a copied tree, in either direction: `path` is relative to the copied root
 * (`''` for the root itself), parents come before children, and a file's bytes follow as
 * entries with `data` at increasing `offset` (large files in several pieces).
 */
export interface CopyEntry {
  path: string;
  kind: 'f' | 'd' | 'l';
  mode: number;
  uid: number;
  gid: number;
  mtime: number;
  target?: string;
  /** A file's whole size (its pieces may come in several entries). */
  size?: number;
  data?: Uint8Array;
  offset?: number;
}

const PIECE = 1 << 20;
const MAX_LINKS = 40;

/**
 * What moby's init layer holds (`daemon/initlayer`): the mountpoints and files a runtime
 * makes for every container. Docker's diff never shows them; crun creates the missing
 * mountpoints in our writable layer, so they are left out here when they were added.
 */
const INIT_LAYER = new Set(['/dev', '/dev/pts', '/dev/shm', '/dev/console', '/proc', '/sys', '/.dockerenv', '/etc/resolv.conf', '/etc/hosts', '/etc/hostname', '/etc/mtab']);

/** The writable layer's changes as `docker diff` prints them (A, C, D by path). */
export function diff(fs: ContainerFs): Change[] {
  return changes(fs).filter((c) => !(c.kind === 'A' && INIT_LAYER.has(c.path)));
}

/** Whether a path is one of the init layer's (left out of `diff` and of a commit when the container added it). */
export const isInitLayerPath = (path: string): boolean => INIT_LAYER.has(path);

/** A regular file's bytes at an absolute path of the tree (taken as is), or undefined. */
export async function readTreeFile(fs: ContainerFs, path: string): Promise<Uint8Array | undefined> {
  const n = lookupPath(fs.root, path.replace(/^\/+/, ''));
  return n?.kind === 'f' ? fs.read(n, 0, n.size) : undefined;
}

/** Resolves an absolute container path, following symlinks inside the tree except the last. */
export function resolve(root: Inode, path: string, followLast = false): { node: Inode | undefined; parent: Inode | undefined; name: string } {
  const parts = path.split('/').filter((p) => p !== '' && p !== '.');
  const stack: Inode[] = [root];
  let hops = 0;
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    const dir = stack[stack.length - 1]!;
    if (part === '..') {
      if (stack.length > 1) stack.pop();
      continue;
    }
    const next = dir.kind === 'd' ? dir.children!.get(part) : undefined;
    const last = i === parts.length - 1;
    if (!next) return { node: undefined, parent: last && dir.kind === 'd' ? dir : undefined, name: part };
    if (next.kind === 'l' && (!last || followLast)) {
      if (++hops > MAX_LINKS) throw new TabdockError('CP_LOOP', `too many levels of symbolic links in ${path}`, { path });
      const target = next.target ?? '';
      const rest = target.split('/').filter((p) => p !== '' && p !== '.');
      if (target.startsWith('/')) stack.splice(1);
      parts.splice(i + 1, 0, ...rest);
      continue;
    }
    if (last) return { node: next, parent: dir, name: part };
    stack.push(next);
  }
  const node = stack[stack.length - 1]!;
  return { node, parent: stack[stack.length - 2], name: parts.filter((p) => p !== '..').at(-1) ?? '/' };
}

export function statPath(fs: ContainerFs, path: string, followLink = false): PathStat | undefined {
  const { node, name } = resolve(fs.root, path, followLink);
  if (!node) return undefined;
  const kind = node.kind === 'f' || node.kind === 'd' || node.kind === 'l' ? node.kind : 'other';
  return { name, kind, size: node.size, mode: node.mode, mtime: node.mtime, ...(node.target !== undefined ? { linkTarget: node.target } : {}) };
}

function noSuchPath(path: string): TabdockError {
  return new TabdockError('NO_SUCH_PATH', `Could not find the file ${path} in container`, { path });
}

/** Sends the tree at `path` (a file, a link, or a directory with everything under it; `-L`: what a link names). */
export async function copyOut(fs: ContainerFs, path: string, onEntry: (e: CopyEntry) => Promise<unknown> | void, followLink = false): Promise<void> {
  const { node } = resolve(fs.root, path, followLink);
  if (!node) throw noSuchPath(path);
  const walk = async (n: Inode, rel: string): Promise<void> => {
    if (n.kind !== 'f' && n.kind !== 'd' && n.kind !== 'l') return; // devices, fifos, sockets: skipped
    const base: CopyEntry = { path: rel, kind: n.kind, mode: n.mode, uid: n.uid, gid: n.gid, mtime: n.mtime, ...(n.kind === 'l' ? { target: n.target ?? '' } : {}), ...(n.kind === 'f' ? { size: n.size } : {}) };
    if (n.kind !== 'f') {
      await onEntry(base);
      if (n.kind === 'd') for (const [name, c] of [...n.children!].sort(([a], [b]) => (a < b ? -1 : 1))) await walk(c, rel ? `${rel}/${name}` : name);
      return;
    }
    if (n.size === 0) return void (await onEntry({ ...base, data: new Uint8Array(0), offset: 0 }));
    for (let off = 0; off < n.size; off += PIECE) await onEntry({ ...base, data: await fs.read(n, off, Math.min(PIECE, n.size - off)), offset: off });
  };
  await walk(node, '');
}

/**
 * Writes a copied tree at `path`: the root entry becomes `path` itself (the caller picks
 * it, as docker cp does from the source's kind and what is at the destination). Owners are
 * root unless `keepOwner` (`docker cp -a`). Existing directories are merged into; an
 * existing file is replaced; a directory never replaces a file or the other way round.
 */
export async function copyIn(fs: ContainerFs, path: string, next: () => Promise<CopyEntry | null | undefined>, opts: { keepOwner?: boolean } = {}): Promise<void> {
  const at = resolve(fs.root, path);
  if (!at.parent && !at.node) throw new TabdockError('NO_SUCH_PATH', `Could not find the file ${path.replace(/\/[^/]*$/, '') || '/'} in container`, { path });
  const made = new Map<string, Inode>();
  // A directory the copy merges into at its root keeps its own mode and owner (`SRC/.`, `cp -`).
  let keepRoot = false;
  for (let e = await next(); e; e = await next()) {
    const owner = opts.keepOwner ? { uid: e.uid, gid: e.gid } : { uid: 0, gid: 0 };
    let n = made.get(e.path);
    // Into the tree's root itself (a volume being populated): the root stays, its entries merge.
    if (!n && e.path === '' && !at.parent && at.node?.kind === 'd') {
      n = at.node;
      keepRoot = true;
      made.set('', n);
    }
    if (!n) {
      const slash = e.path.lastIndexOf('/');
      const parent = e.path === '' ? at.parent : made.get(slash < 0 ? '' : e.path.slice(0, slash));
      const name = e.path === '' ? at.name : e.path.slice(slash + 1);
      if (!parent || parent.kind !== 'd') throw new TabdockError('CP_ORDER', `copy entry ${e.path} came before its directory`, { path: e.path });
      const existing = e.path === '' && at.node ? at.node : parent.children!.get(name);
      if (existing && existing.kind === 'd' && e.kind === 'd') {
        n = existing;
        keepRoot = e.path === '';
      }
      else if (existing && (existing.kind === 'd') !== (e.kind === 'd')) {
        throw new TabdockError('CP_KIND', e.kind === 'd' ? `cannot overwrite non-directory ${join(path, e.path)} with directory` : `cannot overwrite directory ${join(path, e.path)} with non-directory`, {});
      } else {
        // A file that is there is replaced, not written over (moby's Unpack removes it first):
        // its other hard links keep the old bytes, and a guest that cached it (or a process
        // that has it open) holds the old inode, never half of each.
        if (existing) fs.unlink(parent, name, false);
        n = fs.create(parent, name, e.kind, { mode: e.mode, ...owner, ...(e.kind === 'l' ? { target: e.target ?? '' } : {}) });
      }
      made.set(e.path, n);
    }
    if (e.data && e.data.byteLength > 0) await fs.write(n, e.offset ?? 0, e.data);
    if (e.kind !== 'l' && !(e.path === '' && keepRoot)) await fs.setattr(n, { mode: e.mode, ...owner, mtime: e.mtime });
  }
  await fs.sync();
}

function join(a: string, b: string): string {
  return b ? `${a.replace(/\/+$/, '')}/${b}` : a;
}

/** Bytes the writable layer holds in files (Docker's SizeRw, near enough: data, not metadata). */
export function writableSize(fs: ContainerFs): number {
  let total = 0;
  for (const c of changes(fs)) {
    if (c.kind === 'D') continue;
    const n = lookupPath(fs.root, c.path.slice(1));
    if (n?.kind === 'f') total += n.size;
  }
  return total;
}
