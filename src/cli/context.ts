import { join } from 'node:path';
import { DirBlobStore, DirMetaStore } from '../fs-layers/index.ts';
import { ImageService } from '../engine/index.ts';
import { RegistryClient } from '../registry-client/index.ts';
import { nodeSha256 } from '../registry-client/node.ts';
import { credentialLookup, loadSettings, type Settings } from './home.ts';

/** What a command gets: its output, its environment, and the services, opened on first use. */
export interface Io {
  out(s: string): void;
  err(s: string): void;
  isTTY: boolean;
  env: Record<string, string | undefined>;
}

export interface Services {
  settings: Settings;
  images: ImageService;
}

/** The Node composition root: the stores under $TABDOCK_HOME, the registry client, the engine. */
export async function openServices(env: Io['env']): Promise<Services> {
  const settings = await loadSettings(env);
  const registry = new RegistryClient({
    insecureRegistries: settings.insecureRegistries,
    mirrors: settings.mirrors,
    credentials: credentialLookup(settings.home),
    userAgent: 'tabdock/0.1',
    hasher: nodeSha256,
  });
  const blobs = await DirBlobStore.open(join(settings.home, 'store'));
  const meta = await DirMetaStore.open(join(settings.home, 'meta'));
  return { settings, images: new ImageService({ registry, blobs, meta }) };
}
