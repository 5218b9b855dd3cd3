import { findBuiltin } from './builtins.ts';
import { History, type HistoryStore } from './history.ts';
import { LineEditor } from './line-editor.ts';
import { promptText } from './prompt.ts';
import { RunningCommand, type OutputTee, type OutputTerminal } from './running-command.ts';
import type { DockerRunner } from './terminal-io.ts';
import { tokenize } from './tokenize.ts';

export interface ShellOptions {
  term: OutputTerminal;
  /** The docker command layer (`docker ARGS...` runs `run(ARGS)`). */
  run: DockerRunner;
  history?: HistoryStore;
  env?: Record<string, string | undefined>;
  /** Printed by start(), before the first prompt. */
  banner?: string;
  /** After each command line, with its exit status (the share link follows it). */
  onCommandLine?(line: string, status: number): void;
}

/** Programs the shell hands to the docker command layer. */
const DOCKER = new Set(['docker', 'tabdock']);

/**
 * The playground's shell: a prompt with line editing and history; each line is
 * tokenized and its commands run in turn (`;`, `&&`, `||`): builtins here, `docker ...`
 * through the command layer with the keyboard routed to it (see CommandInput). Keys
 * typed while a command runs and does not read them are kept and replayed at the next
 * prompt, as a terminal's typeahead is. DOM-free: the page wires xterm.js to `input`
 * and `resize`.
 */
export class Shell {
  readonly history: History;
  /** The last command's exit status (`$?`). */
  status = 0;
  private readonly editor: LineEditor;
  private running: RunningCommand | undefined;
  private busy: Promise<void> | undefined;
  private typeahead = '';
  /** The tee of the line runLine() is about to run (taken by that line only). */
  private nextTee: OutputTee | undefined;
  private atLineStart = true;
  private readonly term: OutputTerminal;

  constructor(private readonly opts: ShellOptions) {
    this.history = new History(opts.history);
    // Track whether the cursor is at the start of a line, so the prompt never lands mid-line.
    this.term = {
      size: () => opts.term.size(),
      write: (s) => {
        const last = typeof s === 'string' ? s.charCodeAt(s.length - 1) : s[s.length - 1];
        if (last !== undefined) this.atLineStart = last === 0x0a;
        opts.term.write(s);
      },
    };
    this.editor = new LineEditor({ write: (s) => this.term.write(s), history: this.history, cols: () => opts.term.size().cols });
  }

  start(): void {
    if (this.opts.banner) this.term.write(this.opts.banner);
    this.prompt();
  }

  get isBusy(): boolean {
    return this.busy !== undefined;
  }

  /** Keystrokes from the terminal. */
  input(data: string): void {
    if (this.running) this.running.input.key(data);
    else if (this.busy) this.typeahead += data;
    else this.edit(data);
  }

  /** The terminal was resized (read its new size from `term.size()`). */
  resize(): void {
    if (this.running) this.running.input.resize();
    else this.editor.redraw();
  }

  /** Runs a line as if typed at the prompt (a share link's `?run=`); resolves when it is done. */
  async submit(line: string): Promise<number> {
    await this.busy;
    this.editor.insert(line.replace(/[\x00-\x1f\x7f]/g, ' '));
    this.edit('\r');
    await this.busy;
    return this.status;
  }

  /**
   * Runs a line now, as if typed (the files panel's Build button): what was typed at the
   * prompt is replaced. False, and nothing done, while a command runs (its output and
   * keys are someone else's); else resolves with the line's exit status. With a `tee`,
   * what the line's commands write goes there too, stdout and stderr apart (the shell's
   * own errors, such as a line it cannot read or an unknown command, as stderr; the
   * builtins' output as stdout), LF line ends as written.
   */
  runLine(line: string, tee?: OutputTee): Promise<number> | false {
    if (this.busy) return false;
    this.nextTee = tee;
    this.editor.replace(line.replace(/[\x00-\x1f\x7f]/g, ' '));
    this.edit('\r');
    // No prompt yet (the keys wait as typeahead): the tee is not for a later line.
    this.nextTee = undefined;
    return (this.busy ?? Promise.resolve()).then(() => this.status);
  }

  /** Puts text at the prompt without running it. */
  prefill(line: string): void {
    if (!this.busy) this.editor.insert(line.replace(/[\x00-\x1f\x7f]/g, ' '));
  }

  private prompt(): void {
    if (!this.atLineStart) this.term.write('\r\n');
    this.editor.begin(promptText(this.status));
  }

  private edit(data: string): void {
    let rest = data;
    while (rest) {
      const r = this.editor.feed(rest);
      rest = r.rest;
      if (r.event?.type === 'line') {
        this.typeahead = rest + this.typeahead;
        const line = r.event.text;
        const tee = this.nextTee;
        this.nextTee = undefined;
        this.busy = this.execute(line, tee).finally(() => {
          this.busy = undefined;
          this.prompt();
          const ahead = this.typeahead;
          this.typeahead = '';
          if (ahead) this.input(ahead);
        });
        return;
      }
      if (r.event?.type === 'interrupt') {
        this.status = 130;
        this.prompt();
      } else if (!r.event && rest) {
        // The editor is not taking input (no prompt yet): keep the keys for the prompt.
        this.typeahead += rest;
        return;
      }
      // eof (Ctrl-D on an empty line): nothing to leave, the line stays.
    }
  }

  /** Writes the shell's own text (CR LF line ends) to the terminal, and to the line's tee. */
  private say(s: string, stream: 'out' | 'err', tee: OutputTee | undefined): void {
    this.term.write(s);
    tee?.[stream](s.replaceAll('\r\n', '\n'));
  }

  private async execute(line: string, tee: OutputTee | undefined): Promise<void> {
    const t = tokenize(line);
    if (!t.ok) {
      this.say(`tabdock: ${t.error}\r\n`, 'err', tee);
      this.status = 2;
      this.opts.onCommandLine?.(line, this.status);
      return;
    }
    if (t.commands.length === 0) return;
    let status = this.status;
    for (const c of t.commands) {
      if ((c.op === '&&' && status !== 0) || (c.op === '||' && status === 0)) continue;
      const r = await this.runOne(c.argv, status, tee);
      status = r.status;
      if (r.abandoned === 'interrupt' || r.abandoned === 'force') break;
    }
    this.status = status;
    this.opts.onCommandLine?.(line, status);
  }

  private async runOne(argv: string[], lastStatus: number, tee: OutputTee | undefined): Promise<{ status: number; abandoned?: string }> {
    const [name, ...args] = argv as [string, ...string[]];
    if (DOCKER.has(name)) {
      const cmd = new RunningCommand(this.term, this.opts.run, args, this.opts.env ?? {}, tee);
      this.running = cmd;
      try {
        const r = await cmd.done;
        this.typeahead += r.leftover;
        // docker's CLI words for its third Ctrl-C; the container goes on running.
        if (r.abandoned === 'force') {
          this.term.write('\r\n');
          this.say('got 3 SIGTERM/SIGINTs, forcefully exiting\r\n', 'err', tee);
        }
        return r;
      } finally {
        this.running = undefined;
      }
    }
    const builtin = findBuiltin(name);
    if (builtin) return { status: builtin.run(args, { write: (s) => this.say(s, 'out', tee), history: this.history, status: lastStatus }) };
    this.say(`tabdock: ${name}: command not found. This shell runs docker commands: try 'help', or 'docker run -it busybox sh' for a Linux shell in a container.\r\n`, 'err', tee);
    return { status: 127 };
  }
}
