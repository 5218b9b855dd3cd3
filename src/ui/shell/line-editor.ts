import type { History } from './history.ts';
import { classify, splitKeys, type EditKey } from './keys.ts';

export type EditorEvent =
  /** Enter: the line, already echoed with its newline and added to the history. */
  | { type: 'line'; text: string }
  /** Ctrl-C: the line was dropped (`^C` echoed). */
  | { type: 'interrupt' }
  /** Ctrl-D on an empty line; editing goes on. */
  | { type: 'eof' };

export interface LineEditorOptions {
  write(s: string): void;
  history: History;
  /** Terminal width, for lines that wrap. */
  cols(): number;
}

/**
 * An emacs-style line editor (readline's default bindings) drawing on a VT100-class
 * terminal. The line is kept as code points, each taken to be one column wide. The
 * cursor's row within a wrapped line is tracked so that a redraw can go back to the
 * prompt's row: `ESC [ n A`, `\r`, erase below (`ESC [ J`), write, then move to the
 * cursor. When the text ends exactly at the right margin a `\r\n` puts the cursor on the
 * next row, so the terminal's pending-wrap state never has to be guessed.
 */
export class LineEditor {
  private buf: string[] = [];
  private cursor = 0;
  private prompt = '';
  private promptWidth = 0;
  private cursorRow = 0;
  private active = false;
  /** Index into the history while browsing it; `history.length` is the line being typed. */
  private histIndex = 0;
  private draft: string[] = [];
  private lastWasCr = false;

  constructor(private readonly opts: LineEditorOptions) {}

  get isActive(): boolean {
    return this.active;
  }

  get text(): string {
    return this.buf.join('');
  }

  /** Shows the prompt and starts a new line. */
  begin(prompt: string): void {
    this.prompt = prompt;
    this.promptWidth = visibleWidth(prompt);
    this.buf = [];
    this.cursor = 0;
    this.cursorRow = 0;
    this.histIndex = this.opts.history.length;
    this.draft = [];
    this.active = true;
    this.opts.write(prompt);
    this.settleAtMargin(this.promptWidth);
  }

  /**
   * Feeds keystrokes. Stops at the first key that ends the line (Enter, Ctrl-C) and
   * returns the event with the input that followed it (typed ahead, or a paste's next lines).
   */
  feed(data: string): { event?: EditorEvent; rest: string } {
    const keys = splitKeys(data);
    for (let k = 0; k < keys.length; k++) {
      if (!this.active) return { rest: keys.slice(k).join('') };
      const key = keys[k]!;
      // A pasted "\r\n" is one Enter.
      if (key === '\n' && this.lastWasCr) {
        this.lastWasCr = false;
        continue;
      }
      this.lastWasCr = key === '\r';
      const event = this.apply(classify(key));
      if (event) return { event, rest: keys.slice(k + 1).join('') };
    }
    return { rest: '' };
  }

  /** The terminal changed width: draw the line again for the new wrapping. */
  redraw(): void {
    if (this.active) this.render();
  }

  /** Puts text into the line at the cursor, as if typed (a share link's command). */
  insert(text: string): void {
    if (!this.active) return;
    this.buf.splice(this.cursor, 0, ...Array.from(text));
    this.cursor += Array.from(text).length;
    this.render();
  }

  /** Replaces the line being typed with `text` (a button that runs a command). */
  replace(text: string): void {
    if (!this.active) return;
    this.buf = Array.from(text);
    this.cursor = this.buf.length;
    this.render();
  }

  private apply(k: EditKey | { insert: string }): EditorEvent | undefined {
    if (typeof k === 'object') {
      const atEnd = this.cursor === this.buf.length;
      this.buf.splice(this.cursor, 0, k.insert);
      this.cursor++;
      if (atEnd) {
        // The common case, typing at the end: write the character only.
        this.opts.write(k.insert);
        const end = this.promptWidth + this.buf.length;
        this.cursorRow = Math.floor(end / this.cols());
        this.settleAtMargin(end);
      } else {
        this.render();
      }
      return undefined;
    }
    switch (k) {
      case 'enter': {
        const text = this.text;
        this.moveTo(this.buf.length);
        // At the margin the cursor already sits on a fresh row (see settleAtMargin).
        const end = this.promptWidth + this.buf.length;
        this.opts.write(end > 0 && end % this.cols() === 0 ? '\r' : '\r\n');
        this.active = false;
        this.opts.history.add(text);
        return { type: 'line', text };
      }
      case 'interrupt':
        this.moveTo(this.buf.length);
        this.opts.write('^C\r\n');
        this.active = false;
        return { type: 'interrupt' };
      case 'eof':
        if (this.buf.length === 0) return { type: 'eof' };
        return this.edit(() => this.buf.splice(this.cursor, 1));
      case 'backspace':
        if (this.cursor === 0) return undefined;
        return this.edit(() => this.buf.splice(--this.cursor, 1));
      case 'delete':
        return this.edit(() => this.buf.splice(this.cursor, 1));
      case 'left':
        return this.move(this.cursor - 1);
      case 'right':
        return this.move(this.cursor + 1);
      case 'home':
        return this.move(0);
      case 'end':
        return this.move(this.buf.length);
      case 'word-left':
        return this.move(this.wordStart(this.cursor, isAlnum));
      case 'word-right':
        return this.move(this.wordEnd(this.cursor));
      case 'kill-start':
        return this.edit(() => {
          this.buf.splice(0, this.cursor);
          this.cursor = 0;
        });
      case 'kill-end':
        return this.edit(() => this.buf.splice(this.cursor));
      case 'kill-word':
      case 'kill-alnum-word': {
        const from = this.wordStart(this.cursor, k === 'kill-word' ? (c) => !/\s/.test(c) : isAlnum);
        return this.edit(() => {
          this.buf.splice(from, this.cursor - from);
          this.cursor = from;
        });
      }
      case 'up':
        return this.browse(this.histIndex - 1);
      case 'down':
        return this.browse(this.histIndex + 1);
      case 'clear-screen':
        this.opts.write('\x1b[H\x1b[2J');
        this.cursorRow = 0;
        this.opts.write(this.prompt);
        this.settleAtMargin(this.promptWidth);
        this.render();
        return undefined;
      case 'ignore':
        return undefined;
    }
  }

  private edit(change: () => void): undefined {
    change();
    this.render();
    return undefined;
  }

  private move(to: number): undefined {
    this.moveTo(Math.max(0, Math.min(this.buf.length, to)));
    return undefined;
  }

  private browse(to: number): undefined {
    const h = this.opts.history;
    if (to < 0 || to > h.length) return undefined;
    if (this.histIndex === h.length) this.draft = this.buf;
    this.histIndex = to;
    this.buf = to === h.length ? this.draft : Array.from(h.at(to)!);
    this.cursor = this.buf.length;
    this.render();
    return undefined;
  }

  private wordStart(from: number, inWord: (c: string) => boolean): number {
    let i = from;
    while (i > 0 && !inWord(this.buf[i - 1]!)) i--;
    while (i > 0 && inWord(this.buf[i - 1]!)) i--;
    return i;
  }

  private wordEnd(from: number): number {
    let i = from;
    while (i < this.buf.length && !isAlnum(this.buf[i]!)) i++;
    while (i < this.buf.length && isAlnum(this.buf[i]!)) i++;
    return i;
  }

  private cols(): number {
    return Math.max(1, this.opts.cols());
  }

  /** After writing up to column `end` (from the prompt's start), leave no pending wrap. */
  private settleAtMargin(end: number): void {
    if (end > 0 && end % this.cols() === 0) this.opts.write('\r\n');
    this.cursorRow = Math.floor(end / this.cols());
  }

  /** Moves the terminal cursor to buffer position `i` without redrawing. */
  private moveTo(i: number): void {
    const c = this.cols();
    const target = this.promptWidth + i;
    const row = Math.floor(target / c);
    const col = target % c;
    let s = '';
    if (row < this.cursorRow) s += `\x1b[${this.cursorRow - row}A`;
    if (row > this.cursorRow) s += `\x1b[${row - this.cursorRow}B`;
    s += '\r';
    if (col > 0) s += `\x1b[${col}C`;
    this.opts.write(s);
    this.cursor = i;
    this.cursorRow = row;
  }

  private render(): void {
    let s = this.cursorRow > 0 ? `\x1b[${this.cursorRow}A` : '';
    s += `\r\x1b[J${this.prompt}${this.text}`;
    this.opts.write(s);
    const cursor = this.cursor;
    this.settleAtMargin(this.promptWidth + this.buf.length);
    this.moveTo(cursor);
  }
}

function isAlnum(c: string): boolean {
  return /[\p{L}\p{N}_]/u.test(c);
}

/** Columns a prompt takes: its text without SGR and other CSI sequences. */
export function visibleWidth(s: string): number {
  return Array.from(s.replace(/\x1b\[[0-9;?]*[@-~]/g, '')).length;
}
