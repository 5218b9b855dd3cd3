import type { WasmModule } from './wasm-api.ts';

/**
 * The messages between the engine and a WASI worker (one worker per run). The engine sends
 * one `run`; the worker answers with output, filesystem changes (as they happen) and one
 * `exit`, in that order on one channel, so the engine applies every change it received
 * before it reports the exit.
 */

/** One name of the container tree as the module sees it (`parent` -1 for the root, id 0). */
export interface TreeEntry {
  id: number;
  parent: number;
  name: string;
  kind: 'd' | 'f';
  /** Modification time, seconds since the epoch. */
  mtime: number;
  /** A file's bytes (transferred, not copied). */
  data?: Uint8Array;
}

/** A name that shows another node: a symlink resolved in the tree, or a second hard link. */
export interface TreeAlias {
  parent: number;
  name: string;
  target: number;
}

export type StdinSource =
  /** Live stdin through a SharedArrayBuffer ring (stdin-channel.ts): reads block. */
  | { kind: 'shared'; buffer: SharedArrayBuffer }
  /** All of stdin up front (no SharedArrayBuffer here): reads past it see end of file. */
  | { kind: 'buffered'; data: Uint8Array };

export interface RunMessage {
  type: 'run';
  module: WasmModule;
  /** The export to call: `_start` for a command, or what `path#func` named. */
  func: string;
  args: string[];
  env: string[];
  tree: TreeEntry[];
  aliases: TreeAlias[];
  /** The first id free for nodes the module creates. */
  nextId: number;
  stdin: StdinSource;
  /** Whether stdout/stderr are a terminal (isatty answers yes only then). */
  tty: boolean;
  readOnly: boolean;
  /** `--memory`: the module is stopped (OOM) once its linear memory grows past this. */
  memoryLimit?: number;
}

/** A change the module made to its tree, by node id (ids survive renames). */
export type FsOp =
  | { op: 'create'; id: number; parent: number; name: string; kind: 'f' | 'd' }
  /** Bytes at `at` (the changed range), and the file's size after the change. */
  | { op: 'write'; id: number; at: number; data: Uint8Array; size: number }
  | { op: 'unlink'; parent: number; name: string; dir: boolean }
  | { op: 'rename'; from: number; fromName: string; to: number; toName: string }
  | { op: 'link'; id: number; parent: number; name: string }
  /** utimensat: times in seconds since the epoch (undefined: unchanged). */
  | { op: 'times'; id: number; atime?: number; mtime?: number };

export type WorkerMessage =
  | { type: 'out'; fd: 1 | 2; data: Uint8Array }
  | { type: 'fs'; op: FsOp }
  /** The worker read stdin: the ring has room again. */
  | { type: 'stdin-drained' }
  /** The module ended: exit status, or why it was stopped. */
  | { type: 'exit'; code: number; oomKilled?: boolean; error?: string };

/** The message port of a worker as the engine sees it (Node worker_threads or a Web Worker). */
export interface WasiWorker {
  post(msg: RunMessage, transfer: ArrayBuffer[]): void;
  /** Returns the function that removes the listener (a worker serves run after run). */
  onMessage(listener: (msg: WorkerMessage) => void): () => void;
  /** The worker failed (did not load, or threw outside the module). */
  onError(listener: (message: string) => void): () => void;
  terminate(): void;
  /** Node: a spare worker must not keep the process alive; a running one should. */
  ref?(): void;
  unref?(): void;
}

export type SpawnWorker = () => WasiWorker;

/** The structural part of a browser `Worker` the adapter needs (no DOM lib here). */
type WebListener = (e: { data?: unknown; message?: string }) => void;

export interface WebWorkerLike {
  postMessage(message: unknown, transfer: ArrayBuffer[]): void;
  addEventListener(type: 'message' | 'error' | 'messageerror', listener: WebListener): void;
  removeEventListener(type: 'message' | 'error' | 'messageerror', listener: WebListener): void;
  terminate(): void;
}

/** A browser Worker (or anything shaped like one) as a WasiWorker. */
export function fromWebWorker(w: WebWorkerLike): WasiWorker {
  const on = (type: 'message' | 'error' | 'messageerror', f: WebListener) => {
    w.addEventListener(type, f);
    return () => w.removeEventListener(type, f);
  };
  return {
    post: (msg, transfer) => w.postMessage(msg, transfer),
    onMessage: (l) => on('message', (e) => l(e.data as WorkerMessage)),
    onError: (l) => {
      const a = on('error', (e) => l(e.message || 'the WebAssembly worker failed'));
      const b = on('messageerror', () => l('a message to the WebAssembly worker could not be read'));
      return () => (a(), b());
    },
    terminate: () => w.terminate(),
  };
}
