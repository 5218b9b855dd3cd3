/**
 * The real Linux 9p client over our server: a guest (v86, the committed kernel) mounts a
 * container tree served by fs-layers' P9Server, built from a real image (umoci fixture).
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Guest } from '../../src/emulator/index.ts';
import { loadArtifacts, loadSnapshot } from '../../src/emulator/node.ts';
import { ContainerFs, LayerStore, P9Server, FsError, Errno } from '../../src/fs-layers/index.ts';
import { TabdockError } from '../../src/shared/errors.ts';
import { DirBlobStore, DirMetaStore } from '../../src/fs-layers/node.ts';
import { Digest, layerKind } from '../../src/registry-client/index.ts';
import { nodeSha256 } from '../../src/registry-client/node.ts';
import { fixtureInfo, type FixtureName } from '../support/index.ts';

export interface PosixRig {
  guest: Guest;
  fs: ContainerFs;
  layers: LayerStore;
  server: P9Server;
  /** Where the `posix` container's tree is in the guest. */
  mnt: string;
  root: string;
  diffIds: Digest[];
  /** Runs a busybox shell script in the guest (not in a container). */
  sh(script: string): Promise<{ status: number; stdout: string; stderr: string }>;
  /** Reopens the store from disk: what a reload would see. */
  reopen(): Promise<ContainerFs>;
  dispose(): Promise<void>;
  boot: 'snapshot' | 'cold';
  /** Why the guest cold-booted (the snapshot's error code), when it did. */
  coldBootReason?: string;
  bootMs: number;
}

export const MNT = '/mnt/c';
const ID = 'posix';

/** Other images to serve too: each fixture's tree under the attach name of the fixture. */
export interface RigOptions {
  extra?: FixtureName[];
  /** Mount the shared root (attach name '') once at /mnt/all instead of one tree at MNT. */
  shared?: boolean;
  /** 9P mount options (e.g. the engine's TREE_MOUNT_OPTIONS); none: `cache=none`. */
  options?: string;
}

async function unpackFixture(layers: LayerStore, name: FixtureName): Promise<Digest[]> {
  const info = await fixtureInfo(name);
  const m = info.manifests[0]!;
  const diffIds = m.diffIds.map((d) => Digest.parse(d));
  for (let i = 0; i < diffIds.length; i++) {
    const bytes = new Uint8Array(readFileSync(join(info.layoutDir, 'blobs', 'sha256', Digest.parse(m.layerDigests[i]!).hex)));
    const source = new ReadableStream<Uint8Array>({ start(c) { c.enqueue(bytes); c.close(); } });
    await layers.unpack({ diffId: diffIds[i]!, source, compression: layerKind(m.layerMediaTypes[i]!)!.compression, what: `${name} layer ${i}` });
  }
  return diffIds;
}

export async function startPosixRig(opts: RigOptions = {}): Promise<PosixRig> {
  const root = await mkdtemp(join(tmpdir(), 'tabdock-fs9p-'));
  const open = async () => {
    const chunks = await DirBlobStore.open(join(root, 'chunks'));
    const meta = await DirMetaStore.open(join(root, 'meta'));
    return new LayerStore({ chunks, meta, hasher: nodeSha256 });
  };
  const layers = await open();
  const diffIds = await unpackFixture(layers, 'busybox');
  const fs = await ContainerFs.open(layers, ID, diffIds);
  const trees = new Map<string, ContainerFs>([[ID, fs]]);
  for (const name of opts.extra ?? []) trees.set(name, await ContainerFs.open(layers, name, await unpackFixture(layers, name)));
  const server = new P9Server({ attach: async (aname) => trees.get(aname) ?? Promise.reject(new FsError(Errno.ENOENT)), list: () => [...trees.keys()], maxMsize: 512 * 1024 });
  const a = await loadArtifacts();
  const t0 = performance.now();
  // Only a missing or stale snapshot means a cold boot (and the tests say so); a snapshot
  // that is there and fits but fails to restore is a failure, not a reason to boot cold.
  let state: ArrayBuffer | undefined;
  let coldBootReason: string | undefined;
  try {
    ({ state } = await loadSnapshot(undefined, a));
  } catch (e) {
    if (!TabdockError.is(e, 'EMULATOR_NO_SNAPSHOT') && !TabdockError.is(e, 'EMULATOR_STALE_SNAPSHOT')) throw e;
    coldBootReason = `${e.code}: ${e.message}`;
  }
  const boot: 'snapshot' | 'cold' = state ? 'snapshot' : 'cold';
  const guest = state
    ? await Guest.start({ images: a.images, wasm: a.wasm, state, handle9p: server.handle9p, timeoutMs: 240_000 })
    : await Guest.start({ images: a.images, wasm: a.wasm, handle9p: server.handle9p, timeoutMs: 240_000 });
  const bootMs = performance.now() - t0;
  await guest.agent.setTime(Date.now());
  const mnt = opts.shared ? `/mnt/all/${ID}` : MNT;
  await guest.agent.mount({ ...(opts.shared ? { aname: '', path: '/mnt/all' } : { aname: ID, path: MNT }), ...(opts.options ? { options: opts.options } : {}) });
  return {
    guest, fs, layers, server, root, diffIds, boot, ...(coldBootReason ? { coldBootReason } : {}), bootMs, mnt,
    sh: async (script) => (await guest.agent.spawn(['/bin/busybox', 'sh', '-c', script])).output(),
    reopen: async () => ContainerFs.open(await open(), ID, diffIds),
    dispose: async () => {
      await guest.dispose();
      for (const t of trees.values()) await t.close();
      await rm(root, { recursive: true, force: true });
    },
  };
}
