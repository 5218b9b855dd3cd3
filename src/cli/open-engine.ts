import { statfsSync } from 'node:fs';
import { join } from 'node:path';
import { LayerStore, StoreSpace } from '../fs-layers/index.ts';
import { DirBlobStore, DirMetaStore, nodeGunzip } from '../fs-layers/node.ts';
import { createEngine, guestRuntime, wasiRuntime, type Engine } from '../engine/index.ts';
import { nodeWasiWorker } from '../engine/wasi/node.ts';
import { NodeLink } from '../engine/network/node-link.ts';
import { NodePorts } from '../engine/network/node-ports.ts';
import { TabdockError } from '../shared/errors.ts';
import { guestSetting, startNodeGuest } from './node-guest.ts';
import { loadEmulatorFile } from '../emulator/node.ts';
import { RegistryClient } from '../registry-client/index.ts';
import { nodeSha256 } from '../registry-client/node.ts';
import { credentialLookup, loadSettings } from './home.ts';
import { lockStore, type StoreOwner } from './store-lock.ts';
import type { Io } from './context.ts';

/** The Node composition root: stores under $TABDOCK_HOME, the registry client, the engine. */
export async function openEngine(env: Io['env'], opts: { log?: (line: string) => void; owner?: StoreOwner } = {}): Promise<Engine> {
  const settings = await loadSettings(env);
  // One process opens the stores: this one, until its engine is disposed (or it exits).
  const lock = lockStore(settings.home, opts.owner ?? 'command');
  try {
    const engine = await composeEngine(env, settings, opts);
    const dispose = engine.dispose.bind(engine);
    engine.dispose = async () => {
      try {
        await dispose();
      } finally {
        lock.release();
      }
    };
    return engine;
  } catch (e) {
    lock.release();
    throw e;
  }
}

async function composeEngine(env: Io['env'], settings: Awaited<ReturnType<typeof loadSettings>>, opts: { log?: (line: string) => void }): Promise<Engine> {
  const registry = new RegistryClient({
    insecureRegistries: settings.insecureRegistries,
    mirrors: settings.mirrors,
    credentials: credentialLookup(settings.home),
    userAgent: 'tabdock/0.1',
    hasher: nodeSha256,
  });
  // One room for the pulled blobs and the layer chunks: the cap (TABDOCK_STORE_MAX or
  // daemon.json "store-max") counts both, and blob writes stop short of a full disk, so
  // records, logs and the daemon's own start still fit when the blobs took the rest.
  const space = new StoreSpace({ ...(settings.storeMax !== undefined ? { limit: settings.storeMax } : {}), diskFree: diskFree(settings.home), diskTotal: diskTotal(settings.home) });
  const blobs = await DirBlobStore.open(join(settings.home, 'store'), { space });
  const meta = await DirMetaStore.open(join(settings.home, 'meta'));
  const layers = new LayerStore({ chunks: await DirBlobStore.open(join(settings.home, 'chunks'), { space }), meta, hasher: nodeSha256, gunzip: nodeGunzip });
  space.setReclaimable(() => layers.reclaimable());
  const guest = guestSetting(env, settings);
  // TABDOCK_GUEST=off: no Linux guest at all (only wasi/wasm images run).
  const startGuest = env['TABDOCK_GUEST'] === 'off'
    ? async () => {
      throw new TabdockError('GUEST_DISABLED', 'the Linux guest is turned off (TABDOCK_GUEST=off): only WebAssembly (wasi/wasm) images can run', {}, { exitCode: 125 });
    }
    : (h: Parameters<typeof startNodeGuest>[0]) => startNodeGuest(h, guest, opts.log);
  return createEngine({
    stores: { blobs, meta, layers }, registry,
    runtimes: [
      // The guest boots (or restores) only when the first Linux container starts.
      guestRuntime({ startGuest, capacity: () => space.capacity(), emulate: true, ...(settings.guestMemory !== undefined ? { guestMemory: settings.guestMemory } : {}) }),
      // WebAssembly (wasi/wasm) containers run in worker threads, without the guest. This
      // file and the CLI bundle (dist/tabdock/cli.mjs) both sit two levels below the root.
      wasiRuntime({ spawnWorker: nodeWasiWorker(new URL('../../src/engine/wasi/node-worker.mjs', import.meta.url)) }),
    ],
    // Docker's default on a host: containers reach what the host reaches; -p listens on host ports.
    network: { link: new NodeLink(), ports: new NodePorts() },
    // amd64, arm64 and arm images: QEMU's user-mode emulators from the package's kernel/images, read on first need.
    emulators: { load: (e) => loadEmulatorFile(e.file) },
  });
}

/** The size of the disk holding the store (statfs), or undefined when it cannot say. */
function diskTotal(path: string): () => number | undefined {
  return () => {
    try {
      const s = statfsSync(path);
      return s.blocks * s.bsize;
    } catch {
      return undefined;
    }
  };
}

/** Bytes free for this user on the disk holding the store (statfs), or undefined when it cannot say. */
function diskFree(path: string): () => number | undefined {
  return () => {
    try {
      const s = statfsSync(path);
      return s.bavail * s.bsize;
    } catch {
      return undefined;
    }
  };
}

