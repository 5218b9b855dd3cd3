import { LitElement, html } from 'lit';
import type { ImageSummary } from '../../engine/api.ts';
import { humanSize } from '../../docker-cli/index.ts';
import type { BrowserEngine } from '../engine.ts';
import { reportError } from './panel-events.ts';
import { panelStyles } from './panel-styles.ts';
import { refresher } from './refresher.ts';

/** `<tabdock-images>`: the stored images (`docker images`) with their size, and remove. */
export class ImagesPanel extends LitElement {
  static override properties = { engine: { attribute: false }, list: { state: true }, busy: { state: true } };
  static override styles = panelStyles;

  engine: BrowserEngine | undefined;
  list: ImageSummary[] | undefined;
  busy = new Set<string>();
  private off: (() => void) | undefined;
  private readonly refresh = refresher(async () => {
    try {
      this.list = await this.engine!.listImages();
    } catch (e) {
      reportError(this, e);
    }
  });

  override connectedCallback(): void {
    super.connectedCallback();
    if (!this.engine) return;
    this.off = this.engine.subscribe((e) => {
      if (e.type === 'image') this.refresh();
    });
    this.refresh();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.off?.();
  }

  override render() {
    const list = this.list;
    return html`
      <h2>Images</h2>
      ${list === undefined ? html`<p class="empty">Loading…</p>` : list.length === 0 ? html`<p class="empty">No images yet: <code>docker pull busybox</code>.</p>` : html`
        <table>
          <tr><th>Repository:tag</th><th>Size</th><th></th></tr>
          ${list.map((i) => {
            const name = i.repoTags[0] ?? '<none>';
            const ref = i.repoTags[0] ?? i.id;
            return html`
              <tr data-id=${i.id}>
                <td class="mono" style="word-break: break-all" title=${`${i.id}\n${i.platform}`}>${name}${i.repoTags.length > 1 ? html` <small>+${i.repoTags.length - 1}</small>` : ''}</td>
                <td class="nowrap">${humanSize(i.size)}</td>
                <td class="actions"><button class="danger" ?disabled=${this.busy.has(i.id)} @click=${() => this.removeImage(i.id, ref)}>remove</button></td>
              </tr>`;
          })}
        </table>`}
    `;
  }

  private async removeImage(id: string, ref: string): Promise<void> {
    this.busy = new Set(this.busy).add(id);
    try {
      await this.engine!.removeImage(ref, {});
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

customElements.define('tabdock-images', ImagesPanel);
