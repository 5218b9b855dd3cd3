/**
 * COPY and ADD into a build step's tree, as BuildKit's file operations do them
 * (solver/llbsolver/file, tonistiigi/fsutil copy): a directory source copies what is in
 * it, a file lands in a directory destination (one ending in `/`, or one that is there)
 * under its own name or else at the destination path; missing parents are made (owned as
 * `--chown` says); modes and mtimes are the source's unless `--chmod`; owners root unless
 * `--chown`. ADD unpacks a local tar (plain or gzip) into the destination.
 */
import { createTarDecoder } from 'modern-tar';
import type { ContainerFs, Inode } from '../../fs-layers/index.ts';
import type { ContextEntry, ContextSource } from '../../build/index.ts';
import { TabdockError } from '../../shared/errors.ts';
import { resolve } from '../containers/container-files.ts';

export interface Owner {
  uid: number;
  gid: number;
}

export interface CopyOptions {
  /** `--chown`, resolved; undefined: root. */
  owner?: Owner;
  /** `--chmod`; undefined: the source's mode. */
  mode?: number;
}

/** A container tree read as a build context (`COPY --from`): paths relative to its root. */
export class TreeSource implements ContextSource {
  constructor(private readonly fs: ContainerFs) {}

  private entry(n: Inode, path: string): ContextEntry {
    const type = n.kind === 'f' ? 'file' : n.kind === 'd' ? 'dir' : n.kind === 'l' ? 'symlink' : n.kind === 'c' ? 'char' : n.kind === 'b' ? 'block' : 'fifo';
    return {
      path, type, mode: n.mode & 0o7777, uid: n.uid, gid: n.gid, size: n.kind === 'f' ? n.size : 0, mtime: n.mtime * 1000,
      ...(n.kind === 'l' ? { linkname: n.target ?? '' } : {}),
    };
  }

  private node(path: string): Inode | undefined {
    return path === '' ? this.fs.root : resolve(this.fs.root, '/' + path, false).node;
  }

  async list(dir: string): Promise<ContextEntry[]> {
    const n = this.node(dir);
    if (n?.kind !== 'd') return [];
    return [...n.children!].map(([name, c]) => this.entry(c, dir ? `${dir}/${name}` : name));
  }

  async read(path: string): Promise<Uint8Array> {
    const n = this.node(path);
    if (n?.kind !== 'f') throw new TabdockError('BUILD_SOURCE_NOT_FOUND', `"/${path}": not found`, { path });
    return this.fs.read(n, 0, n.size);
  }

  async stat(path: string): Promise<ContextEntry | undefined> {
    const n = this.node(path);
    return n ? this.entry(n, path) : undefined;
  }
}

const KIND = { file: 'f', dir: 'd', symlink: 'l', char: 'c', block: 'b', fifo: 'p' } as const;

/** Makes the directories of an absolute path that are missing (mode 0755, owned as given); follows links inside the tree. */
export function mkdirAll(fs: ContainerFs, path: string, owner: Owner = { uid: 0, gid: 0 }): Inode {
  const r = resolve(fs.root, path, true);
  if (r.node) {
    if (r.node.kind !== 'd') throw new TabdockError('BUILD_STEP_FAILED', `cannot make directory ${path}: a file is in the way`, { path });
    return r.node;
  }
  const parts = path.split('/').filter((p) => p !== '' && p !== '.');
  let dir = fs.root;
  for (let i = 0; i < parts.length; i++) {
    const sub = resolve(fs.root, '/' + parts.slice(0, i + 1).join('/'), true);
    if (sub.node) {
      if (sub.node.kind !== 'd') throw new TabdockError('BUILD_STEP_FAILED', `cannot make directory ${path}: /${parts.slice(0, i + 1).join('/')} is not a directory`, { path });
      dir = sub.node;
      continue;
    }
    dir = fs.create(dir, parts[i]!, 'd', { mode: 0o755, ...owner });
  }
  return dir;
}

/** Puts one node at `parent/name`: a file replaces what is there, a directory merges into a directory. */
async function place(fs: ContainerFs, parent: Inode, name: string, e: ContextEntry, data: Uint8Array | undefined, o: CopyOptions): Promise<Inode> {
  const owner = o.owner ?? { uid: 0, gid: 0 };
  // A link's own mode is always 0777 (lchmod does not exist on Linux); --chmod is for what it copies.
  const mode = e.type === 'symlink' ? 0o777 : o.mode ?? e.mode;
  let n = parent.children!.get(name);
  if (n && n.kind === 'd' && e.type === 'dir') {
    await fs.setattr(n, { mode, ...owner, ...(e.mtime !== undefined ? { mtime: e.mtime / 1000 } : {}) });
    return n;
  }
  if (n) removeTree(fs, parent, name);
  n = fs.create(parent, name, KIND[e.type], { mode, ...owner, ...(e.type === 'symlink' ? { target: e.linkname ?? '' } : {}) });
  if (data && data.byteLength > 0) await fs.write(n, 0, data);
  if (e.type !== 'symlink') await fs.setattr(n, { mode, ...owner, ...(e.mtime !== undefined ? { mtime: e.mtime / 1000 } : {}) });
  return n;
}

function removeTree(fs: ContainerFs, parent: Inode, name: string): void {
  const n = parent.children!.get(name);
  if (!n) return;
  if (n.kind === 'd') for (const c of [...n.children!.keys()]) removeTree(fs, n, c);
  fs.unlink(parent, name, n.kind === 'd');
}

/** Copies what is under a source directory into `dest` (made if missing), depth-first. */
async function copyDirContents(fs: ContainerFs, src: ContextSource, dir: string, dest: Inode, o: CopyOptions): Promise<number> {
  let count = 0;
  const entries = (await src.list(dir)).sort((a, b) => (a.path < b.path ? -1 : 1));
  for (const e of entries) {
    const name = e.path.slice(e.path.lastIndexOf('/') + 1);
    const n = await place(fs, dest, name, e, e.type === 'file' ? await src.read(e.path) : undefined, o);
    count++;
    if (e.type === 'dir') count += await copyDirContents(fs, src, e.path, n, o);
  }
  return count;
}

/**
 * Copies matched sources (`paths`, relative to the source's root, each there) to `dest`
 * (absolute). Several sources need a directory destination ending in `/`.
 */
export async function copySources(fs: ContainerFs, src: ContextSource, paths: readonly string[], dest: string, o: CopyOptions): Promise<void> {
  const destIsDir = dest.endsWith('/') || paths.length > 1;
  const at = resolve(fs.root, dest, true);
  for (const p of paths) {
    let e = (await src.stat(p))!;
    // The named source is followed if it is a link (BuildKit's FollowSymlinks), inside the source's root.
    for (let hops = 0; e.type === 'symlink' && hops < 40; hops++) {
      const t = e.linkname ?? '';
      const base = p.includes('/') ? p.slice(0, p.lastIndexOf('/')) : '';
      const target = normalize(t.startsWith('/') ? t : `${base}/${t}`);
      const next = await src.stat(target);
      if (!next) throw new TabdockError('BUILD_SOURCE_NOT_FOUND', `"/${p}": not found (a link to ${t}, which is not there)`, { path: p });
      e = { ...next, path: target };
    }
    if (e.type === 'dir') {
      const d = mkdirAll(fs, dest, o.owner);
      // The destination directory takes the source directory's mode when it is made here.
      if (!at.node) await fs.setattr(d, { mode: o.mode ?? e.mode, ...(o.owner ?? { uid: 0, gid: 0 }) });
      await copyDirContents(fs, src, e.path, d, o);
      continue;
    }
    const name = e.path.slice(e.path.lastIndexOf('/') + 1);
    const data = e.type === 'file' ? await src.read(e.path) : undefined;
    if (destIsDir || at.node?.kind === 'd') {
      await place(fs, mkdirAll(fs, dest, o.owner), name, e, data, o);
    } else {
      const slash = dest.replace(/\/+$/, '').lastIndexOf('/');
      const parent = mkdirAll(fs, dest.slice(0, slash) || '/', o.owner);
      await place(fs, parent, dest.slice(slash + 1), e, data, o);
    }
  }
}

function normalize(p: string): string {
  const out: string[] = [];
  for (const part of p.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') out.pop();
    else out.push(part);
  }
  return out.join('/');
}

/** Whether bytes are a tar ADD unpacks: gzip, or a tar's `ustar` magic; bzip2 and xz are named so they can be refused. */
export function archiveKind(b: Uint8Array): 'gzip' | 'tar' | 'bzip2' | 'xz' | undefined {
  if (b[0] === 0x1f && b[1] === 0x8b) return 'gzip';
  if (b[0] === 0x42 && b[1] === 0x5a && b[2] === 0x68) return 'bzip2';
  if (b[0] === 0xfd && b[1] === 0x37 && b[2] === 0x7a && b[3] === 0x58 && b[4] === 0x5a) return 'xz';
  if (b.byteLength >= 262 && new TextDecoder().decode(b.subarray(257, 262)) === 'ustar') return 'tar';
  return undefined;
}

/**
 * ADD's unpacking of a tar (plain or gzip) into `dest`: owners and modes as the archive
 * has them (unless `--chown`/`--chmod`), hard links kept, and any entry that would land
 * outside `dest` (`..`, an absolute link target followed) refused before anything is written
 * past it.
 */
export async function unpackInto(fs: ContainerFs, bytes: Uint8Array, kind: 'gzip' | 'tar', dest: string, o: CopyOptions, what: string): Promise<void> {
  const root = mkdirAll(fs, dest, o.owner);
  let stream: ReadableStream<Uint8Array> = new ReadableStream({
    start(c) {
      c.enqueue(bytes);
      c.close();
    },
  });
  if (kind === 'gzip') stream = stream.pipeThrough(new DecompressionStream('gzip') as unknown as TransformStream<Uint8Array, Uint8Array>);
  const reader = stream.pipeThrough(createTarDecoder()).getReader();
  const made = new Map<string, Inode>([['', root]]);
  const dirOf = (path: string): Inode => {
    const i = path.lastIndexOf('/');
    const parentPath = i < 0 ? '' : path.slice(0, i);
    const known = made.get(parentPath);
    if (known) return known;
    let d: Inode = root;
    for (const part of parentPath.split('/')) {
      const c: Inode | undefined = d.children!.get(part);
      d = c && c.kind === 'd' ? c : fs.create(d, part, 'd', { mode: 0o755, ...(o.owner ?? { uid: 0, gid: 0 }) });
    }
    made.set(parentPath, d);
    return d;
  };
  try {
    for (let r = await reader.read(); !r.done; r = await reader.read()) {
      const { header, body } = r.value;
      const data = new Uint8Array(await new Response(body).arrayBuffer());
      const path = normalize(header.name);
      if (header.name.split('/').includes('..') || path === '') {
        if (path === '') continue;
        throw new TabdockError('BUILD_STEP_FAILED', `${what} holds ${header.name}, which would land outside ${dest}; refusing the archive`, { path: header.name });
      }
      const name = path.slice(path.lastIndexOf('/') + 1);
      const owner = o.owner ?? { uid: header.uid ?? 0, gid: header.gid ?? 0 };
      const mode = o.mode ?? (header.mode ?? 0o644) & 0o7777;
      const parent = dirOf(path);
      if (header.type === 'link') {
        const target = normalize(header.linkname ?? '');
        const t = resolve(root, '/' + target).node;
        if (!t || t.kind === 'd' || (header.linkname ?? '').split('/').includes('..')) throw new TabdockError('BUILD_STEP_FAILED', `${what} holds a hard link ${header.name} to ${header.linkname}, which is not in it`, { path: header.name });
        if (parent.children!.has(name)) removeTree(fs, parent, name);
        fs.link(parent, name, t);
        continue;
      }
      const type = header.type === 'directory' ? 'dir' : header.type === 'symlink' ? 'symlink' : header.type === 'file' || header.type === undefined ? 'file' : undefined;
      if (!type) continue; // devices and fifos: not made in a build step (no privileges), as BuildKit in rootless mode
      const n = await place(fs, parent, name, { path, type, mode, uid: owner.uid, gid: owner.gid, size: data.byteLength, mtime: header.mtime ? header.mtime.getTime() : 0, ...(type === 'symlink' ? { linkname: header.linkname ?? '' } : {}) }, data, { owner, mode });
      if (type === 'dir') made.set(path, n);
    }
  } catch (e) {
    await reader.cancel().catch(() => {});
    if (TabdockError.is(e)) throw e;
    throw new TabdockError('BUILD_STEP_FAILED', `${what} could not be unpacked: ${(e as Error).message}`, {});
  }
}
