// Test helpers for this folder's unit tests (not part of the public face): an engine on
// stores in a temp dir with the runtimes a test gives, and images made from tar entries
// without a registry (the pull path has its own tests against a real one).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packTar, type TarEntry } from 'modern-tar';
import { LayerStore } from '../fs-layers/index.ts';
import { DirBlobStore, DirMetaStore } from '../fs-layers/node.ts';
import { RegistryClient, sha256 } from '../registry-client/index.ts';
import type { RuntimeRegistration } from './containers/runtimes.ts';
import { createEngine } from './create-engine.ts';
import type { Engine } from './engine.ts';
import type { ImageRecord, LayerRecord } from './image-record.ts';
import type { RunOptions } from './spec/run-options.ts';
import { parseRunOptions } from './spec/run-flags.ts';

export interface EngineKit {
  engine: Engine;
  blobs: DirBlobStore;
  layers: LayerStore;
  /** A plain tar layer from entries, stored as a pulled blob (not unpacked: the engine does that on first use). */
  layer(entries: TarEntry[]): Promise<LayerRecord>;
  /** Saves an image `docker.io/library/<name>:latest` over these layers. */
  image(name: string, layers: LayerRecord[], o?: { platform?: { os: string; architecture: string }; cmd?: string[]; volumes?: string[] }): Promise<ImageRecord>;
  cleanup(): Promise<void>;
}

export async function engineKit(runtimes: RuntimeRegistration[]): Promise<EngineKit> {
  const home = mkdtempSync(join(tmpdir(), 'tabdock-engine-'));
  const blobs = await DirBlobStore.open(join(home, 'store'));
  const meta = await DirMetaStore.open(join(home, 'meta'));
  const layers = new LayerStore({ chunks: await DirBlobStore.open(join(home, 'chunks')), meta });
  // No test here reaches a registry: images are saved straight into the store.
  const engine = await createEngine({ stores: { blobs, meta, layers }, registry: new RegistryClient({}), runtimes });
  return {
    engine, blobs, layers,
    async layer(entries) {
      const tar = await packTar(entries);
      const digest = await sha256(tar);
      await blobs.put(digest, tar);
      return { digest: digest.toString(), diffId: digest.toString(), size: tar.length, uncompressedSize: tar.length, mediaType: 'application/vnd.oci.image.layer.v1.tar' };
    },
    async image(name, ls, o = {}) {
      const platform = o.platform ?? { os: 'linux', architecture: '386' };
      const config = {
        ...platform, config: { Cmd: o.cmd ?? ['sh'], ...(o.volumes ? { Volumes: Object.fromEntries(o.volumes.map((v) => [v, {}])) } : {}) },
        rootfs: { type: 'layers', diff_ids: ls.map((l) => l.diffId) },
      };
      const id = (await sha256(new TextEncoder().encode(JSON.stringify(config)))).toString();
      const rec: ImageRecord = {
        id, repoTags: [], repoDigests: [], manifestDigest: id, manifestMediaType: 'application/vnd.oci.image.manifest.v1+json', platform, layers: ls,
        config: config as unknown as ImageRecord['config'], size: ls.reduce((n, l) => n + l.uncompressedSize, 0), pulledAt: new Date().toISOString(), lastTagTime: new Date().toISOString(),
      };
      await engine.images.store.save(rec, { tag: `docker.io/library/${name}:latest` });
      return (await engine.images.store.get(id))!;
    },
    async cleanup() {
      // The runtimes end their processes; their exits are saved before the stores go (dispose's order).
      await engine.dispose();
      rmSync(home, { recursive: true, force: true });
    },
  };
}

/** `docker run` options from flags and args (the image first). */
export function runOptions(flags: Record<string, string | boolean | string[]>, args: string[]): RunOptions {
  return parseRunOptions({ flags, args }, {});
}

export const file = (name: string, body: string, more: Partial<TarEntry['header']> = {}): TarEntry => ({
  header: { name, size: new TextEncoder().encode(body).length, type: 'file', mode: 0o644, ...more },
  body,
});
export const dir = (name: string, more: Partial<TarEntry['header']> = {}): TarEntry => ({ header: { name, size: 0, type: 'directory', mode: 0o755, ...more } });
