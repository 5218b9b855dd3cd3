// The engine of wasi-page.ts, in a module Web Worker: IndexedDB stores, the registry behind
// the Vite-mounted CORS proxy, and the WASI runtime with its workers made the way the
// browser root makes them (`fromWebWorker(new Worker(new URL(...worker.ts...)))`).
import { expose } from 'comlink';
import type { Engine } from '../../src/engine/engine.ts';
import { createEngine } from '../../src/engine/create-engine.ts';
import { parseRunOptions } from '../../src/engine/spec/run-flags.ts';
import { canShareMemory, fromWebWorker, wasiRuntime } from '../../src/engine/wasi/index.ts';
import { IdbBlobStore, IdbMetaStore, LayerStore } from '../../src/fs-layers/index.ts';
import { RegistryClient } from '../../src/registry-client/index.ts';

let opened: Promise<Engine> | undefined;

function open(db: string): Promise<Engine> {
  opened ??= (async () => {
    const [blobs, chunks, meta] = await Promise.all([IdbBlobStore.open(`${db}-blobs`), IdbBlobStore.open(`${db}-chunks`), IdbMetaStore.open(`${db}-meta`)]);
    const layers = new LayerStore({ chunks, meta });
    const registry = new RegistryClient({ proxy: new URL('/proxy', self.location.origin).href });
    return createEngine({
      stores: { blobs, meta, layers }, registry,
      runtimes: [wasiRuntime({ spawnWorker: () => fromWebWorker(new Worker(new URL('../../src/engine/wasi/worker.ts', import.meta.url), { type: 'module' })) })],
    });
  })();
  return opened;
}

const api = {
  async pull(db: string, ref: string, platform?: string) {
    const r = await (await open(db)).pull(ref, platform ? { platform } : {});
    return r.reference;
  },
  /** `docker run` (create, attach, start, wait): output, exit code, time to first output. */
  async run(db: string, flags: Record<string, string | boolean>, args: string[], input?: string) {
    const engine = await open(db);
    const t0 = performance.now();
    const options = parseRunOptions({ flags: { ...flags, ...(input !== undefined ? { interactive: true } : {}) }, args });
    const { Id } = await engine.createContainer({ image: args[0]!, options });
    let out = '';
    let first: number | undefined;
    const a = await engine.attachContainer(Id, (chunk) => {
      first ??= performance.now() - t0;
      out += new TextDecoder().decode(chunk);
    });
    await engine.startContainer(Id);
    if (input !== undefined) {
      await a.write(new TextEncoder().encode(input));
      await a.closeStdin();
    }
    const r = await engine.waitContainer(Id);
    return { id: Id, out, code: r.StatusCode, error: r.Error, firstOutputMs: first, totalMs: performance.now() - t0 };
  },
  async start(db: string, id: string) {
    const engine = await open(db);
    let out = '';
    await engine.attachContainer(id, (chunk) => (out += new TextDecoder().decode(chunk)));
    await engine.startContainer(id);
    // The exit first: `{ out, code: await ... }` would read `out` before the module had written.
    const code = (await engine.waitContainer(id)).StatusCode;
    return { out, code };
  },
  async inspect(db: string, id: string) {
    return (await open(db)).inspectContainer(id);
  },
  /**
   * Live stdin, turn by turn: a line is sent only after the answer to the one before has
   * come out. Without memory shared with the module's worker stdin is given all at once
   * before the run, so this never sees 'ready' and waits until the test's deadline.
   */
  async converse(db: string, image: string) {
    const engine = await open(db);
    const options = parseRunOptions({ flags: { rm: true, interactive: true }, args: [image] });
    const { Id } = await engine.createContainer({ image, options });
    let out = '';
    const waiters: (() => void)[] = [];
    const seen = (text: string) => new Promise<void>((resolve) => {
      const check = () => (out.includes(text) ? resolve() : waiters.push(check));
      check();
    });
    const a = await engine.attachContainer(Id, (chunk) => {
      out += new TextDecoder().decode(chunk);
      for (const w of waiters.splice(0)) w();
    });
    await engine.startContainer(Id);
    await seen('ready\n');
    await a.write(new TextEncoder().encode('one\n'));
    await seen('got: one\n');
    const afterOne = out;
    await a.write(new TextEncoder().encode('two\nquit\n'));
    const r = await engine.waitContainer(Id);
    return { afterOne, out, code: r.StatusCode };
  },
  sharedMemory: () => canShareMemory(),
  isolated: () => self.crossOriginIsolated,
};

export type WasiEngineWorker = typeof api;
expose(api);
