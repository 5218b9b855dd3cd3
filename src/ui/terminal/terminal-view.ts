import { LitElement, css, html, unsafeCSS } from 'lit';
import { Terminal, type ITheme } from '@xterm/xterm';
import { FitAddon } from '@xterm/addon-fit';
import xtermCss from '@xterm/xterm/css/xterm.css?inline';

/** Who the keyboard and resizes go to: a Shell, or one running command. */
export interface TerminalHandler {
  input(data: string): void;
  resize(): void;
}

/**
 * The cursor blinks for this long after a key, an output or a focus, then holds still (as
 * GNOME Terminal's default blink timeout). xterm's blink is a CSS animation of colours that
 * restyles the page every frame (60 times a second, 60 ms of the page's thread a second
 * here): a tab left at a prompt should draw nothing.
 */
export const BLINK_MS = 10_000;

const THEME: ITheme = { background: '#16181d', foreground: '#e6e6e6', cursor: '#9cdcfe', selectionBackground: '#3a3f4b' };

/**
 * `<tabdock-terminal>`: an xterm.js terminal that fills its box (FitAddon, refitted when
 * the box changes size) and hands keys and resizes to its `handler`. It can be written
 * to before it is on the page (xterm buffers; the size is 80x24 until the first fit).
 * `dispose()` when it is done with; moving it in the page keeps it.
 */
export class TerminalView extends LitElement {
  static override styles = [
    unsafeCSS(xtermCss),
    css`
      :host { display: block; position: relative; min-height: 12rem; background: #16181d; border-radius: 6px; overflow: hidden; }
      .host { position: absolute; inset: 6px 0 6px 8px; }
    `,
  ];

  readonly term = new Terminal({
    fontFamily: 'ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace',
    fontSize: 14,
    cursorBlink: false, // blink() turns it on for BLINK_MS at a time
    scrollback: 5000,
    theme: THEME,
  });
  handler: TerminalHandler | undefined;
  private readonly fitter = new FitAddon();
  private observer: ResizeObserver | undefined;
  private opened = false;
  private focusWhenOpen = false;
  private blinkTimer: ReturnType<typeof setTimeout> | undefined;
  private disposed = false;

  constructor() {
    super();
    this.term.loadAddon(this.fitter);
    this.term.onData((d) => {
      this.blink();
      this.handler?.input(d);
    });

    this.term.onResize(() => this.handler?.resize());
  }

  override render() {
    return html`<div class="host"></div>`;
  }

  protected override firstUpdated(): void {
    this.term.open(this.renderRoot.querySelector('.host') as HTMLElement);
    this.term.textarea?.addEventListener('focus', () => this.blink());
    this.opened = true;
    this.observer = new ResizeObserver(() => this.fit());
    this.observer.observe(this);
    this.fit();
    if (this.focusWhenOpen) this.term.focus();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.observer?.disconnect();
  }

  override connectedCallback(): void {
    super.connectedCallback();
    if (this.opened) this.observer?.observe(this);
  }

  /** Fits rows and columns to the box; a hidden terminal (zero size) keeps its size. */
  fit(): void {
    if (!this.opened || this.clientWidth === 0 || this.clientHeight === 0) return;
    const d = this.fitter.proposeDimensions();
    if (d && Number.isFinite(d.cols) && Number.isFinite(d.rows) && (d.cols !== this.term.cols || d.rows !== this.term.rows)) this.fitter.fit();
  }

  write(s: string | Uint8Array): void {
    this.term.write(s);
    this.blink();
  }

  /** Whether the cursor blinks now (BLINK_MS after the last key, output or focus). */
  get blinking(): boolean {
    return this.term.options.cursorBlink === true;
  }

  private blink(): void {
    if (this.disposed) return;
    if (this.term.options.cursorBlink !== true) this.term.options.cursorBlink = true;
    clearTimeout(this.blinkTimer);
    this.blinkTimer = setTimeout(() => (this.term.options.cursorBlink = false), BLINK_MS);
  }

  size(): { cols: number; rows: number } {
    return { cols: this.term.cols, rows: this.term.rows };
  }

  override focus(): void {
    if (this.opened) this.term.focus();
    else this.focusWhenOpen = true;
  }

  /** Resolves when everything written so far has been drawn (xterm parses writes later). */
  settled(): Promise<void> {
    return new Promise((resolve) => this.term.write('', resolve));
  }

  /** The terminal's text, line by line (scrollback included), trailing blank lines dropped. */
  text(): string {
    const b = this.term.buffer.active;
    const lines: string[] = [];
    for (let i = 0; i < b.length; i++) lines.push(b.getLine(i)?.translateToString(true) ?? '');
    return lines.join('\n').replace(/\n+$/, '');
  }

  dispose(): void {
    this.disposed = true;
    clearTimeout(this.blinkTimer);
    this.observer?.disconnect();
    this.handler = undefined;
    this.term.dispose();
  }
}

customElements.define('tabdock-terminal', TerminalView);

declare global {
  interface HTMLElementTagNameMap {
    'tabdock-terminal': TerminalView;
  }
}
