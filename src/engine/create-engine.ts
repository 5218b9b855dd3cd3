import type { BlobStore, LayerStore, MetaStore } from '../fs-layers/index.ts';
import type { RegistryClient } from '../registry-client/index.ts';
import type { RuntimeRegistration } from './containers/runtimes.ts';
import { Engine } from './engine.ts';
import type { EmulatorSource } from './emulation/emulator-trees.ts';
import type { NetworkLink } from './network/link.ts';
import type { PortPublisher } from './network/ports.ts';

export interface EngineStores {
  /** Verified blobs as pulled (and committed). */
  blobs: BlobStore;
  /** Records: images, containers, volumes, logs, layer facts. */
  meta: MetaStore;
  /** Unpacked layers over their own chunk store. */
  layers: LayerStore;
}

export interface CreateEngineOptions {
  stores: EngineStores;
  registry: RegistryClient;
  /** The runtimes, by the platforms they accept (`guestRuntime(...)`, `wasiRuntime(...)`); each made on first need. */
  runtimes: readonly RuntimeRegistration[];
  /** A fresh gzip compressor for committed layers (default: CompressionStream). */
  gzip?: () => TransformStream<Uint8Array, Uint8Array>;
  now?: () => Date;
  /**
   * The link out of the guest (Node: `NodeLink`; the page: `WispLink`) and who publishes
   * ports (Node: `NodePorts`). Without a link containers still reach each other but nothing
   * outside (the guest is told `net-link up=0`); without ports, -p/-P are refused.
   */
  network?: { link: NetworkLink; ports?: PortPublisher };
  /** Where QEMU's emulators come from (Node: the package's kernel/images; the page: its guest assets); absent: foreign platforms are refused. */
  emulators?: EmulatorSource;
}

/**
 * The one composition of the engine, for the Node daemon (cli/context.ts) and the page's
 * worker (browser/worker-host.ts) alike: each passes its own stores, registry client and
 * runtime factories; nothing here is Node-only or DOM-only. Containers left running by the
 * last engine on these stores are marked exited before it is returned.
 */
export async function createEngine(o: CreateEngineOptions): Promise<Engine> {
  const { blobs, meta, layers } = o.stores;
  const engine = new Engine({
    registry: o.registry, blobs, meta, layers, runtimes: o.runtimes,
    ...(o.gzip ? { gzip: o.gzip } : {}), ...(o.now ? { now: o.now } : {}), ...(o.network ? { network: o.network } : {}),
    ...(o.emulators ? { emulators: o.emulators } : {}),
    // Unpacked layers are held per image; an image's removal frees what no one else holds.
    onImageDeleted: async (id) => {
      await layers.release(id);
      await layers.gc();
    },
  });
  return engine.init();
}
