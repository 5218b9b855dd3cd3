import { LitElement, css, html } from 'lit';
import type { ContainerSummary } from '../../engine/api.ts';
import type { ContainerEvent } from '../../engine/events.ts';
import type { BrowserEngine } from '../engine.ts';
import { groupByProject, type ComposeGroup } from '../model/compose-groups.ts';
import { containerStatus } from '../model/container-status.ts';
import { publishedPorts } from '../model/published-ports.ts';
import { previewUrl } from '../preview-bridge.ts';
import { openPreview, openTab, reportError, type LineRunner } from './panel-events.ts';
import { panelStyles } from './panel-styles.ts';
import { refresher } from './refresher.ts';

/** Container events after which the list shows the same as before. */
const LIST_UNCHANGED: ReadonlySet<ContainerEvent['action']> = new Set(['attach', 'resize', 'top', 'kill', 'exec_create', 'exec_start', 'exec_die']);

/** A project name as one shell word (compose's names need no quotes; a hand-set label may). */
const shellWord = (s: string) => (/^[\w.-]+$/.test(s) ? s : `'${s.replaceAll("'", "'\\''")}'`);

/**
 * `<tabdock-containers>`: every container (`ps -a`) with its status, and what can be
 * done with it: a terminal (`exec -it ... sh`) and logs in a tab of their own, stop, remove,
 * and an "open" link per published port (its preview URL, shown in the preview pane).
 * Containers of a Compose project (`com.docker.compose.project` label) are grouped under
 * the project's name, by service and number, with a `down` that runs
 * `docker compose -p NAME down` in the shell.
 */
export class ContainersPanel extends LitElement {
  static override properties = { engine: { attribute: false }, run: { attribute: false }, list: { state: true }, busy: { state: true }, note: { state: true } };
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
      .project { margin: 0.2rem 0 0.4rem; border: 1px solid #d0d7de; border-radius: 6px; padding: 0.2rem 0.4rem; }
      .project + .item, .item + .project, .project + .project { margin-top: 0.4rem; }
      .project header { display: flex; align-items: center; gap: 0.5rem; }
      .project h3 { font-size: 13px; margin: 0; flex: none; max-width: 50%; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
      .project .count { flex: 1; color: #57606a; font-size: 12px; }
      .project .item { padding-left: 0.6rem; border-left: 2px solid #d0d7de; }
      .project .item + .item { border-top: none; margin-top: 0.2rem; }
      .note { color: #9a6700; margin: 0.3rem 0 0; }
    `,
  ];

  engine: BrowserEngine | undefined;
  /** Where a project's `down` runs `docker compose -p NAME down` (the playground's shell). */
  run: LineRunner | undefined;
  /** Why a `down` did not run. */
  note = '';
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
    const grouped = list && groupByProject(list);
    return html`
      <h2>Containers</h2>
      ${this.note ? html`<p class="note" role="status">${this.note}</p>` : ''}
      ${grouped === undefined ? html`<p class="empty">Loading…</p>` : list!.length === 0 ? html`<p class="empty">No containers yet.</p>` : html`
        ${grouped.projects.map((g) => this.project(g))}
        ${grouped.others.map((c) => this.row(c))}`}
    `;
  }

  /** A Compose project: its name, how many of its containers run, `down`, and its containers. */
  private project(g: ComposeGroup) {
    const id = `project-${g.project.replace(/[^\w-]/g, '_')}`;
    const line = `docker compose -p ${shellWord(g.project)} down`;
    return html`
      <section class="project" role="group" aria-labelledby=${id} data-project=${g.project} data-running=${g.running} data-total=${g.total}>
        <header>
          <h3 id=${id} class="mono" title=${`Compose project ${g.project}`}>${g.project}</h3>
          <span class="count">${g.running} running / ${g.total} total</span>
          <span class="actions">
            <button class="danger down" aria-label=${`down: stop and remove project ${g.project}`} title=${`Run in the shell: ${line}`} @click=${() => this.down(line)}>down</button>
          </span>
        </header>
        ${g.members.map((m) => this.row(m.container, m.label))}
      </section>`;
  }

  /** `down` runs in the shell, where its output shows as if typed; not while a command runs there. */
  private down(line: string): void {
    const r = this.run?.(line);
    this.note = r === false ? 'The shell is running a command: down can run when its prompt is back.' : r === undefined ? 'This page has no shell to run down in.' : '';
  }

  /** One container; `label` is what it is shown as (a project's `web-1`; its name by default). */
  private row(c: ContainerSummary, label?: string) {
    const name = (c.Names[0] ?? c.Id.slice(0, 12)).replace(/^\//, '');
    const shown = label ?? name;
    const running = c.State === 'running';
    const busy = this.busy.has(c.Id);
    return html`
      <div class="item" data-id=${c.Id} data-name=${name} data-state=${c.State}>
        <div class="line">
          <span class="mono name" title=${`${name}\n${c.Id}`}>${shown}</span>
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
