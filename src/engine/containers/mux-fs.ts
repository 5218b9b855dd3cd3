import { ContainerFs, Errno, FsError, Inode, type Kind, type NewNode, type SetAttr } from '../../fs-layers/index.ts';

/**
 * One 9P tree holding every container's tree, one directory per container ID. Linux's
 * virtio 9P transport lets a device be mounted once at a time (a second mount of the same
 * channel is EBUSY) and v86 has one 9P device, so the guest mounts this tree once and each
 * container's bundle points its root at `<mount>/<id>`. Calls go to the tree that owns the
 * inode; every inode the server sees comes through lookup/readdir/create, so it is known.
 *
 * Inode numbers repeat across containers (each tree is a clone of its image's); the guest
 * mounts with cache=none, where v9fs makes a fresh inode per lookup and never merges by qid,
 * and a container sees only its own subtree.
 */
export class MuxFs {
  readonly root: Inode;
  private readonly owner = new WeakMap<Inode, ContainerFs>();
  private readonly trees = new Map<string, ContainerFs>();

  constructor(now = Date.now() / 1000) {
    this.root = new Inode(1, 'd', 0o711, 0, 0, now);
  }

  add(id: string, fs: ContainerFs): void {
    this.trees.set(id, fs);
    this.root.children!.set(id, fs.root);
    this.owner.set(fs.root, fs);
  }

  delete(id: string): void {
    this.trees.delete(id);
    this.root.children!.delete(id);
  }

  private of(n: Inode): ContainerFs {
    const fs = this.owner.get(n);
    if (!fs) throw new FsError(n === this.root ? Errno.EPERM : Errno.EIO, 'not a container tree');
    return fs;
  }

  private own<T extends Inode>(fs: ContainerFs, n: T): T {
    this.owner.set(n, fs);
    return n;
  }

  lookup(dir: Inode, name: string): Inode {
    if (dir === this.root) {
      if (name === '.' || name === '..') return this.root;
      const fs = this.trees.get(name);
      if (!fs) throw new FsError(Errno.ENOENT);
      return fs.root;
    }
    const fs = this.of(dir);
    if (name === '..' && dir === fs.root) return this.root;
    return this.own(fs, fs.lookup(dir, name));
  }

  readdir(dir: Inode): [string, Inode][] {
    if (dir === this.root) return [...this.trees].map(([id, fs]) => [id, fs.root]);
    const fs = this.of(dir);
    return fs.readdir(dir).map(([name, n]) => [name, this.own(fs, n)]);
  }

  create(dir: Inode, name: string, kind: Kind, o: NewNode): Inode {
    const fs = this.of(dir);
    return this.own(fs, fs.create(dir, name, kind, o));
  }

  link(dir: Inode, name: string, target: Inode): void {
    const fs = this.of(dir);
    if (this.of(target) !== fs) throw new FsError(Errno.EXDEV);
    fs.link(dir, name, target);
  }

  unlink(dir: Inode, name: string, rmdir: boolean): void {
    this.of(dir).unlink(dir, name, rmdir);
  }

  rename(odir: Inode, oname: string, ndir: Inode, nname: string): void {
    const fs = this.of(odir);
    if (this.of(ndir) !== fs) throw new FsError(Errno.EXDEV);
    fs.rename(odir, oname, ndir, nname);
  }

  setattr(n: Inode, a: SetAttr): Promise<void> {
    return this.of(n).setattr(n, a);
  }

  read(n: Inode, offset: number, length: number): Uint8Array | Promise<Uint8Array> {
    return this.of(n).read(n, offset, length);
  }

  write(n: Inode, offset: number, data: Uint8Array): Promise<number> {
    return this.of(n).write(n, offset, data);
  }

  readlink(n: Inode): string {
    return this.of(n).readlink(n);
  }

  getxattr(n: Inode, name: string): string {
    return this.of(n).getxattr(n, name);
  }

  listxattr(n: Inode): string[] {
    return n === this.root ? [] : this.of(n).listxattr(n);
  }

  setxattr(n: Inode, name: string, value: string | undefined, flags = 0): void {
    this.of(n).setxattr(n, name, value, flags);
  }

  async sync(): Promise<void> {
    for (const fs of this.trees.values()) await fs.sync();
  }

  /** The shape the 9P server takes (it calls only the methods above). */
  asContainerFs(): ContainerFs {
    return this as unknown as ContainerFs;
  }
}
