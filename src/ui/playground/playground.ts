import { LitElement, css, html } from 'lit';
import type { BootStatus } from '../../engine/browser/events.ts';
import { dockerRunner, pageEngine, type BrowserEngine } from '../engine.ts';
import { DEFAULT_MEMORY, guestMemoryProblem } from '../../shared/guest-memory.ts';
import { describeError, type ErrorView } from '../model/describe-error.ts';
import { autorunnable, commandFromUrl, shareUrl } from '../model/share-link.ts';
import { RunningCommand, type OutputTee } from '../shell/running-command.ts';
import { OutputCapture, type LineOutput } from '../shell/output-capture.ts';
import { PageFiles } from '../page-files.ts';
import { Shell } from '../shell/shell.ts';
import type { HistoryStore } from '../shell/history.ts';
import { TerminalView } from '../terminal/terminal-view.ts';
import type { OpenPreviewDetail, OpenTabDetail } from './panel-events.ts';
import { installPreviewBridge } from '../preview-bridge.ts';
import { ProjectStore } from '../project/project-store.ts';
import './preview-pane.ts';
import './boot-indicator.ts';
import './containers-panel.ts';
import './error-list.ts';
import './files-panel.ts';
import './images-panel.ts';
import './pull-progress.ts';

interface Tab {
  id: string;
  title: string;
  view: TerminalView;
  /** Ends what runs in the tab when it is closed (the shell's tab is never closed). */
  close?: () => void;
}

const HISTORY_KEY = 'tabdock.history';
/** The guest's memory chosen on this page (bytes), kept in localStorage; applied when the page loads. */
const MEMORY_KEY = 'tabdock.guest-memory';
const MIB = 1024 * 1024;
/** The choices the page offers (MiB); the first is the snapshot's, which restores in a second or two. */
const MEMORY_CHOICES = [256, 512, 1024, 2048];

/** The memory this page's guest is to have, if one other than the snapshot's was chosen. */
function chosenMemory(): number | undefined {
  try {
    const v = Number(localStorage.getItem(MEMORY_KEY));
    return v && v !== DEFAULT_MEMORY && guestMemoryProblem(v) === undefined ? v : undefined;
  } catch {
    return undefined;
  }
}
const MAX_ERRORS = 3;

const BANNER = [
  '\x1b[1mtabdock\x1b[0m: Docker in this browser tab.',
  'Images come from real registries; containers run in a Linux guest in this page.',
  "Try \x1b[1mdocker run -it busybox sh\x1b[0m, or type \x1b[1mhelp\x1b[0m.",
  '',
].join('\r\n');

/**
 * `<tabdock-playground>`: the page. A shell in a terminal (more tabs for `exec` shells
 * and logs), the guest's boot state, pulls with a bar per layer, the containers and
 * images panels, errors as sentences, a share link for the last command line, and reset.
 */
export class Playground extends LitElement {
  static override properties = { tabs: { state: true }, active: { state: true }, boot: { state: true }, errors: { state: true }, shareLine: { state: true }, preview: { state: true }, networkNotice: { state: true }, project: { state: true } };

  /** The guest's memory (the page's setting): other than the snapshot's boots the guest from scratch. */
  readonly memoryBytes = chosenMemory();
  readonly engine: BrowserEngine = pageEngine(this.memoryBytes !== undefined ? { memoryBytes: this.memoryBytes } : {});
  readonly shell: Shell;
  tabs: Tab[];
  active = 'shell';
  boot: BootStatus = { phase: 'idle' };
  errors: ErrorView[] = [];
  shareLine: string | undefined;
  /** The published port shown in the preview pane. */
  preview: OpenPreviewDetail | undefined;
  /** Said once when the page has no network relay (containers then have no egress). */
  networkNotice: string | undefined;
  /** The files panel's project (IndexedDB), once open: what `docker build` sends. */
  project: ProjectStore | undefined;
  /** Dropped files (`docker load -i NAME`) and downloads (`docker save -o NAME`). */
  private readonly files = new PageFiles();
  private readonly opening = ProjectStore.open();
  private readonly run = dockerRunner(this.engine, this.files, async () => (await this.opening).context());
  private readonly linkLine = commandFromUrl(location.href);
  private off: (() => void) | undefined;
  private tabCount = 0;

  constructor() {
    super();
    const view = document.createElement('tabdock-terminal');
    const offered = this.linkLine !== undefined && !autorunnable(this.linkLine);
    this.shell = new Shell({
      term: view,
      run: this.run,
      history: localHistory(),
      banner: BANNER + (offered ? "\r\n\x1b[33mThis link's command is at the prompt: read it, then press Enter to run it.\x1b[0m\r\n" : '') + '\r\n',
      onCommandLine: (line) => (this.shareLine = line),
    });
    view.handler = this.shell;
    this.tabs = [{ id: 'shell', title: 'shell', view }];
    this.opening.then((p) => (this.project = p), (e: unknown) => this.addError(e));
    this.shareLine = this.linkLine;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    // A file dropped on the page is kept under its name; a tar is loaded at once (`docker load -i NAME` at the prompt).
    this.addEventListener('dragover', this.onDragOver);
    this.addEventListener('drop', this.onDrop);
    this.off ??= this.engine.subscribe((e) => {
      if (e.type === 'boot') {
        this.boot = e.status;
        if (e.status.phase === 'failed' && e.status.error) this.addError(e.status.error);
      } else if (e.type === 'pull-done' && e.error) {
        this.addError(e.error);
      } else if (e.type === 'network' && 'available' in e && !e.available) {
        this.networkNotice ??= e.message;
      }
    });
  }

  private readonly onDragOver = (e: DragEvent): void => {
    if (e.dataTransfer?.types.includes('Files')) e.preventDefault();
  };

  private readonly onDrop = (e: DragEvent): void => {
    if (e.defaultPrevented) return; // the files panel took it
    const files = [...(e.dataTransfer?.files ?? [])];
    if (files.length === 0) return;
    e.preventDefault();
    for (const f of files) {
      this.files.add(f.name, f);
      if (/\.(tar|tar\.gz|tgz)$/i.test(f.name) && !this.shell.isBusy) void this.shell.submit(`docker load -i '${f.name.replaceAll("'", "'\\''")}'`);
    }
  };

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.removeEventListener('dragover', this.onDragOver);
    this.removeEventListener('drop', this.onDrop);
    this.off?.();
    this.off = undefined;
  }

  protected override firstUpdated(): void {
    this.shell.start();
    const line = this.linkLine;
    if (line !== undefined) {
      if (autorunnable(line)) void this.shell.submit(line);
      else this.shell.prefill(line);
    }
    this.tabs[0]!.view.focus();
    this.engine.bootStatus().then((s) => (this.boot = s), () => {});
    // Published ports open at preview URLs served by a Service Worker that asks this page.
    void installPreviewBridge({ has: (c) => this.engine.previewHas(c), serve: (req, port) => this.engine.previewServe(req, port as never) }, new URL('./', document.baseURI));
    // Restore the guest now, so that the first `docker run` does not wait for it.
    this.engine.warmUp().catch(() => {
      // A failed boot arrives as a 'boot' event with its error.
    });
  }

  /** A terminal tab's text (the shell's by default), for tests and for copying. */
  terminalText(index = 0): string {
    return this.tabs[index]?.view.text() ?? '';
  }

  /**
   * Runs a line in the shell as the panels' buttons do (shown as if typed, parsed and run
   * by the shell, kept in the history) and resolves with what its commands wrote to stdout
   * and to stderr, apart, and its exit status: the terminal shows both on one screen,
   * wrapped. False, and nothing done, while a command runs. For tests and for scripts that
   * drive the page.
   */
  runCaptured(line: string): Promise<LineOutput> | false {
    const capture = new OutputCapture();
    const r = this.runLine(line, capture.tee);
    return r === false ? false : r.then((status) => capture.result(status));
  }

  /** Resolves when what was written to a terminal tab is drawn (and in terminalText). */
  settled(index = 0): Promise<void> {
    return this.tabs[index]?.view.settled() ?? Promise.resolve();
  }

  static override styles = css`
    :host { display: grid; grid-template-rows: auto auto 1fr; height: 100vh; box-sizing: border-box; padding: 0.6rem 1rem 1rem; gap: 0.6rem; font: 14px/1.4 system-ui, sans-serif; color: #1f2328; background: #f6f8fa; }
    header { display: flex; align-items: center; gap: 1rem; flex-wrap: wrap; }
    h1 { font-size: 1.2rem; margin: 0; }
    h1 small { font-weight: normal; color: #57606a; font-size: 0.85rem; margin-left: 0.4rem; }
    .spacer { flex: 1; }
    a.share { font-size: 13px; }
    .notice { flex-basis: 100%; margin: 0; padding: 0.3rem 0.6rem; font-size: 13px; background: #fff8c5; border: 1px solid #d4a72c; border-radius: 6px; }
    button { font: inherit; font-size: 13px; padding: 0.2rem 0.6rem; border: 1px solid #d0d7de; border-radius: 6px; background: #fff; cursor: pointer; }
    button.reset { color: #b42318; }
    label.memory { font-size: 13px; color: #57606a; }
    label.memory select { font: inherit; margin-left: 0.3rem; }
    main { display: grid; grid-template-columns: minmax(0, 1fr) minmax(18rem, 26rem); gap: 0.8rem; min-height: 0; }
    .terminals { display: flex; flex-direction: column; min-height: 0; min-width: 0; }
    nav { display: flex; gap: 0.25rem; flex-wrap: wrap; }
    nav .tab { display: inline-flex; align-items: center; gap: 0.3rem; border: 1px solid #d0d7de; border-bottom: none; border-radius: 6px 6px 0 0; padding: 0.15rem 0.6rem; background: #eaeef2; cursor: pointer; font-size: 13px; }
    nav .tab[aria-selected='true'] { background: #16181d; color: #e6e6e6; border-color: #16181d; }
    nav .close { border: none; background: none; padding: 0 0.1rem; color: inherit; font-size: 15px; line-height: 1; }
    .pane { flex: 1; min-height: 0; display: flex; }
    .pane[hidden] { display: none; }
    .pane tabdock-terminal { flex: 1; border-top-left-radius: 0; }
    aside { display: flex; flex-direction: column; gap: 0.8rem; overflow: auto; min-height: 0; }
    aside > * { background: #fff; border: 1px solid #d0d7de; border-radius: 6px; padding: 0.5rem 0.6rem; }
    @media (max-width: 900px) {
      :host { height: auto; min-height: 100vh; }
      main { grid-template-columns: 1fr; }
      .pane { height: 60vh; flex: none; }
    }
  `;

  override render() {
    return html`
      <header>
        <h1>tabdock<small>Docker in a browser tab</small></h1>
        <tabdock-boot-indicator .status=${this.boot}></tabdock-boot-indicator>
        <span class="spacer"></span>
        ${this.shareLine ? html`<a class="share" href=${shareUrl(location.href, this.shareLine)} title=${`A link that runs: ${this.shareLine}`}>Link to this command</a>` : ''}
        <label class="memory" title="The guest's memory, shared by its containers. Other than 256 MiB boots the guest from scratch at each page load (slower) instead of restoring its snapshot.">Memory
          <select @change=${this.changeMemory} aria-label="guest memory">
            ${MEMORY_CHOICES.map((m) => html`<option value=${m * MIB} ?selected=${(this.memoryBytes ?? DEFAULT_MEMORY) === m * MIB}>${m >= 1024 ? `${m / 1024} GiB` : `${m} MiB`}</option>`)}
          </select>
        </label>
        <button class="reset" @click=${this.reset} title="Remove every image, container and volume this page keeps">Reset</button>
        ${this.networkNotice ? html`<p class="notice" role="status">${this.networkNotice} <button @click=${() => (this.networkNotice = '')}>dismiss</button></p>` : ''}
      </header>
      <tabdock-errors .errors=${this.errors} @dismiss=${(e: CustomEvent<ErrorView[]>) => (this.errors = e.detail)}></tabdock-errors>
      <main @tabdock-open=${(e: CustomEvent<OpenTabDetail>) => void this.openTab(e.detail)} @tabdock-preview=${(e: CustomEvent<OpenPreviewDetail>) => (this.preview = e.detail)} @tabdock-error=${(e: CustomEvent<unknown>) => this.addError(e.detail)}>
        <section class="terminals">
          <nav role="tablist">
            ${this.tabs.map((t) => html`
              <span class="tab" role="tab" aria-selected=${t.id === this.active ? 'true' : 'false'} data-tab=${t.id} @click=${() => this.select(t.id)}>
                ${t.title}${t.close ? html`<button class="close" aria-label="close ${t.title}" @click=${(e: Event) => (e.stopPropagation(), this.closeTab(t))}>×</button>` : ''}
              </span>`)}
          </nav>
          ${this.tabs.map((t) => html`<div class="pane" role="tabpanel" data-tab=${t.id} ?hidden=${t.id !== this.active}>${t.view}</div>`)}
          ${this.preview ? html`<tabdock-preview-pane .url=${this.preview.url} .label=${this.preview.label} @close=${() => (this.preview = undefined)}></tabdock-preview-pane>` : ''}
        </section>
        <aside>
          <tabdock-files .project=${this.project} .run=${this.runLine}></tabdock-files>
          <tabdock-pull-progress .engine=${this.engine}></tabdock-pull-progress>
          <tabdock-containers .engine=${this.engine} .run=${this.runLine}></tabdock-containers>
          <tabdock-images .engine=${this.engine}></tabdock-images>
        </aside>
      </main>
    `;
  }

  /** The files panel's Build, a project's down and runCaptured: the line runs in the shell, shown as if typed. */
  private readonly runLine = (line: string, tee?: OutputTee): Promise<number> | false => {
    const r = this.shell.runLine(line, tee);
    if (r !== false) void this.select('shell');
    return r;
  };

  private addError(e: unknown): void {
    const v = describeError(e);
    if (this.errors[0]?.sentence === v.sentence) return;
    this.errors = [v, ...this.errors].slice(0, MAX_ERRORS);
  }

  private async select(id: string): Promise<void> {
    this.active = id;
    await this.updateComplete;
    const view = this.tabs.find((t) => t.id === id)?.view;
    view?.fit();
    view?.focus();
  }

  /** A tab running one command: `exec -it ID sh` (a shell in the container) or `logs [-f] ID`. */
  private async openTab(d: OpenTabDetail): Promise<void> {
    const view = document.createElement('tabdock-terminal');
    const argv = d.kind === 'exec' ? ['exec', '-it', d.id, 'sh'] : ['logs', ...(d.running ? ['-f'] : []), d.id];
    const tab: Tab = { id: `${d.kind}-${++this.tabCount}`, title: d.kind === 'exec' ? `sh: ${d.name}` : `logs: ${d.name}`, view };
    this.tabs = [...this.tabs, tab];
    // Shown and fitted first: exec takes the terminal's size when it starts.
    await this.select(tab.id);
    view.write(`\x1b[2m$ docker ${argv.map((a) => (a === d.id ? d.name : a)).join(' ')}\x1b[0m\r\n`);
    const cmd = new RunningCommand(view, this.run, argv);
    view.handler = { input: (data) => cmd.input.key(data), resize: () => cmd.input.resize() };
    tab.close = () => cmd.input.hangUp();
    this.requestUpdate();
    const r = await cmd.done;
    if (r.abandoned === 'hangup') return;
    view.handler = undefined;
    view.write(`\r\n\x1b[2m[${d.kind === 'exec' ? 'shell' : 'logs'} ended${r.status ? `, status ${r.status}` : ''}]\x1b[0m\r\n`);
  }

  private closeTab(t: Tab): void {
    t.close?.();
    t.view.dispose();
    this.tabs = this.tabs.filter((x) => x !== t);
    if (this.active === t.id) void this.select('shell');
  }

  /** A new memory for the guest: kept, then the page reloads (the guest is made with it then). */
  private readonly changeMemory = (e: Event): void => {
    const select = e.target as HTMLSelectElement;
    const bytes = Number(select.value);
    if (!confirm(`The guest gets ${select.selectedOptions[0]?.text ?? bytes} of memory after the page reloads; running containers stop (images, containers and volumes are kept).${bytes === DEFAULT_MEMORY ? '' : ' With other memory than 256 MiB the guest boots from scratch at each load, which takes longer than restoring its snapshot.'} Reload now?`)) {
      select.value = String(this.memoryBytes ?? DEFAULT_MEMORY);
      return;
    }
    try {
      if (bytes === DEFAULT_MEMORY) localStorage.removeItem(MEMORY_KEY);
      else localStorage.setItem(MEMORY_KEY, String(bytes));
    } catch (err) {
      this.addError(err);
      return;
    }
    location.reload();
  };

  private readonly reset = async (): Promise<void> => {
    if (!confirm('Reset removes every image, container and volume this page keeps, and the shell history, then reloads the page. Reset now?')) return;
    try {
      await this.engine.reset();
      try {
        localStorage.removeItem(HISTORY_KEY);
      } catch {
        // storage disabled: nothing kept
      }
      // Without a ?run= link's command: it is not run (or offered) again on an empty page.
      location.replace(location.pathname);
    } catch (e) {
      this.addError(e);
    }
  };
}

/** The shell's history in localStorage (nothing kept where storage is disabled). */
function localHistory(): HistoryStore {
  return {
    load: () => {
      try {
        const v: unknown = JSON.parse(localStorage.getItem(HISTORY_KEY) ?? '[]');
        return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
      } catch {
        return [];
      }
    },
    save: (entries) => {
      try {
        localStorage.setItem(HISTORY_KEY, JSON.stringify(entries));
      } catch {
        // storage full or disabled: the history lives for this page only
      }
    },
  };
}

customElements.define('tabdock-playground', Playground);

declare global {
  interface HTMLElementTagNameMap {
    'tabdock-playground': Playground;
  }
}
