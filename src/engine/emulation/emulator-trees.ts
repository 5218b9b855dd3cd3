import { createTarPacker } from 'modern-tar';
import { ContainerFs, type LayerStore, type MetaStore } from '../../fs-layers/index.ts';
import { Digest } from '../../registry-client/index.ts';
import { TabdockError } from '../../shared/errors.ts';
import type { EmulatorInfo } from './emulators.ts';

/**
 * Where an emulator's bytes come from: the platform's copy of kernel/images (the package
 * directory in Node, the site's guest assets in the page), checked against the sums they
 * were built with before anything is kept.
 */
export interface EmulatorSource {
  /** The emulator binary, uncompressed and verified. */
  load(e: EmulatorInfo): Promise<Uint8Array>;
}

/** What the store keeps per emulator: the layer that holds it (one file at the root). */
interface EmulatorRecord {
  diffId: string;
}

const key = (name: string) => `emulator/${name}`;

/**
 * The emulators as trees the guest runtime serves over 9P (one file each, `/<name>`, mode
 * 0755): fetched from the source the first time a foreign image runs, kept in the layer
 * store as a one-file layer (so a reload or a daemon restart fetches nothing), and opened
 * once per engine. A page that only runs linux/386 images never loads one.
 */
export class EmulatorTrees {
  private readonly trees = new Map<string, Promise<ContainerFs>>();

  constructor(private readonly deps: { layers: LayerStore; meta: MetaStore; source?: EmulatorSource }) {}

  tree(e: EmulatorInfo): Promise<ContainerFs> {
    let t = this.trees.get(e.name);
    if (!t) {
      t = this.open(e);
      this.trees.set(e.name, t);
      t.catch(() => this.trees.delete(e.name));
    }
    return t;
  }

  private async open(e: EmulatorInfo): Promise<ContainerFs> {
    const { layers, meta } = this.deps;
    const rec = await meta.get<EmulatorRecord>(key(e.name));
    let diffId = rec ? Digest.parse(rec.diffId) : undefined;
    if (!diffId || !(await layers.has(diffId))) diffId = await this.store(e);
    return ContainerFs.open(layers, `emulator-${e.name}`, [diffId]);
  }

  private async store(e: EmulatorInfo): Promise<Digest> {
    const source = this.deps.source;
    if (!source) {
      throw new TabdockError('UNSUPPORTED_PLATFORM', `this engine has no emulators configured, so it cannot run ${e.platforms.join(', ')} images`, { emulator: e.name }, { exitCode: 125 });
    }
    const bin = await source.load(e);
    const { layers, meta } = this.deps;
    const r = await layers.hold(async () => {
      const made = await layers.unpackPending({ source: oneFileTar(e.name, bin), compression: 'none', what: `emulator ${e.name}`, expected: async (got) => got });
      const diffId = Digest.parse(made.diffId);
      await layers.retain(`emulator:${e.name}`, [diffId]);
      return diffId;
    });
    await meta.put(key(e.name), { diffId: r.toString() } satisfies EmulatorRecord);
    return r;
  }
}

/** A tar holding one executable file at its root. */
function oneFileTar(name: string, bytes: Uint8Array): ReadableStream<Uint8Array> {
  const { readable, controller } = createTarPacker();
  void (async () => {
    try {
      const w = controller.add({ name, size: bytes.byteLength, mode: 0o755, type: 'file', mtime: new Date(0) });
      const writer = w.getWriter();
      await writer.write(bytes);
      await writer.close();
      controller.finalize();
    } catch (err) {
      controller.error(err);
    }
  })();
  return readable;
}
