import { LitElement, css, html } from 'lit';
import type { ContainerSummary } from '../../engine/api.ts';
import type { ContainerEvent } from '../../engine/events.ts';
import type { BrowserEngine } from '../engine.ts';
import { containerStatus } from '../model/container-status.ts';
import { publishedPorts } from '../model/published-ports.ts';
import { previewUrl } from '../preview-bridge.ts';
import { openPreview, openTab, reportError } from './panel-events.ts';
import { panelStyles } from './panel-styles.ts';
import { refresher } from './refresher.ts';

/** Container events after which the list shows the same as before. */
const LIST_UNCHANGED: ReadonlySet<ContainerEvent['action']> = new Set(['attach', 'resize', 'top', 'kill', 'exec_create', 'exec_start', 'exec_die']);

/**
 * `<tabdock-containers>`: every container (`ps -a`) with its status, and what can be
 * done with it: a terminal (`exec -it ... sh`) and logs in a tab of their own, stop, remove,
 * and an "open" link per published port (its preview URL, shown in the preview pane).
 */
export class ContainersPanel extends LitElement {
  static override properties = { engine: { attribute: false }, list: { state: true }, busy: { state: true } };
  static override styles = [
    panelStyles,
    css`
      .item { padding: 0.3rem 0.1rem; }
      .item + .item { border-top: 1px solid #eaeef2; }
      .line { display: flex; align-items: center; gap: 0.5rem; min-width: 0; }
      .line + .line { margin-top: 0.15rem; }
      .name { font-weight: 600; flex: none; max-width: 50%; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
      .image { color: #57606a; flex: 1; min-width: 0; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
      .status { flex: 1; color: #57606a; }
      .status.up { color: #1a7f37; }
      .ports { flex-wrap: wrap; gap: 0.6rem; }
      .ports a { font-size: 12px; }
    `,
  ];

  engine: BrowserEngine | undefined;
  /** The site root the preview URLs hang off (the playground's). */
  root: URL = new URL('./', document.baseURI);
  list: ContainerSummary[] | undefined;
  busy = new Set<string>();
  private off: (() => void) | undefined;
  /** "Up 5 seconds" ages: draw again now and then. */
  private clock: ReturnType<typeof setInterval> | undefined;
  private readonly refresh = refresher(async () => {
    try {
      this.list = await this.engine!.listContainers({ all: true });
    } catch (e) {
      reportError(this, e);
    }
  });

  override connectedCallback(): void {
    super.connectedCallback();
    if (!this.engine) return;
    this.off = this.engine.subscribe((e) => {
      // Create, start, exit (also on its own), remove: published by the engine, nothing polls.
      // Events that change nothing the list shows (a TTY's resize, top, exec, attach, a signal) are skipped.
      if (e.type === 'container' && !LIST_UNCHANGED.has(e.action)) this.refresh();
    });
    this.refresh();
    this.clock = setInterval(() => this.requestUpdate(), 10_000);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.off?.();
    clearInterval(this.clock);
  }

  override render() {
    const list = this.list;
    return html`
      <h2>Containers</h2>
      ${list === undefined ? html`<p class="empty">Loading…</p>` : list.length === 0 ? html`<p class="empty">No containers yet.</p>` : list.map((c) => this.row(c))}
    `;
  }

  private row(c: ContainerSummary) {
    const name = (c.Names[0] ?? c.Id.slice(0, 12)).replace(/^\//, '');
    const running = c.State === 'running';
    const busy = this.busy.has(c.Id);
    return html`
      <div class="item" data-id=${c.Id} data-name=${name} data-state=${c.State}>
        <div class="line">
          <span class="mono name" title=${`${name}\n${c.Id}`}>${name}</span>
          <span class="mono image" title=${c.Image}>${c.Image}</span>
        </div>
        ${running ? this.ports(c, name) : ''}
        <div class="line">
          <span class="status ${running ? 'up' : ''}">${containerStatus(c, new Date())}</span>
          <span class="actions">
            ${running ? html`<button title="Open a shell in the container (docker exec -it ${name} sh)" @click=${() => openTab(this, { kind: 'exec', id: c.Id, name, running })}>terminal</button>` : ''}
            <button title="docker logs ${name}" @click=${() => openTab(this, { kind: 'logs', id: c.Id, name, running })}>logs</button>
            ${running
              ? html`<button ?disabled=${busy} @click=${() => this.act(c.Id, () => this.engine!.stopContainer(c.Id))}>stop</button>`
              : html`<button class="danger" ?disabled=${busy} @click=${() => this.act(c.Id, () => this.engine!.removeContainer(c.Id, {}))}>remove</button>`}
          </span>
        </div>
      </div>`;
  }

  /** One "open" link per published TCP port (Docker's Ports / NetworkSettings.Ports). */
  private ports(c: ContainerSummary, name: string) {
    const ports = publishedPorts(c as Parameters<typeof publishedPorts>[0]);
    if (ports.length === 0) return '';
    return html`<div class="line ports">
      ${ports.map((p) => {
        const url = previewUrl(this.root, c.Id, p.containerPort);
        const label = `${name} :${p.containerPort}`;
        return html`<a class="open" href=${url} target="_blank" rel="noopener" data-port=${p.containerPort}
          title=${`Open port ${p.containerPort}${p.hostPort ? ` (published as ${p.hostPort})` : ''} in the preview`}
          @click=${(e: MouseEvent) => {
            if (e.ctrlKey || e.metaKey || e.shiftKey) return; // a new tab, as the browser does
            e.preventDefault();
            openPreview(this, { url, label });
          }}>open :${p.containerPort}${p.hostPort && p.hostPort !== p.containerPort ? html` <span class="mono">(${p.hostPort})</span>` : ''}</a>`;
      })}
    </div>`;
  }

  private async act(id: string, f: () => Promise<unknown>): Promise<void> {
    this.busy = new Set(this.busy).add(id);
    try {
      await f();
    } catch (e) {
      reportError(this, e);
    } finally {
      const b = new Set(this.busy);
      b.delete(id);
      this.busy = b;
      this.refresh();
    }
  }
}

customElements.define('tabdock-containers', ContainersPanel);
