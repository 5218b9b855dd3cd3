// WebAssembly (wasi/wasm) containers: time to first output of a hello-world WASI image run
// through the engine (create, attach, start: the path `tabdock run` takes, without the CLI
// process), cold (a fresh engine: layer unpack, worker start, compile) and warm, beside the
// same module run directly with Node's own node:wasi in the same process (the floor: a
// compile, an instantiation and `_start`, which prints and exits). Plus `tabdock run --rm`
// through the CLI and its daemon, beside `tabdock version`.
import { mkdtempSync, readFileSync, rmSync, openSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WASI } from 'node:wasi';
import type { Engine } from '../src/engine/index.ts';
import { Wasm, type WasmModule } from '../src/engine/wasi/wasm-api.ts';
import { cliHome, startRegistry } from '../test/support/index.ts';
import { pushWasiImage, wasiModule } from '../test/support/wasi.ts';
import { runOptions, wasiEngine } from '../test/support/wasi-engine.ts';
import { median, type BenchRow } from './table.ts';

const RUNS = Number(process.env['TABDOCK_BENCH_RUNS'] ?? 15);
/** create + attach + start until the first byte of output; then waits for the exit and removes. */
async function firstOutput(engine: Engine, image: string): Promise<number> {
  const options = runOptions('--rm', image);
  const t0 = performance.now();
  const { Id } = await engine.createContainer({ image, options });
  let first: number | undefined;
  let out = '';
  await engine.attachContainer(Id, (chunk) => {
    first ??= performance.now();
    out += new TextDecoder().decode(chunk);
  });
  await engine.startContainer(Id);
  const end = await engine.waitContainer(Id);
  if (end.StatusCode !== 0 || out !== 'hello from wasi\n') throw new Error(`hello ended ${end.StatusCode} with ${JSON.stringify(out)}`);
  return first! - t0;
}

/** node:wasi: compile (unless given a module), instantiate, run `_start`; stdout to a file. */
async function nodeWasi(bytes: Uint8Array, out: string, compiled?: WasmModule): Promise<number> {
  const fd = openSync(out, 'w');
  const t0 = performance.now();
  const module = compiled ?? (await Wasm.compile(bytes));
  const wasi = new WASI({ version: 'preview1', args: ['/hello.wasm'], env: {}, stdout: fd, returnOnExit: true });
  const inst = new Wasm.Instance(module, wasi.getImportObject() as Record<string, Record<string, unknown>>);
  wasi.start(inst as object);
  const t = performance.now() - t0;
  closeSync(fd);
  if (readFileSync(out, 'utf8') !== 'hello from wasi\n') throw new Error('node:wasi did not print hello');
  return t;
}

export async function benchWasi(): Promise<BenchRow[]> {
  const reg = await startRegistry();
  const homes: string[] = [];
  const cli = cliHome({ TABDOCK_INSECURE_REGISTRIES: reg.host, TABDOCK_GUEST: 'off', TABDOCK_DAEMON_IDLE_SECONDS: '300' });
  try {
    const image = await pushWasiImage(reg, 'hello', 'tar', 'hello:1');
    const bytes = new Uint8Array(readFileSync(await wasiModule('hello')));
    const scratch = mkdtempSync(join(tmpdir(), 'tabdock-bench-wasi-'));
    homes.push(scratch);
    const outFile = join(scratch, 'out');

    // Cold: a fresh engine each time (image pulled, never run: unpack, worker, compile).
    const cold: number[] = [];
    for (let i = 0; i < 3; i++) {
      const home = mkdtempSync(join(tmpdir(), 'tabdock-bench-wasi-'));
      homes.push(home);
      const engine = await wasiEngine(home, reg.host);
      await engine.pull(image, {});
      cold.push(await firstOutput(engine, image));
      await engine.dispose();
    }
    const floorCold: number[] = [];
    for (let i = 0; i < 5; i++) floorCold.push(await nodeWasi(bytes, outFile));

    // Warm: one engine, after a first run.
    const engine = await wasiEngine(homes[1]!, reg.host);
    await firstOutput(engine, image);
    const warm: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      warm.push(await firstOutput(engine, image));
      await new Promise((r) => setTimeout(r, 20)); // what a person typing leaves between runs
    }
    await engine.dispose();
    const compiled = await Wasm.compile(bytes);
    const floorWarm: number[] = [];
    for (let i = 0; i < RUNS; i++) floorWarm.push(await nodeWasi(bytes, outFile, compiled));

    // Through the CLI and its daemon (the guest is off: proof it is not booted).
    const timed = async (...args: string[]) => {
      const t = performance.now();
      const r = await cli.run(...args);
      if (r.code !== 0) throw new Error(`tabdock ${args.join(' ')} failed: ${r.stderr}`);
      return performance.now() - t;
    };
    await timed('pull', image);
    await timed('run', '--rm', image);
    const cliRun: number[] = [];
    for (let i = 0; i < 5; i++) cliRun.push(await timed('run', '--rm', image));
    const cliNoop: number[] = [];
    for (let i = 0; i < 5; i++) cliNoop.push(await timed('version'));

    const w = median(warm);
    const fw = median(floorWarm);
    const c = median(cold);
    const fc = median(floorCold);
    return [
      { name: 'hello: first output, warm (engine)', value: w, unit: 'ms', baseline: 'node:wasi, compiled module', baselineValue: fw, target: '<= 1.5x floor + 50 ms', pass: w <= 1.5 * fw + 50 },
      { name: 'hello: first output, cold (fresh engine: unpack, worker, compile)', value: c, unit: 'ms', baseline: 'node:wasi, compile + run', baselineValue: fc },
      { name: 'tabdock run --rm hello (CLI + daemon, warm)', value: median(cliRun), unit: 'ms', baseline: 'tabdock version', baselineValue: median(cliNoop) },
    ];
  } finally {
    cli.dispose();
    for (const h of homes) rmSync(h, { recursive: true, force: true });
    await reg.stop();
  }
}
