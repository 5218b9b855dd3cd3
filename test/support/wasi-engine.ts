// An engine in this process with only the WASI runtime, for tests and the bench.
import { join } from 'node:path';
import { createEngine, type Engine } from '../../src/engine/index.ts';
import { wasiRuntime } from '../../src/engine/wasi/index.ts';
import { nodeWasiWorker } from '../../src/engine/wasi/node.ts';
import { RUN_FLAGS, parseRunOptions, type RunOptions } from '../../src/engine/spec/index.ts';
import { LayerStore } from '../../src/fs-layers/index.ts';
import { DirBlobStore, DirMetaStore } from '../../src/fs-layers/node.ts';
import { RegistryClient } from '../../src/registry-client/index.ts';
import { nodeSha256 } from '../../src/registry-client/node.ts';
import { parseArgs as parseCliArgs } from '../../src/docker-cli/args.ts';

/**
 * An engine in this process with only the WASI runtime (no guest at all): the path `tabdock
 * run` takes, minus the CLI process and its daemon. Stores in `home`.
 */
export async function wasiEngine(home: string, insecureRegistry: string): Promise<Engine> {
  const registry = new RegistryClient({ insecureRegistries: [insecureRegistry], hasher: nodeSha256 });
  const blobs = await DirBlobStore.open(join(home, 'store'));
  const meta = await DirMetaStore.open(join(home, 'meta'));
  const layers = new LayerStore({ chunks: await DirBlobStore.open(join(home, 'chunks')), meta, hasher: nodeSha256 });
  return createEngine({ stores: { blobs, meta, layers }, registry, runtimes: [wasiRuntime({ spawnWorker: nodeWasiWorker(WASI_WORKER) })] });
}

export const WASI_WORKER = new URL('../../src/engine/wasi/node-worker.mjs', import.meta.url);

/** `docker run` options from argv after `run` (the engine's own parser, no CLI). */
export function runOptions(...args: string[]): RunOptions {
  return parseRunOptions(parseCliArgs(args, RUN_FLAGS, { stopAtPositional: true }), {});
}
