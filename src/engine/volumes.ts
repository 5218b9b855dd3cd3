import { ContainerFs, freeChunks, type LayerStore, type MetaStore } from '../fs-layers/index.ts';
import { TabdockError } from '../shared/errors.ts';
import { writableSize } from './containers/container-files.ts';
import { validateVolumeName } from './spec/mounts.ts';
import { NO_EVENTS, type EventPublisher } from './events.ts';

/**
 * Named and anonymous volumes (`docker volume`, `-v NAME:/path`, `-v /path`, an image's
 * VOLUME): a tree of its own in the store, like a container's writable layer over no
 * image, kept until removed. The filesystem service fills a new one from the image and hands
 * its tree to the runtime, which binds it into the container (moby `volume/local`,
 * `daemon/volumes.go`).
 */
export interface VolumeRecord {
  Name: string;
  Driver: 'local';
  Mountpoint: string;
  CreatedAt: string;
  Labels: Record<string, string>;
  Scope: 'local';
  Options: Record<string, string>;
  /** Whether an image's files were copied in (only into an empty volume, once). */
  Populated?: boolean;
}

/** Docker 23+ marks anonymous volumes with this label (`docker volume prune` takes only those by default). */
export const ANONYMOUS_LABEL = 'com.docker.volume.anonymous';
/** The tree name a volume has in the runtime's shared 9P root (container IDs are hex: no clash). */
export const volumeTreeId = (name: string) => `v.${name}`;

const KEY = 'volume/';

export interface VolumeServiceDeps {
  meta: MetaStore;
  layers: LayerStore;
  /** IDs of containers that mount the volume (removal refuses while there are any). */
  usedBy(name: string): Promise<string[]>;
  /** Where create/destroy are published. */
  events?: EventPublisher;
  now?: () => Date;
}

export class VolumeService {
  private readonly trees = new Map<string, Promise<ContainerFs>>();

  constructor(private readonly deps: VolumeServiceDeps) {}

  /**
   * `docker volume create [NAME]`: an existing name is returned as it is (as Docker does);
   * no name gives a random one. `anonymous`: a container's `-v /path` or image VOLUME
   * (labelled as Docker labels them, so they go with the container and with `prune`).
   */
  async create(name?: string, labels: Record<string, string> = {}, o: { anonymous?: boolean } = {}): Promise<VolumeRecord> {
    if (name !== undefined) {
      validateVolumeName(name);
      const had = await this.find(name);
      if (had) return had;
    }
    const n = name ?? randomHex(32);
    const rec: VolumeRecord = {
      Name: n, Driver: 'local', Mountpoint: `/var/lib/docker/volumes/${n}/_data`, CreatedAt: (this.deps.now?.() ?? new Date()).toISOString(),
      Labels: o.anonymous ? { [ANONYMOUS_LABEL]: '', ...labels } : labels, Scope: 'local', Options: {},
    };
    await this.deps.meta.put(KEY + n, rec);
    (this.deps.events ?? NO_EVENTS).publish({ type: 'volume', action: 'create', name: n, time: rec.CreatedAt });
    return rec;
  }

  find(name: string): Promise<VolumeRecord | undefined> {
    return this.deps.meta.get<VolumeRecord>(KEY + name);
  }

  async get(name: string): Promise<VolumeRecord> {
    const v = await this.find(name);
    if (!v) throw new TabdockError('NO_SUCH_OBJECT', `get ${name}: no such volume`, { name });
    return v;
  }

  async list(): Promise<VolumeRecord[]> {
    const out: VolumeRecord[] = [];
    for (const k of await this.deps.meta.keys(KEY)) {
      const v = await this.deps.meta.get<VolumeRecord>(k);
      if (v) out.push(v);
    }
    return out;
  }

  /** The volume's tree (one object per volume, shared by every container that mounts it). */
  tree(name: string): Promise<ContainerFs> {
    let t = this.trees.get(name);
    if (!t) {
      t = this.get(name).then(() => ContainerFs.open(this.deps.layers, volumeTreeId(name), []));
      this.trees.set(name, t);
      t.catch(() => this.trees.delete(name));
    }
    return t;
  }

  /** Records that an image's files were copied in (the filesystem service fills a volume once). */
  async markPopulated(name: string): Promise<void> {
    await this.deps.meta.put(KEY + name, { ...(await this.get(name)), Populated: true });
  }

  async remove(name: string, opts: { force?: boolean } = {}): Promise<void> {
    const v = await this.find(name);
    if (!v) {
      if (opts.force) return;
      throw new TabdockError('NO_SUCH_OBJECT', `get ${name}: no such volume`, { name });
    }
    const users = await this.deps.usedBy(name);
    if (users.length) throw new TabdockError('CONFLICT', `remove ${name}: volume is in use - [${users.join(', ')}]`, { name, users });
    const fs = await (this.trees.get(name) ?? ContainerFs.open(this.deps.layers, volumeTreeId(name), []));
    this.trees.delete(name);
    await fs.remove();
    await this.deps.meta.delete(KEY + name);
    // Its chunks go with it (what only this volume named).
    await freeChunks(this.deps.layers);
    (this.deps.events ?? NO_EVENTS).publish({ type: 'volume', action: 'destroy', name, time: (this.deps.now?.() ?? new Date()).toISOString() });
  }

  /** `docker volume prune [-a]`: unused anonymous volumes, or with `all` every unused one. */
  async prune(opts: { all?: boolean } = {}): Promise<{ deleted: string[]; reclaimed: number }> {
    const deleted: string[] = [];
    let reclaimed = 0;
    for (const v of await this.list()) {
      if (!opts.all && !(ANONYMOUS_LABEL in v.Labels)) continue;
      if ((await this.deps.usedBy(v.Name)).length) continue;
      reclaimed += await this.size(v.Name);
      await this.remove(v.Name);
      deleted.push(v.Name);
    }
    return { deleted, reclaimed };
  }

  /** Saves and closes every open volume tree (the engine shutting down). */
  async close(): Promise<void> {
    for (const t of [...this.trees.values()]) await (await t.catch(() => undefined))?.close();
    this.trees.clear();
  }

  async size(name: string): Promise<number> {
    return writableSize(await this.tree(name));
  }
}

function randomHex(bytes: number): string {
  const b = new Uint8Array(bytes);
  crypto.getRandomValues(b);
  return [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
}
