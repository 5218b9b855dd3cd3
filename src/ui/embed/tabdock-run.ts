import { LitElement, css, html, nothing } from 'lit';
import type { BootStatus } from '../../engine/browser/events.ts';
import { dockerRunner, pageEngine, type BrowserEngine } from '../engine.ts';
import { humanSize } from '../../docker-cli/index.ts';
import { bootLabel } from '../model/boot-label.ts';
import { applyPullEvent, type PullRow } from '../model/pull-state.ts';
import { RunningCommand } from '../shell/running-command.ts';
import type { TerminalIo } from '../shell/terminal-io.ts';
import { quoteArgv } from '../shell/tokenize.ts';
import { TerminalView } from '../terminal/terminal-view.ts';
import { PullLineFilter } from './pull-lines.ts';
import { runArgv } from './run-argv.ts';

interface Chunk {
  text: string;
  err: boolean;
}

/**
 * `<tabdock-run image="busybox" cmd="echo hello">`: a runnable example for docs. A Run
 * button runs `docker run --rm [options] IMAGE [cmd]` in the page's engine (one worker
 * for every element on the page) and shows stdout, with stderr (pull progress, errors)
 * dimmed; the pull shows as one progress line (`verbose` shows docker's pull report
 * instead). With `interactive`, a terminal runs it with `-it`: keys go to the container.
 * `autorun` runs it when it comes into view. `proxy` and `assets` point the engine at
 * the CORS proxy and the guest files when they are not beside the script; the first
 * element on the page to run decides them.
 */
export class TabdockRun extends LitElement {
  static override properties = {
    image: { type: String },
    cmd: { type: String },
    options: { type: String },
    interactive: { type: Boolean },
    autorun: { type: Boolean },
    verbose: { type: Boolean },
    proxy: { type: String },
    assets: { type: String },
    running: { state: true },
    output: { state: true },
    status: { state: true },
    boot: { state: true },
    pulls: { state: true },
  };

  image = '';
  cmd: string | null = null;
  options: string | null = null;
  interactive = false;
  autorun = false;
  verbose = false;
  proxy: string | null = null;
  assets: string | null = null;
  running = false;
  output: Chunk[] = [];
  /** The last run's exit status, or a sentence when it could not start. */
  status: number | string | undefined;
  boot: BootStatus | undefined;
  pulls: PullRow[] = [];
  private view: TerminalView | undefined;
  private current: RunningCommand | undefined;
  private stopPre: (() => void) | undefined;
  private seen: IntersectionObserver | undefined;

  static override styles = css`
    :host { display: block; margin: 1rem 0; border: 1px solid #d0d7de; border-radius: 6px; overflow: hidden; font: 14px/1.4 system-ui, sans-serif; background: #fff; }
    header { display: flex; align-items: center; gap: 0.6rem; padding: 0.35rem 0.5rem; background: #f6f8fa; border-bottom: 1px solid #d0d7de; }
    code { flex: 1; font: 13px ui-monospace, Menlo, Consolas, monospace; overflow-x: auto; white-space: nowrap; color: #1f2328; }
    button { font: inherit; font-size: 13px; padding: 0.15rem 0.75rem; border-radius: 6px; border: 1px solid #1f883d; background: #1f883d; color: #fff; cursor: pointer; }
    button.stop { background: #fff; color: #b42318; border-color: #d0d7de; }
    pre { margin: 0; padding: 0.5rem 0.7rem; min-height: 1.4em; max-height: 24rem; overflow: auto; background: #16181d; color: #e6e6e6; font: 13px/1.45 ui-monospace, Menlo, Consolas, monospace; white-space: pre-wrap; word-break: break-word; }
    pre .err { color: #8b949e; }
    pre:empty::before { content: 'Press Run to run this example in your browser.'; color: #8b949e; }
    pre.idle { color: #8b949e; }
    tabdock-terminal { height: 20rem; border-radius: 0; }
    .note { padding: 0.25rem 0.7rem; font-size: 12px; color: #57606a; border-top: 1px solid #d0d7de; }
    .note.failed { color: #b42318; }
  `;

  private argv(): string[] {
    return runArgv({ image: this.image, cmd: this.cmd, options: this.options, interactive: this.interactive });
  }

  private engine(): BrowserEngine {
    return pageEngine({ ...(this.proxy ? { proxy: this.proxy } : {}), ...(this.assets ? { assets: this.assets } : {}) });
  }

  override connectedCallback(): void {
    super.connectedCallback();
    if (this.autorun && !this.seen) {
      this.seen = new IntersectionObserver((entries) => {
        if (!entries.some((e) => e.isIntersecting)) return;
        this.seen?.disconnect();
        if (!this.running && this.status === undefined) void this.run();
      });
      this.seen.observe(this);
    }
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.seen?.disconnect();
    this.seen = undefined;
  }

  override render() {
    let shown: string;
    try {
      shown = `docker ${quoteArgv(this.argv())}`;
    } catch (e) {
      return html`<div class="note failed" role="alert">tabdock-run: ${e instanceof Error ? e.message : String(e)}</div>`;
    }
    const boot = this.running && this.boot && this.boot.phase !== 'ready' ? bootLabel(this.boot).text : undefined;
    const pulling = this.running ? pullNote(this.pulls) : undefined;
    return html`
      <header>
        <code title=${shown}>$ ${shown}</code>
        ${this.running
          ? html`<button class="stop" @click=${this.stop}>Stop</button>`
          : html`<button @click=${this.run}>${this.status === undefined ? 'Run' : 'Run again'}</button>`}
      </header>
      ${this.interactive ? this.view ?? html`<pre class="idle">Press Run to start it in a terminal here.</pre>` : html`<pre>${this.output.map((c) => (c.err ? html`<span class="err">${c.text}</span>` : c.text))}</pre>`}
      ${pulling || boot ? html`<div class="note">${pulling ?? boot}</div>` : nothing}
      ${typeof this.status === 'string' ? html`<div class="note failed" role="alert">${this.status}</div>` : this.status ? html`<div class="note">exit status ${this.status}</div>` : nothing}
    `;
  }

  /** Runs the example (again); resolves with its exit status. */
  readonly run = async (): Promise<number | undefined> => {
    if (this.running) return undefined;
    let argv: string[];
    try {
      argv = this.argv();
    } catch (e) {
      this.status = e instanceof Error ? e.message : String(e);
      return undefined;
    }
    const engine = this.engine();
    this.running = true;
    this.status = undefined;
    this.output = [];
    this.pulls = [];
    const off = engine.subscribe((e) => {
      if (e.type === 'boot') this.boot = e.status;
      else this.pulls = applyPullEvent(this.pulls, e);
    });
    try {
      const code = this.interactive ? await this.runInTerminal(engine, argv) : await this.runToPre(engine, argv);
      this.status = code;
      return code;
    } finally {
      off();
      this.running = false;
      this.current = undefined;
      this.stopPre = undefined;
    }
  };

  private readonly stop = (): void => {
    this.current?.input.hangUp();
    this.stopPre?.();
  };

  private async runInTerminal(engine: BrowserEngine, argv: string[]): Promise<number> {
    this.view?.dispose();
    const view = document.createElement('tabdock-terminal');
    this.view = view;
    this.requestUpdate();
    await this.updateComplete;
    view.fit();
    view.focus();
    const cmd = new RunningCommand(view, dockerRunner(engine), argv);
    this.current = cmd;
    view.handler = { input: (d) => cmd.input.key(d), resize: () => cmd.input.resize() };
    const r = await cmd.done;
    view.handler = undefined;
    return r.status;
  }

  private async runToPre(engine: BrowserEngine, argv: string[]): Promise<number> {
    const decoders = { out: new TextDecoder(), err: new TextDecoder() };
    const pullLines = new PullLineFilter();
    const interrupts = new Set<() => void>();
    const add = (fd: 'out' | 'err') => (s: string | Uint8Array) => {
      let text = typeof s === 'string' ? s : decoders[fd].decode(s, { stream: true });
      if (fd === 'err' && !this.verbose) text = pullLines.push(text);
      this.addOutput(fd, text);
    };
    const io: TerminalIo = {
      out: add('out'),
      err: add('err'),
      isTTY: false,
      env: {},
      onInterrupt: (f) => {
        interrupts.add(f);
        return () => interrupts.delete(f);
      },
    };
    let stopped!: (n: number) => void;
    const stop = new Promise<number>((r) => (stopped = r));
    let presses = 0;
    // Stop is Ctrl-C: the container gets SIGINT; a second Stop stops waiting for it.
    this.stopPre = () => {
      interrupts.forEach((f) => f());
      if (++presses >= 2 || interrupts.size === 0) stopped(130);
    };
    try {
      return await Promise.race([dockerRunner(engine)(argv, io), stop]);
    } finally {
      this.addOutput('err', pullLines.flush());
    }
  }

  private addOutput(fd: 'out' | 'err', text: string): void {
    if (!text) return;
    const last = this.output[this.output.length - 1];
    this.output = last && last.err === (fd === 'err') ? [...this.output.slice(0, -1), { text: last.text + text, err: last.err }] : [...this.output, { text, err: fd === 'err' }];
  }
}

/** One line for the pulls under way: `Pulling busybox: 1.2MB of 2.1MB`. */
function pullNote(pulls: PullRow[]): string | undefined {
  const active = pulls.filter((p) => p.state === 'resolving' || p.state === 'pulling');
  if (active.length === 0) return undefined;
  // Bytes downloaded: a layer being extracted has all of its bytes (its own bar counts the
  // unpack from 0 again, which would make this line go back).
  const done = active.reduce((n, p) => n + p.layers.reduce((m, l) => m + (l.status === 'Extracting' ? l.total : l.done), 0), 0);
  const total = active.reduce((n, p) => n + p.layers.reduce((m, l) => m + l.total, 0), 0);
  return `Pulling ${active.map((p) => p.ref).join(', ')}${total ? `: ${humanSize(done)} of ${humanSize(total)}` : '…'}`;
}

customElements.define('tabdock-run', TabdockRun);

declare global {
  interface HTMLElementTagNameMap {
    'tabdock-run': TabdockRun;
  }
}
