import { CommandInput, type AbandonReason } from './command-input.ts';
import { CrlfWriter } from './newlines.ts';
import type { DockerRunner, TerminalIo } from './terminal-io.ts';

/** What a command draws on: a terminal's output and its size. */
export interface OutputTerminal {
  write(s: string | Uint8Array): void;
  size(): { cols: number; rows: number };
}

/**
 * Where a command's output goes besides the terminal: stdout and stderr apart, as the
 * command wrote them (LF line ends, bytes as they came), while it is live.
 */
export interface OutputTee {
  out(chunk: string | Uint8Array): void;
  err(chunk: string | Uint8Array): void;
}

export interface CommandResult {
  status: number;
  /** Set when the user gave up on the command (it may still be running in the engine). */
  abandoned?: AbandonReason;
  /** Keys typed that the command never read. */
  leftover: string;
}

/**
 * One docker command attached to a terminal: its TerminalIo (output with CR LF line
 * ends unless the command put the terminal in raw mode, stdin through CommandInput,
 * size and resize, interrupts), its output also handed to a `tee` when one is given.
 * `done` settles when it exits or is abandoned; after that nothing it writes reaches the
 * terminal or the tee.
 */
export class RunningCommand {
  readonly input: CommandInput;
  readonly done: Promise<CommandResult>;
  private live = true;

  constructor(term: OutputTerminal, run: DockerRunner, argv: string[], env: Record<string, string | undefined> = {}, tee?: OutputTee) {
    const crlf = new CrlfWriter();
    let giveUp!: (why: AbandonReason) => void;
    const abandoned = new Promise<AbandonReason>((resolve) => (giveUp = resolve));
    this.input = new CommandInput({
      echo: (s) => this.live && term.write(s),
      abandon: (why) => {
        this.live = false;
        giveUp(why);
      },
    });
    const write = (s: string | Uint8Array) => {
      if (this.live) term.write(this.input.isRaw ? s : crlf.convert(s));
    };
    const out = (s: string | Uint8Array) => {
      if (this.live) tee?.out(s);
      write(s);
    };
    const err = (s: string | Uint8Array) => {
      if (this.live) tee?.err(s);
      write(s);
    };
    const io: TerminalIo = {
      out,
      err,
      isTTY: true,
      env,
      stdin: this.input,
      size: () => term.size(),
      onResize: (f) => this.input.onResize(f),
      onInterrupt: (f) => this.input.onInterrupt(f),
    };
    const finished = run(argv, io).then(
      (status): Omit<CommandResult, 'leftover'> => ({ status }),
      (e: unknown): Omit<CommandResult, 'leftover'> => {
        // The command layer reports its own errors; this is a bug's last resort.
        err(`tabdock: ${e instanceof Error ? e.message : String(e)}\n`);
        return { status: 1 };
      },
    );
    const gaveUp = abandoned.then((why): Omit<CommandResult, 'leftover'> => ({ status: why === 'hangup' ? 129 : 130, abandoned: why }));
    this.done = Promise.race([finished, gaveUp]).then((r) => {
      this.live = false;
      return { ...r, leftover: this.input.close() };
    });
  }

  get isLive(): boolean {
    return this.live;
  }
}
