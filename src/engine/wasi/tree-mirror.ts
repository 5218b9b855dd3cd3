import { FsError, type ContainerFs, type Inode } from '../../fs-layers/index.ts';
import { TabdockError } from '../../shared/errors.ts';
import { resolve } from '../containers/container-files.ts';
import type { FsOp, TreeAlias, TreeEntry } from './protocol.ts';

/**
 * Engine side of the WASI filesystem: the container's tree (image layers + writable layer,
 * the ContainerFs) copied for the worker at start, and the worker's changes applied back
 * to it by node id as they arrive (so renames need no paths, and a kill keeps what came).
 */
export interface TreeSnapshot {
  entries: TreeEntry[];
  aliases: TreeAlias[];
  /** The engine's inode behind every id sent. */
  nodes: Map<number, Inode>;
  nextId: number;
  /** File buffers to transfer with the run message. */
  transfer: ArrayBuffer[];
  bytes: number;
}

/**
 * Walks the tree parents first. Files carry their bytes; a symlink becomes another name
 * of its target (resolved inside the tree; the shim has no symlinks), as does a second
 * hard link; dangling links, devices, fifos and sockets are left out.
 */
export async function snapshotTree(fs: ContainerFs, maxBytes: number): Promise<TreeSnapshot> {
  const s: TreeSnapshot = { entries: [], aliases: [], nodes: new Map(), nextId: 1, transfer: [], bytes: 0 };
  const ids = new Map<Inode, number>([[fs.root, 0]]);
  s.nodes.set(0, fs.root);
  s.entries.push({ id: 0, parent: -1, name: '', kind: 'd', mtime: fs.root.mtime });
  const links: { parent: number; name: string; path: string }[] = [];
  const walk = async (dir: Inode, id: number, path: string): Promise<void> => {
    for (const [name, n] of dir.children ?? []) {
      const p = `${path}/${name}`;
      const known = ids.get(n);
      if (known !== undefined) {
        s.aliases.push({ parent: id, name, target: known });
        continue;
      }
      if (n.kind === 'l') links.push({ parent: id, name, path: p });
      if (n.kind !== 'f' && n.kind !== 'd') continue;
      const nid = s.nextId++;
      ids.set(n, nid);
      s.nodes.set(nid, n);
      if (n.kind === 'd') {
        s.entries.push({ id: nid, parent: id, name, kind: 'd', mtime: n.mtime });
        await walk(n, nid, p);
        continue;
      }
      s.bytes += n.size;
      if (s.bytes > maxBytes) {
        throw new TabdockError('WASI_TREE_TOO_LARGE', `the container's files are more than the ${maxBytes >> 20} MiB a WebAssembly container can have in memory`, { limit: maxBytes }, { exitCode: 125 });
      }
      // A copy: what the store hands out may be a view of a cached chunk, and it is transferred.
      const data = new Uint8Array(await fs.read(n, 0, n.size));
      s.transfer.push(data.buffer);
      s.entries.push({ id: nid, parent: id, name, kind: 'f', mtime: n.mtime, data });
    }
  };
  await walk(fs.root, 0, '');
  for (const l of links) {
    const target = resolve(fs.root, l.path, true).node;
    const id = target ? ids.get(target) : undefined;
    if (id !== undefined) s.aliases.push({ parent: l.parent, name: l.name, target: id });
  }
  return s;
}

/** Applies the worker's changes to the ContainerFs. Never throws: failures are counted and kept. */
export class TreeMirror {
  private chain: Promise<void> = Promise.resolve();
  /** The first change that could not be applied, as a sentence. */
  failure: string | undefined;

  constructor(private readonly fs: ContainerFs, private readonly nodes: Map<number, Inode>) {}

  apply(op: FsOp): void {
    this.chain = this.chain.then(() => this.one(op)).catch((e: unknown) => {
      this.failure ??= `a change to the container's files was not saved (${op.op}): ${e instanceof Error ? e.message : String(e)}`;
    });
  }

  /** Resolves once every change received so far is applied. */
  settled(): Promise<void> {
    return this.chain;
  }

  private node(id: number): Inode {
    const n = this.nodes.get(id);
    if (!n) throw new Error(`unknown node ${id}`);
    return n;
  }

  private async one(op: FsOp): Promise<void> {
    const fs = this.fs;
    switch (op.op) {
      case 'create': {
        const dir = this.node(op.parent);
        const old = dir.children?.get(op.name);
        // A name the module could not see (a device, a dangling link) gives way, as O_CREAT over it would.
        if (old) fs.unlink(dir, op.name, old.kind === 'd');
        this.nodes.set(op.id, fs.create(dir, op.name, op.kind, { mode: op.kind === 'd' ? 0o755 : 0o644, uid: 0, gid: 0 }));
        return;
      }
      case 'write': {
        const n = this.node(op.id);
        if (op.size < n.size) await fs.setattr(n, { size: op.size });
        if (op.data.byteLength > 0) await fs.write(n, op.at, op.data);
        if (n.size !== op.size) await fs.setattr(n, { size: op.size });
        return;
      }
      case 'unlink':
        return ignoreMissing(() => fs.unlink(this.node(op.parent), op.name, op.dir));
      case 'rename':
        return fs.rename(this.node(op.from), op.fromName, this.node(op.to), op.toName);
      case 'link':
        return fs.link(this.node(op.parent), op.name, this.node(op.id));
      case 'times':
        return fs.setattr(this.node(op.id), { ...(op.atime !== undefined ? { atime: op.atime } : {}), ...(op.mtime !== undefined ? { mtime: op.mtime } : {}) });
    }
  }
}

function ignoreMissing(f: () => void): void {
  try {
    f();
  } catch (e) {
    if (!(e instanceof FsError)) throw e;
  }
}
