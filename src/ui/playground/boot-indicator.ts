import { LitElement, css, html } from 'lit';
import type { BootStatus } from '../../engine/browser/events.ts';
import { bootLabel } from '../model/boot-label.ts';

/** `<tabdock-boot-indicator>`: the Linux guest's state as a dot, words and a bar while it downloads. */
export class BootIndicator extends LitElement {
  static override properties = { status: { attribute: false } };
  static override styles = css`
    :host { display: inline-flex; align-items: center; gap: 0.4rem; font: 13px system-ui, sans-serif; }
    .dot { width: 0.6rem; height: 0.6rem; border-radius: 50%; background: #8c959f; flex: none; }
    .busy .dot { background: #d4a72c; animation: pulse 1s ease-in-out infinite alternate; }
    .ready .dot { background: #2da44e; }
    .failed .dot { background: #cf222e; }
    .failed { color: #b42318; }
    span { display: inline-flex; align-items: center; gap: 0.4rem; }
    progress { width: 6rem; height: 0.6rem; }
    @keyframes pulse { from { opacity: 0.4; } to { opacity: 1; } }
  `;

  status: BootStatus = { phase: 'idle' };

  override render() {
    const l = bootLabel(this.status);
    return html`<span class=${l.tone} data-phase=${this.status.phase} role="status"><i class="dot"></i>${l.text}${l.fraction !== undefined ? html`<progress max="1" value=${l.fraction}></progress>` : ''}</span>`;
  }
}

customElements.define('tabdock-boot-indicator', BootIndicator);
