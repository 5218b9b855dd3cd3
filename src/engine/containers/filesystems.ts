import { ContainerFs, ensureImageLayers, freeChunks, type BlobStore, type Inode, type LayerStore } from '../../fs-layers/index.ts';
import { Digest, type Platform } from '../../registry-client/index.ts';
import type { ImageService } from '../images.ts';
import type { VolumeService } from '../volumes.ts';
import { ensureWasiImageLayers } from '../wasi/artifact.ts';
import { commitLayer, webGzip, type LayerDescriptor } from './commit-layer.ts';
import { copyIn, copyOut, isInitLayerPath, readTreeFile, resolve, type CopyEntry } from './container-files.ts';
import type { ContainerRecord } from './record.ts';
import type { EmulatorTree, VolumeTree } from './runtime.ts';
import type { EmulatorTrees } from '../emulation/emulator-trees.ts';
import { emulatorFor } from '../emulation/emulators.ts';
import { TabdockError } from '../../shared/errors.ts';

export interface ContainerFilesystemsDeps {
  layers: LayerStore;
  /** Compressed layer blobs, as pulled (and where committed layers go). */
  blobs: BlobStore;
  images: Pick<ImageService, 'get'>;
  /** Volume records and trees; absent: the engine has no volumes. */
  volumes?: Pick<VolumeService, 'get' | 'tree' | 'markPopulated'>;
  /** A fresh gzip compressor for committed layers (default: CompressionStream). */
  gzip?: () => TransformStream<Uint8Array, Uint8Array>;
  /** The QEMU emulators' trees, for containers of emulated platforms. */
  emulators?: EmulatorTrees;
}

/** The trees a start hands its runtime. */
export interface StartTrees {
  rootfs: ContainerFs;
  volumes: VolumeTree[];
  /** For an image of an emulated platform: its emulator and the tree holding it. */
  emulator?: EmulatorTree;
}

/**
 * Container filesystems, as containerd's snapshotter keeps them: a container's tree is its
 * image's layers (unpacked once, shared) plus its own writable layer, one object per
 * container that every user shares (the runtime serving it, `cp`, `diff`, `commit`), so a
 * copy into a running container is what it sees next. Runtimes are handed trees and never
 * open a store.
 */
export class ContainerFilesystems {
  private readonly trees = new Map<string, Promise<ContainerFs>>();
  /** One copy-up at a time per volume (two first starts must not both copy the image in). */
  private readonly filling = new Map<string, Promise<void>>();

  constructor(private readonly deps: ContainerFilesystemsDeps) {}

  /** The container's tree, made (its image's layers unpacked if a pull left them packed) on first use. */
  tree(c: Pick<ContainerRecord, 'Id' | 'Image'> & { RunOptions?: Pick<ContainerRecord['RunOptions'], 'storageSize'> }): Promise<ContainerFs> {
    let t = this.trees.get(c.Id);
    if (!t) {
      t = this.diffIds(c.Image).then(async (d) => {
        const fs = await ContainerFs.open(this.deps.layers, c.Id, d);
        // `--storage-opt size=`: the writable layer's cap, for the guest's writes and `cp`.
        fs.setQuota(c.RunOptions?.storageSize);
        return fs;
      });
      this.trees.set(c.Id, t);
      t.catch(() => this.trees.delete(c.Id));
    }
    return t;
  }

  /** Creates the container's filesystem (`create`): its writable layer over the image. */
  async prepare(c: Pick<ContainerRecord, 'Id' | 'Image'>): Promise<void> {
    await this.tree(c);
  }

  /**
   * The image's layers in the layer store, bottom first. A one-pass pull leaves them
   * complete (then this only takes the image's reference); stores from before it hold only
   * the compressed blobs, unpacked here once.
   */
  private async diffIds(imageId: string): Promise<Digest[]> {
    const img = await this.deps.images.get(imageId);
    if (img.layers.some((l) => l.file)) return ensureWasiImageLayers(this.deps.layers, this.deps.blobs, img.id, img.layers);
    const layers = img.layers.map((l) => ({ digest: Digest.parse(l.digest), diffId: Digest.parse(l.diffId), mediaType: l.mediaType }));
    await ensureImageLayers(this.deps.layers, this.deps.blobs, img.id, layers);
    return layers.map((l) => l.diffId);
  }

  /** A regular file of the container's tree (for /etc/passwd, /etc/group), undefined if absent. */
  async readFile(c: Pick<ContainerRecord, 'Id' | 'Image'>, path: string): Promise<Uint8Array | undefined> {
    return readTreeFile(await this.tree(c), path);
  }

  /**
   * What a start needs: the tree with its working directory made (Docker creates a missing
   * WorkingDir, and crun would fail to chdir into it), and the trees of its volumes, a new
   * one filled from the image at its mount point first (moby's copy-up, unless `nocopy`).
   */
  async forStart(c: ContainerRecord, cwd: string | undefined, platform?: Platform): Promise<StartTrees> {
    const emu = platform ? emulatorFor(platform) : undefined;
    if (emu && !this.deps.emulators) throw new TabdockError('UNSUPPORTED_PLATFORM', `this engine cannot emulate ${emu.platforms.join(', ')}`, {}, { exitCode: 125 });
    const emulator = emu ? { info: emu, tree: await this.deps.emulators!.tree(emu) } : undefined;
    const rootfs = await this.tree(c);
    // Set again: the tree may have been opened by a caller that had no record (a `cp`).
    rootfs.setQuota(c.RunOptions.storageSize);
    if (cwd) mkdirs(rootfs, cwd);
    const volumes: VolumeTree[] = [];
    for (const m of c.Mounts) {
      if (m.Type !== 'volume' || !m.Name || !this.deps.volumes) continue;
      const noCopy = c.RunOptions.volumes.find((v) => v.target === m.Destination)?.noCopy ?? false;
      if (!noCopy) await this.fillVolume(m.Name, rootfs, m.Destination);
      volumes.push({ name: m.Name, fs: await this.deps.volumes.tree(m.Name) });
    }
    return { rootfs, volumes, ...(emulator ? { emulator } : {}) };
  }

  /** Docker copies the image's files at the mount point into a new, empty volume the first time it is mounted, owner and mode included. */
  private fillVolume(name: string, from: ContainerFs, path: string): Promise<void> {
    const before = this.filling.get(name) ?? Promise.resolve();
    const p = before.catch(() => {}).then(() => this.fillOnce(name, from, path));
    this.filling.set(name, p);
    void p.finally(() => this.filling.get(name) === p && this.filling.delete(name)).catch(() => {});
    return p;
  }

  private async fillOnce(name: string, from: ContainerFs, path: string): Promise<void> {
    const vs = this.deps.volumes!;
    const v = await vs.get(name);
    if (v.Populated) return;
    const fs = await vs.tree(name);
    const at = resolve(from.root, path, true).node;
    if (fs.root.children!.size === 0 && at?.kind === 'd') {
      const entries: CopyEntry[] = [];
      await copyOut(from, path, (e) => void entries.push(e), true);
      let i = 0;
      await copyIn(fs, '/', async () => entries[i++], { keepOwner: true });
      await fs.setattr(fs.root, { mode: at.mode & 0o7777, uid: at.uid, gid: at.gid });
      await fs.sync();
    }
    await vs.markPopulated(name);
  }

  /**
   * The container's changes as a new layer (`docker commit`, each `build` step): stored as
   * a pulled layer is, blob and unpacked layer, and held by the container until an image
   * takes its own reference. See commit-layer.ts.
   */
  async commit(c: Pick<ContainerRecord, 'Id' | 'Image'>): Promise<LayerDescriptor> {
    return commitLayer(await this.tree(c), `container:${c.Id}`, { layers: this.deps.layers, blobs: this.deps.blobs, gzip: this.deps.gzip ?? webGzip, skipAdded: isInitLayerPath });
  }

  /** Deletes the container's writable layer and drops its layer references. */
  async remove(c: Pick<ContainerRecord, 'Id' | 'Image'>): Promise<void> {
    const had = this.trees.get(c.Id);
    // A tree whose image is gone (`rmi -f`) is opened over nothing, only to be deleted.
    const fs = await (had ?? this.tree(c)).catch(() => ContainerFs.open(this.deps.layers, c.Id, []).catch(() => undefined));
    this.trees.delete(c.Id);
    await fs?.remove();
    // Its chunks go now: `rm` frees what only this container wrote (a gc sees the removal).
    await freeChunks(this.deps.layers);
  }

  /** Saves and closes every open tree (the engine shutting down). */
  async close(): Promise<void> {
    const open = [...this.trees.values()];
    this.trees.clear();
    // Every tree is saved even when one fails; the first failure is reported after.
    const results = await Promise.allSettled(open.map(async (t) => (await t.catch(() => undefined))?.close()));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }
}

function mkdirs(fs: ContainerFs, path: string): void {
  let dir: Inode = fs.root;
  for (const name of path.split('/').filter(Boolean)) {
    const next = dir.children?.get(name);
    dir = next ?? fs.create(dir, name, 'd', { mode: 0o755, uid: 0, gid: 0 });
  }
}
