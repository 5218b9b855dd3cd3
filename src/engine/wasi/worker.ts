/**
 * The WASI worker: one module run per worker. The same file runs in a browser Web Worker
 * (it serves itself when loaded there) and in a Node worker thread (node-worker.mjs calls
 * `serveWasiWorker` with its port). It imports nothing Node- or DOM-specific.
 */
import { PreopenDirectory, WASI, WASIProcExit } from '@bjorn3/browser_wasi_shim';
import type { RunMessage, WorkerMessage } from './protocol.ts';
import { Journal, OutFd, StdinFd, buildTree, type Post } from './worker-fs.ts';
import { MemoryLimitExceeded, layerImports } from './worker-imports.ts';
import { Wasm } from './wasm-api.ts';

export interface WorkerPort {
  post(msg: WorkerMessage, transfer?: ArrayBuffer[]): void;
  listen(listener: (msg: RunMessage) => void): void;
}

export function serveWasiWorker(port: WorkerPort): void {
  port.listen((msg) => {
    if (msg?.type === 'run') runModule(msg, (m, t) => port.post(m, t));
  });
}

/** Runs the module to its end and reports how it ended (after the last file change). */
export function runModule(msg: RunMessage, post: Post): void {
  const journal = new Journal(post, msg.nextId);
  const root = new PreopenDirectory('/', new Map());
  buildTree(root.dir, msg.tree, msg.aliases, journal);
  const stdin = new StdinFd(msg.stdin, post, msg.tty);
  // `debug: false` said outright: the shim's logger is on when the option is absent.
  const w = new WASI(msg.args, msg.env, [stdin, new OutFd(1, post, msg.tty), new OutFd(2, post, msg.tty), root], { debug: false });
  layerImports(w, { journal, stdin, readOnly: msg.readOnly, ...(msg.memoryLimit !== undefined ? { memoryLimit: msg.memoryLimit } : {}) });
  let end: WorkerMessage & { type: 'exit' };
  try {
    const inst = new Wasm.Instance(msg.module, { wasi_snapshot_preview1: w.wasiImport });
    const exports = inst.exports;
    w.inst = inst as unknown as WASI['inst'];
    // A reactor run by `path#func` gets its constructors first, as runwasi does.
    if (msg.func !== '_start' && typeof exports['_initialize'] === 'function') (exports['_initialize'] as () => void)();
    (exports[msg.func] as () => void)();
    end = { type: 'exit', code: 0 };
  } catch (e) {
    if (e instanceof WASIProcExit) end = { type: 'exit', code: e.code & 0xff };
    else if (e instanceof MemoryLimitExceeded) end = { type: 'exit', code: 137, oomKilled: true, error: e.message };
    else end = { type: 'exit', code: -1, error: describe(e) };
  }
  journal.flushAll();
  post(end);
}

/** A trap or a failure inside the module, as one line. */
function describe(e: unknown): string {
  if (e instanceof Wasm.RuntimeError) return `wasm trap: ${e.message}`;
  if (e instanceof RangeError) return `wasm trap: ${e.message}`;
  if (e instanceof Error) return `${e.name}: ${e.message}`;
  return String(e);
}

// In a browser Web Worker: serve at once (the message handler must exist before the first message).
const scope = globalThis as unknown as {
  WorkerGlobalScope?: unknown;
  postMessage(m: unknown, t?: ArrayBuffer[]): void;
  addEventListener(t: 'message', l: (e: { data: RunMessage }) => void): void;
};
if (typeof scope.WorkerGlobalScope !== 'undefined') {
  serveWasiWorker({ post: (m, t) => scope.postMessage(m, t ?? []), listen: (l) => scope.addEventListener('message', (e) => l(e.data)) });
}
