import { deliver } from '../containers/deliver.ts';
import { exitCodeForProcess } from '../spec/exit-codes.ts';
import type { ContainerFs } from '../../fs-layers/index.ts';
import type { RuntimeExit, RuntimeProcess } from '../containers/runtime.ts';
import type { RunMessage, WasiWorker, WorkerMessage } from './protocol.ts';
import { StdinWriter, canShareMemory, createStdinBuffer } from './stdin-channel.ts';
import type { TreeMirror } from './tree-mirror.ts';
import { LineDiscipline, onlcr } from './tty.ts';

export interface ProcessStart {
  worker: WasiWorker;
  /** Takes the worker back after a run that ended by itself (it can serve another). */
  release(worker: WasiWorker): void;
  run: Omit<RunMessage, 'stdin'>;
  transfer: ArrayBuffer[];
  mirror: TreeMirror;
  fs: ContainerFs;
  /** `-i`: stdin stays open for the caller's input. */
  interactive: boolean;
  /** Use live stdin through shared memory (default: when this thread can share memory). */
  shareMemory?: boolean;
}

/** Signals whose default action is to do nothing (signal(7)): a kill with them leaves the module running. */
const IGNORED = new Set([17, 18, 23, 28]); // SIGCHLD, SIGCONT, SIGURG, SIGWINCH

/**
 * One module run, as the container service sees a process. Output streams as the worker
 * writes it; the exit is reported after every file change received was applied and the
 * writable layer synced. A signal ends the run at once (`worker.terminate()`: a module
 * cannot catch signals) with 128 + signal, as Docker reports a process killed by it.
 */
export function startWasiProcess(s: ProcessStart): RuntimeProcess {
  const listeners = new Set<(chunk: Uint8Array, fd: 1 | 2) => void>();
  const early: [Uint8Array, 1 | 2][] = [];
  const tty = s.run.tty;
  const emit = (data: Uint8Array, fd: 1 | 2) => {
    // With -t, stdout and stderr are one terminal.
    const [chunk, to] = tty ? [onlcr(data), 1 as const] : [data, fd];
    if (listeners.size === 0) early.push([chunk, to]);
    for (const l of listeners) deliver(l, chunk, to);
  };

  let resolveExit!: (e: RuntimeExit) => void;
  const exit = new Promise<RuntimeExit>((r) => (resolveExit = r));
  let ended = false;
  const unlisten: (() => void)[] = [];
  /** `reusable`: the module ended by itself and the worker is idle again. */
  const finish = (end: RuntimeExit, reusable = false) => {
    if (ended) return;
    ended = true;
    for (const u of unlisten) u();
    if (reusable) s.release(s.worker);
    else s.worker.terminate();
    void (async () => {
      await s.mirror.settled();
      const saved = await s.fs.sync().then(() => undefined, (e: unknown) => `the container's files were not saved: ${e instanceof Error ? e.message : String(e)}`);
      const error = [end.error, s.mirror.failure, saved].filter(Boolean).join('; ');
      resolveExit({ code: end.code, ...(end.oomKilled ? { oomKilled: true } : {}), ...(error ? { error } : {}) });
    })();
  };

  // stdin: live through a shared ring, or (no shared memory) all of it before the run.
  const shared = s.shareMemory ?? canShareMemory();
  const buffer = shared ? createStdinBuffer() : undefined;
  const writer = buffer ? new StdinWriter(buffer) : undefined;
  const pending: Uint8Array[] = [];
  let closing = false;
  let posted = false;
  const pump = () => {
    while (writer && pending.length > 0) {
      const rest = writer.write(pending[0]!);
      if (rest.length > 0) {
        pending[0] = rest;
        return;
      }
      pending.shift();
    }
    // Closed: the ring ends once drained; without one, the run starts now with all of stdin.
    if (closing && (pending.length === 0 || !writer)) {
      writer?.close();
      if (!posted) post();
    }
  };
  const push = (data: Uint8Array) => {
    // Without shared memory, input after the run began cannot reach the module.
    if (closing || data.length === 0 || (!writer && posted)) return;
    pending.push(data);
    pump();
  };
  const ldisc = tty
    ? new LineDiscipline({ echo: (b) => emit(b, 1), deliver: push, eof: () => closeStdin(), signal: (sig) => void kill(sig) })
    : undefined;
  const closeStdin = () => {
    closing = true;
    pump();
  };
  const kill = async (sig: number) => {
    if (ended || IGNORED.has(sig)) return;
    finish({ code: exitCodeForProcess({ signal: sig }) });
  };

  unlisten.push(s.worker.onMessage((m: WorkerMessage) => {
    if (ended) return;
    if (m.type === 'out') emit(m.data, m.fd);
    else if (m.type === 'fs') s.mirror.apply(m.op);
    else if (m.type === 'stdin-drained') pump();
    else if (m.type === 'exit') {
      // A trap or a failure inside the module: said on stderr, exit 137 as runwasi's shims do.
      if (m.code < 0) emit(new TextEncoder().encode(`tabdock: ${m.error}\n`), 2);
      finish({ code: m.code < 0 ? 137 : m.code, ...(m.oomKilled ? { oomKilled: true } : {}), ...(m.error ? { error: m.error } : {}) }, true);
    }
  }));
  unlisten.push(s.worker.onError((message) => finish({ code: 137, error: `the WebAssembly worker failed: ${message}` })));

  const post = () => {
    posted = true;
    const data = pending.splice(0).reduce((a, b) => {
      const out = new Uint8Array(a.length + b.length);
      out.set(a);
      out.set(b, a.length);
      return out;
    }, new Uint8Array(0));
    const stdin: RunMessage['stdin'] = buffer ? { kind: 'shared', buffer } : { kind: 'buffered', data };
    s.worker.post({ ...s.run, stdin }, s.transfer);
  };
  if (shared || !s.interactive) post();
  else if (tty) {
    emit(new TextEncoder().encode('tabdock: this page cannot share memory with workers (it is not cross-origin isolated), so the module gets no live input\n'), 2);
    post();
  }
  // Otherwise (-i without shared memory) the run starts when stdin closes, with all of it.

  return {
    onOutput: (l) => {
      listeners.add(l);
      for (const [chunk, fd] of early.splice(0)) l(chunk, fd);
      return () => listeners.delete(l);
    },
    write: async (d) => (ldisc ? ldisc.input(d) : push(new Uint8Array(d))),
    closeStdin,
    resize: async () => {},
    kill,
    exit,
  };
}
