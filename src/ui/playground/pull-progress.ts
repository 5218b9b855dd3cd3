import { LitElement, css, html } from 'lit';
import { humanSize } from '../../docker-cli/index.ts';
import type { BrowserEngine } from '../engine.ts';
import { describeError } from '../model/describe-error.ts';
import { applyPullEvent, type LayerRow, type PullRow } from '../model/pull-state.ts';
import { panelStyles } from './panel-styles.ts';

/**
 * `<tabdock-pull-progress>`: every pull on the page (the shell's, an embed's), newest
 * first, with a bar per layer as docker draws them; a failed pull keeps its sentence.
 */
export class PullProgress extends LitElement {
  static override properties = { engine: { attribute: false }, pulls: { state: true } };
  static override styles = [
    panelStyles,
    css`
      .pull + .pull { margin-top: 0.6rem; }
      .ref { font-weight: 600; }
      .state { color: #57606a; }
      .failed { color: #b42318; }
      .layer { display: grid; grid-template-columns: 6.5rem 1fr 9.5rem; gap: 0.4rem; align-items: center; }
      progress { width: 100%; height: 0.7rem; }
      .what { font-size: 11px; color: #57606a; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
    `,
  ];

  engine: BrowserEngine | undefined;
  pulls: PullRow[] = [];
  private off: (() => void) | undefined;

  override connectedCallback(): void {
    super.connectedCallback();
    this.off = this.engine?.subscribe((e) => {
      this.pulls = applyPullEvent(this.pulls, e);
    });
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.off?.();
  }

  override render() {
    if (this.pulls.length === 0) return html`<h2>Pulls</h2><p class="empty">Nothing pulled since the page loaded.</p>`;
    return html`<h2>Pulls</h2>${this.pulls.map((p) => this.pull(p))}`;
  }

  private pull(p: PullRow) {
    const state = p.state === 'resolving' ? 'resolving…' : p.state === 'pulling' ? 'pulling' : p.state === 'done' ? 'done' : 'failed';
    return html`
      <div class="pull" data-ref=${p.ref} data-state=${p.state}>
        <div><span class="ref mono">${p.ref}</span> <span class="state">${p.platform ? `(${p.platform}) ` : ''}${state}</span></div>
        ${p.error ? html`<div class="failed">${describeError(p.error).sentence}</div>` : ''}
        ${p.layers.map((l) => this.layer(l))}
      </div>`;
  }

  private layer(l: LayerRow) {
    const bytes = l.total ? `${humanSize(l.done)}/${humanSize(l.total)}` : '';
    return html`
      <div class="layer" data-layer=${l.id}>
        <span class="mono">${l.id}</span>
        <progress max=${Math.max(1, l.total)} value=${l.done}></progress>
        <span class="what" title=${`${l.status} ${bytes}`}>${l.status}${l.status === 'Downloading' || l.status === 'Extracting' ? ` ${bytes}` : ''}</span>
      </div>`;
  }
}

customElements.define('tabdock-pull-progress', PullProgress);
