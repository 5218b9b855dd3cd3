import { splitKeys } from './keys.ts';
import type { InputSource } from './terminal-io.ts';

/** Ctrl-C nobody handles; the third Ctrl-C; the terminal went away. */
export type AbandonReason = 'interrupt' | 'force' | 'hangup';

export interface CommandInputOptions {
  /** Echo to the terminal (the tty's ECHO, for cooked input and ^C). */
  echo(s: string): void;
  /** The user gave up on the command: three Ctrl-C (or one nobody handles). */
  abandon(why: AbandonReason): void;
}

const CTRL_C = '\x03';
const CTRL_D = '\x04';

/**
 * The keyboard while a command runs, doing what a kernel tty's line discipline would:
 * - raw (the command asked for it: `-t`): every byte goes to the command, \x03 and \x04
 *   included, for the container's PTY to interpret, and the detach keys for the docker
 *   command itself (docker-cli's wireStdin: Ctrl-P Ctrl-Q unless --detach-keys or
 *   config.json say otherwise), which detaches as docker's CLI does and tells the engine
 *   (its `detach` / `exec_detach` events), so a stuck full-screen program never locks the tab;
 * - cooked (the command reads stdin without raw: `-i` alone): the line is edited and
 *   echoed here, sent on Enter; Ctrl-D sends what is typed, or ends the input when
 *   nothing is; Ctrl-C interrupts;
 * - nobody reads: Ctrl-C interrupts (onInterrupt, which docker's sig-proxy turns into a
 *   signal); other keys wait, for the command if it starts reading, else for the shell.
 * As docker's CLI does, the third Ctrl-C gives up on the command ("forcefully exiting");
 * with nobody listening for interrupts, the first does.
 */
export class CommandInput implements InputSource {
  private readonly dataFns = new Set<(d: Uint8Array) => void>();
  private readonly endFns = new Set<() => void>();
  private readonly interruptFns = new Set<() => void>();
  private readonly resizeFns = new Set<() => void>();
  private raw = false;
  private ended = false;
  private closed = false;
  private line: string[] = [];
  private pending = '';
  private interrupts = 0;
  private readonly encoder = new TextEncoder();
  /** Someone types at it (prune asks for confirmation only then). */
  readonly isTTY = true;

  constructor(private readonly opts: CommandInputOptions) {}

  get isRaw(): boolean {
    return this.raw;
  }

  onData(f: (d: Uint8Array) => void): () => void {
    this.dataFns.add(f);
    // Keys typed before the command read are its input. Later, so that a setRaw() right
    // after this call decides how they are taken.
    if (this.pending) {
      queueMicrotask(() => {
        const p = this.pending;
        this.pending = '';
        if (p) this.key(p);
      });
    }
    return () => this.dataFns.delete(f);
  }

  onEnd(f: () => void): () => void {
    this.endFns.add(f);
    return () => this.endFns.delete(f);
  }

  setRaw(on: boolean): void {
    this.raw = on;
  }

  onInterrupt(f: () => void): () => void {
    this.interruptFns.add(f);
    return () => this.interruptFns.delete(f);
  }

  onResize(f: () => void): () => void {
    this.resizeFns.add(f);
    return () => this.resizeFns.delete(f);
  }

  /** The terminal was resized. */
  resize(): void {
    for (const f of [...this.resizeFns]) f();
  }

  /** A keystroke (or paste) from the terminal. */
  key(data: string): void {
    if (this.closed) return;
    if (this.dataFns.size === 0 || this.ended) return this.unread(data);
    if (this.raw) return this.rawKeys(data);
    this.cookedKeys(data);
  }

  /**
   * The terminal is going away (its tab was closed): the command gets one interrupt (so
   * `logs -f` and `exec` end) and is given up on.
   */
  hangUp(): void {
    if (this.closed) return;
    for (const f of [...this.interruptFns]) f();
    this.giveUp('hangup');
  }

  /** The command ended: nothing more reaches it. Returns keys nobody read (the shell's typeahead). */
  close(): string {
    this.closed = true;
    this.raw = false;
    this.dataFns.clear();
    this.endFns.clear();
    this.interruptFns.clear();
    this.resizeFns.clear();
    const rest = this.pending;
    this.pending = '';
    return rest;
  }

  private unread(data: string): void {
    for (const k of splitKeys(data)) {
      if (k === CTRL_C) {
        this.pending = '';
        this.opts.echo('^C');
        this.interrupt();
        if (this.closed) return;
      } else {
        this.pending += k;
      }
    }
  }

  private interrupt(): void {
    this.interrupts++;
    if (this.interruptFns.size === 0) return this.giveUp('interrupt');
    if (this.interrupts >= 3) return this.giveUp('force');
    for (const f of [...this.interruptFns]) f();
  }

  private giveUp(why: AbandonReason): void {
    this.closed = true;
    this.opts.abandon(why);
  }

  private rawKeys(data: string): void {
    this.send(data);
  }

  private cookedKeys(data: string): void {
    for (const k of splitKeys(data)) {
      if (this.closed || this.ended) {
        this.pending += k;
        continue;
      }
      if (k === CTRL_C) {
        this.line = [];
        this.opts.echo('^C\r\n');
        this.interrupt();
      } else if (k === CTRL_D) {
        if (this.line.length) this.flush('');
        else this.end();
      } else if (k === '\r' || k === '\n') {
        this.opts.echo('\r\n');
        this.flush('\n');
      } else if (k === '\x7f' || k === '\b') {
        if (this.line.pop() !== undefined) this.opts.echo('\b \b');
      } else if (k === '\x15') {
        this.opts.echo('\b \b'.repeat(this.line.length));
        this.line = [];
      } else if (k === '\t' || (k.codePointAt(0)! >= 0x20 && !k.startsWith('\x1b') && k !== '\x7f')) {
        this.line.push(k);
        this.opts.echo(k);
      }
      // Other control keys and escape sequences (arrows) are dropped: there is no line editing here beyond erase.
    }
  }

  private flush(suffix: string): void {
    const text = this.line.join('') + suffix;
    this.line = [];
    this.send(text);
  }

  private end(): void {
    this.ended = true;
    for (const f of [...this.endFns]) f();
  }

  private send(text: string): void {
    if (!text) return;
    const bytes = this.encoder.encode(text);
    for (const f of [...this.dataFns]) f(bytes);
  }
}
