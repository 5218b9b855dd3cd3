import type { ContextSource } from '../build/index.ts';

/**
 * The terminal a command runs in, without Node or the DOM: the Node CLI builds one from
 * process stdio, the page's shell from its xterm.js terminal.
 */

/** The terminal or pipe behind `-i`. */
export interface InputSource {
  /** Input bytes as they come; returns the unsubscribe function. */
  onData(f: (d: Uint8Array) => void): () => void;
  /** End of input (Ctrl-D in a non-tty session, EOF of a pipe); returns the unsubscribe function. */
  onEnd(f: () => void): () => void;
  /**
   * `-t`: raw mode while attached, so every key (Ctrl-C and Ctrl-D included) reaches the
   * container's PTY as a byte. A shell that has it sends Ctrl-C to `onInterrupt` only
   * while raw mode is off.
   */
  setRaw?(on: boolean): void;
  /** The input is a terminal someone types at (prune asks for confirmation only then). */
  isTTY?: boolean;
}

export interface TerminalIo {
  out(s: string | Uint8Array): void;
  err(s: string | Uint8Array): void;
  /** Output goes to a terminal (pull draws progress bars, `cp` reports). */
  isTTY: boolean;
  env: Record<string, string | undefined>;
  stdin?: InputSource;
  size?(): { cols: number; rows: number } | undefined;
  /** Terminal size changes (SIGWINCH); returns the unsubscribe function. */
  onResize?(f: () => void): () => void;
  /**
   * Ctrl-C while a command runs, like SIGINT reaching a process: a command that
   * subscribes handles it (`run` forwards it to the container: docker's sig-proxy;
   * `logs -f`, `wait`, `exec` end with 130). Returns the unsubscribe function.
   */
  onInterrupt?(f: () => void): () => void;
  /** The working directory (Node): `compose` names a project after its folder. Absent in the page. */
  cwd?: string;
  /** `--env-file` and similar; absent in the browser, where such flags fail with a flag error. */
  readFile?(path: string): string;
  /**
   * `--cidfile`: `create` makes the file only if there is none (false: it exists), `write`
   * fills it, `remove` takes it away. Absent in the browser, where the flag is refused.
   */
  files?: { create(path: string): boolean; write(path: string, text: string): void; remove(path: string): void };
  /** `save -o`, `export -o`: a file written piece by piece, in place only once closed; absent where there are no files. */
  writeFile?(path: string): FileSink;
  /** `load -i`, `import FILE`: a file's bytes, piece by piece; absent where there are no files. */
  readBytes?(path: string): AsyncIterable<Uint8Array>;
  /**
   * `docker build PATH`: the build context at PATH (a directory in Node; in the page, the
   * files panel's project, whatever PATH names). Absent where there is none: `build -` (a
   * tar on stdin) still works.
   */
  buildContext?(path: string): Promise<ContextSource>;
}

/** A file being written: `close` puts it in place, `abort` leaves nothing. */
export interface FileSink {
  write(b: Uint8Array): Promise<void>;
  close(): Promise<void>;
  abort(): Promise<void>;
}

/** Stdin's bytes as a pull source (`load`, `import -`): `next` answers undefined at the end. */
export function stdinBytes(io: TerminalIo): () => Promise<Uint8Array | undefined> {
  const queue: Uint8Array[] = [];
  let ended = !io.stdin;
  let wake: (() => void) | undefined;
  const offData = io.stdin?.onData((d) => {
    queue.push(d);
    wake?.();
  });
  const offEnd = io.stdin?.onEnd(() => {
    ended = true;
    wake?.();
  });
  return async () => {
    while (queue.length === 0 && !ended) await new Promise<void>((r) => (wake = r));
    wake = undefined;
    const d = queue.shift();
    if (!d && ended) {
      offData?.();
      offEnd?.();
    }
    return d;
  };
}

/** Exit status of a command ended by Ctrl-C (128 + SIGINT), as a shell reports it. */
export const INTERRUPTED = 130;

/**
 * Runs `work` until it settles or Ctrl-C comes (then `onInterrupt` runs and the result is
 * INTERRUPTED). Without `io.onInterrupt` it is just `work`: in Node the signal's default
 * action ends the process.
 */
export async function untilInterrupt(io: TerminalIo, work: Promise<number>, onInterrupt?: () => void): Promise<number> {
  if (!io.onInterrupt) return work;
  let off = () => {};
  const interrupted = new Promise<number>((resolve) => {
    off = io.onInterrupt!(() => {
      onInterrupt?.();
      resolve(INTERRUPTED);
    });
  });
  try {
    return await Promise.race([work, interrupted]);
  } finally {
    off();
  }
}
