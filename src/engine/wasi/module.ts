import { WASI } from '@bjorn3/browser_wasi_shim';
import type { ContainerFs, Inode } from '../../fs-layers/index.ts';
import { TabdockError } from '../../shared/errors.ts';
import { resolve } from '../containers/container-files.ts';
import { Wasm, type WasmModule } from './wasm-api.ts';

/**
 * Finding, checking and compiling a container's module. Failures are Docker's start
 * failures: 127 when the file is not there, 126 when it cannot be run (not wasm, a
 * component, imports we do not provide, no such export).
 */
export interface ModuleRef {
  node: Inode;
  /** Absolute path in the container tree. */
  path: string;
  /** The export to run: `_start`, or what `path#func` named (runwasi's syntax). */
  func: string;
}

function startError(code: 126 | 127, message: string, data: Record<string, unknown> = {}): TabdockError {
  return new TabdockError(code === 127 ? 'EXEC_NOT_FOUND' : 'EXEC_FAILED', message, { ...data }, { exitCode: code });
}

/**
 * argv[0] as runwasi resolves it: `path#func`; a path with a slash is taken relative to the
 * working directory; a bare name is looked up in $PATH, then in the working directory.
 * Symlinks are followed inside the tree.
 */
export function findModule(fs: ContainerFs, argv0: string, cwd: string, env: readonly string[]): ModuleRef {
  const hash = argv0.lastIndexOf('#');
  const file = hash >= 0 ? argv0.slice(0, hash) : argv0;
  const func = hash >= 0 && hash < argv0.length - 1 ? argv0.slice(hash + 1) : '_start';
  const abs = (dir: string, p: string) => (p.startsWith('/') ? p : `${dir.replace(/\/+$/, '')}/${p}`);
  const candidates = file.includes('/')
    ? [abs(cwd, file)]
    : [...(env.find((e) => e.startsWith('PATH='))?.slice(5).split(':').filter(Boolean) ?? []).map((d) => abs(d, file)), abs(cwd, file)];
  for (const path of candidates) {
    const node = resolve(fs.root, path, true).node;
    if (node?.kind === 'f') return { node, path, func };
  }
  if (file === '') throw startError(127, `exec: no module named in the container's command`);
  throw startError(127, file.includes('/') ? `exec: "${file}": stat ${abs(cwd, file)}: no such file or directory` : `exec: "${file}": executable file not found in $PATH`, { path: file });
}

const MAGIC = [0x00, 0x61, 0x73, 0x6d];

/** A core module (version 1); components (WASI preview 2) and other files are refused. */
export function checkBinary(bytes: Uint8Array, path: string): void {
  if (bytes.length < 8 || MAGIC.some((b, i) => bytes[i] !== b)) {
    throw startError(126, `exec: "${path}": exec format error: not a WebAssembly module`, { path });
  }
  const version = bytes[4]! | (bytes[5]! << 8);
  const layer = bytes[6]! | (bytes[7]! << 8);
  if (layer === 1) throw startError(126, `exec: "${path}": a WebAssembly component (WASI preview 2), which tabdock cannot run yet; build it for wasm32-wasip1 (wasi/wasm)`, { path });
  if (version !== 1) throw startError(126, `exec: "${path}": WebAssembly binary version ${version} is not supported`, { path });
}

let provided: Set<string> | undefined;

/** The `wasi_snapshot_preview1` functions the worker gives a module. */
function providedImports(): Set<string> {
  provided ??= new Set(Object.keys(new WASI([], [], [], { debug: false }).wasiImport));
  return provided;
}

/** Refuses a module that would not link or has nothing to run, before a worker is spent on it. */
export function checkLinkage(module: WasmModule, ref: ModuleRef): void {
  for (const i of Wasm.Module.imports(module)) {
    if (i.module === 'wasi_snapshot_preview1' && i.kind === 'function' && providedImports().has(i.name)) continue;
    throw startError(126, `exec: "${ref.path}": the module imports ${i.module}.${i.name}, which a WASI (preview 1) runtime does not provide`, { path: ref.path, import: `${i.module}.${i.name}` });
  }
  const exports = Wasm.Module.exports(module);
  if (!exports.some((e) => e.name === ref.func && e.kind === 'function')) {
    const hint = ref.func === '_start' ? ': it is a library (reactor), not a command; name a function with path#func' : '';
    throw startError(126, `exec: "${ref.path}": the module exports no function ${ref.func}${hint}`, { path: ref.path });
  }
  if (!exports.some((e) => e.name === 'memory' && e.kind === 'memory')) {
    throw startError(126, `exec: "${ref.path}": the module exports no memory, which WASI needs`, { path: ref.path });
  }
}

/**
 * Compiled modules, most recently used kept. The key names an image's file that the
 * container did not change (image ID + path), so every container of an image and every
 * run shares one compilation; a module the container wrote itself is compiled each time.
 */
export class ModuleCache {
  private readonly modules = new Map<string, Promise<WasmModule>>();

  constructor(private readonly max = 16) {}

  async load(key: string | undefined, bytes: () => Promise<Uint8Array>, path: string): Promise<WasmModule> {
    const hit = key ? this.modules.get(key) : undefined;
    if (hit && key) {
      this.modules.delete(key);
      this.modules.set(key, hit);
      return hit;
    }
    const compiled = (async () => {
      const b = await bytes();
      checkBinary(b, path);
      try {
        return await Wasm.compile(b);
      } catch (e) {
        throw startError(126, `exec: "${path}": the module does not compile: ${e instanceof Error ? e.message : String(e)}`, { path });
      }
    })();
    if (key) {
      this.modules.set(key, compiled);
      compiled.catch(() => this.modules.delete(key));
      while (this.modules.size > this.max) this.modules.delete(this.modules.keys().next().value!);
    }
    return compiled;
  }

  clear(): void {
    this.modules.clear();
  }
}
