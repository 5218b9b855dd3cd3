import { LitElement, css, html } from 'lit';
import { WEBSOCKET_SENTENCE } from '../../engine/browser/preview-protocol.ts';
import { panelStyles } from './panel-styles.ts';

/**
 * `<tabdock-preview-pane>`: a container's published port in an iframe, at its preview URL
 * (served by the preview Service Worker from this page's origin), with a link to open it
 * in a tab of its own and the one thing previews cannot carry: WebSockets.
 */
export class PreviewPane extends LitElement {
  static override properties = { url: {}, label: {} };
  static override styles = [
    panelStyles,
    css`
      :host { display: flex; flex-direction: column; min-height: 18rem; }
      .bar { display: flex; align-items: center; gap: 0.5rem; margin-bottom: 0.3rem; }
      .label { font-weight: 600; flex: 1; min-width: 0; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
      .note { color: #6e7781; font-size: 12px; margin: 0 0 0.3rem; }
      iframe { flex: 1; width: 100%; min-height: 16rem; border: 1px solid #d0d7de; border-radius: 4px; background: #fff; }
    `,
  ];

  url = '';
  label = '';

  override render() {
    return html`
      <div class="bar">
        <span class="label mono" title=${this.url}>${this.label}</span>
        <a href=${this.url} target="_blank" rel="noopener">open in a new tab</a>
        <button @click=${this.reload}>reload</button>
        <button aria-label="close preview" @click=${() => this.dispatchEvent(new CustomEvent('close'))}>×</button>
      </div>
      <p class="note">${WEBSOCKET_SENTENCE}</p>
      <iframe title=${`preview of ${this.label}`} src=${this.url}></iframe>
    `;
  }

  private readonly reload = () => {
    const f = this.renderRoot.querySelector('iframe');
    if (f) f.src = this.url;
  };
}

customElements.define('tabdock-preview-pane', PreviewPane);

declare global {
  interface HTMLElementTagNameMap {
    'tabdock-preview-pane': PreviewPane;
  }
}
