import { createTarPacker, type TarHeader } from 'modern-tar';
import type { ContainerFs } from './container-fs.ts';
import { lookupPath, type Inode, type Kind } from './inode.ts';

/** `docker diff` kinds: A added, C changed, D deleted. */
export interface Change {
  kind: 'A' | 'C' | 'D';
  path: string;
}

/** The writable layer's changes, sorted by path, as `docker diff` lists them. */
export function changes(fs: ContainerFs): Change[] {
  const out: Change[] = [];
  for (const [p, r] of [...fs.rw.records].sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (p === '') continue;
    out.push({ kind: r.w ? 'D' : fs.lowerHas(p) ? 'C' : 'A', path: `/${p}` });
  }
  return out;
}

// Sockets are not carried in layers (Docker skips them too).
const TYPE: Record<Exclude<Kind, 's'>, NonNullable<TarHeader['type']>> = {
  f: 'file', d: 'directory', l: 'symlink', c: 'character-device', b: 'block-device', p: 'fifo',
};

/**
 * The writable layer as an OCI layer tar (image spec layer.md: changesets with whiteouts
 * `.wh.NAME` and `.wh..wh..opq` for directories that hide what lower layers had), streamed
 * file by file: the basis of `docker commit` and `docker export` of changes.
 */
export function exportLayer(fs: ContainerFs, opts: { skipAdded?: (path: string) => boolean } = {}): ReadableStream<Uint8Array> {
  const { readable, controller } = createTarPacker();
  const seen = new Map<Inode, string>();
  // `skipAdded`: paths left out when this layer added them (the runtime's mountpoints, as moby's init layer keeps them out of a commit).
  const skip = opts.skipAdded;
  const entries = [...fs.rw.records]
    .filter(([p, r]) => p !== '' && !(skip && !r.w && skip(`/${p}`) && !fs.lowerHas(p)))
    .sort(([a], [b]) => (a < b ? -1 : 1));
  void (async () => {
    try {
      for (const [p, r] of entries) {
        const slash = p.lastIndexOf('/');
        const dir = slash < 0 ? '' : `${p.slice(0, slash)}/`;
        if (r.w) {
          await add(controller.add({ name: `${dir}.wh.${p.slice(slash + 1)}`, size: 0, type: 'file', mode: 0o644, mtime: WHITEOUT_TIME }));
          continue;
        }
        const n = lookupPath(fs.root, p);
        if (!n || n.kind === 's') continue;
        const base: TarHeader = { name: n.kind === 'd' ? `${p}/` : p, size: 0, type: TYPE[n.kind], mode: n.mode, uid: n.uid, gid: n.gid, mtime: new Date(n.mtime * 1000) };
        if (n.xattrs && Object.keys(n.xattrs).length) base.pax = Object.fromEntries(Object.entries(n.xattrs).map(([k, v]) => [`SCHILY.xattr.${k}`, v]));
        const first = seen.get(n);
        if (first !== undefined) {
          await add(controller.add({ ...base, type: 'link', linkname: first }));
          continue;
        }
        if (n.kind === 'l') base.linkname = n.target;
        if (n.kind !== 'f') {
          await add(controller.add(base));
          if (n.kind === 'd' && r.o) await add(controller.add({ name: `${p}/.wh..wh..opq`, size: 0, type: 'file', mode: 0o644, mtime: WHITEOUT_TIME }));
          continue;
        }
        seen.set(n, p);
        const w = controller.add({ ...base, size: n.size }).getWriter();
        for (let off = 0; off < n.size; off += 1 << 20) await w.write(await fs.read(n, off, 1 << 20));
        await w.close();
      }
      controller.finalize();
    } catch (e) {
      controller.error(e);
    }
  })();
  return readable;
}

/**
 * Whiteout markers carry a fixed time (the packer would stamp the current one): the same
 * changes then export to the same bytes, so a commit's digest is stable and its two passes
 * (engine/containers/commit-layer.ts) agree.
 */
const WHITEOUT_TIME = new Date(0);

async function add(w: WritableStream<Uint8Array>): Promise<void> {
  await w.close();
}

/**
 * The whole tree (image layers and writable layer as the container sees them) as one plain
 * tar, parents first and names sorted: `docker export`. Hard links stay links; sockets are
 * left out, as Docker's archive leaves them.
 */
export function exportTree(fs: ContainerFs): ReadableStream<Uint8Array> {
  const { readable, controller } = createTarPacker();
  const seen = new Map<Inode, string>();
  void (async () => {
    try {
      const walk = async (dir: Inode, prefix: string): Promise<void> => {
        for (const name of [...(dir.children?.keys() ?? [])].sort()) {
          const n = dir.children!.get(name)!;
          const p = `${prefix}${name}`;
          if (n.kind === 's') continue;
          const base: TarHeader = { name: n.kind === 'd' ? `${p}/` : p, size: 0, type: TYPE[n.kind], mode: n.mode & 0o7777, uid: n.uid, gid: n.gid, mtime: new Date(n.mtime * 1000) };
          if (n.xattrs && Object.keys(n.xattrs).length) base.pax = Object.fromEntries(Object.entries(n.xattrs).map(([k, v]) => [`SCHILY.xattr.${k}`, v]));
          const first = n.kind !== 'd' ? seen.get(n) : undefined;
          if (first !== undefined) {
            await add(controller.add({ ...base, type: 'link', linkname: first }));
            continue;
          }
          if (n.kind === 'l') base.linkname = n.target;
          if (n.kind !== 'f') {
            await add(controller.add(base));
            if (n.kind === 'd') await walk(n, `${p}/`);
            continue;
          }
          seen.set(n, p);
          const w = controller.add({ ...base, size: n.size }).getWriter();
          for (let off = 0; off < n.size; off += 1 << 20) await w.write(await fs.read(n, off, 1 << 20));
          await w.close();
        }
      };
      await walk(fs.root, '');
      controller.finalize();
    } catch (e) {
      controller.error(e);
    }
  })();
  return readable;
}
