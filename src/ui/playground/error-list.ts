import { LitElement, css, html } from 'lit';
import type { ErrorView } from '../model/describe-error.ts';

/** `<tabdock-errors>`: what went wrong, newest first, as a headline and a sentence each; dismissable. */
export class ErrorList extends LitElement {
  static override properties = { errors: { attribute: false } };
  static override styles = css`
    :host { display: block; font: 13px/1.4 system-ui, sans-serif; }
    .error { display: flex; gap: 0.5rem; align-items: flex-start; background: #fff1f0; border: 1px solid #ffccc7; color: #7a1f16; border-radius: 6px; padding: 0.45rem 0.6rem; }
    .error + .error { margin-top: 0.4rem; }
    .text { flex: 1; }
    strong { display: block; }
    button { border: none; background: none; font-size: 16px; line-height: 1; cursor: pointer; color: inherit; }
  `;

  errors: ErrorView[] = [];

  override render() {
    return this.errors.map((e, i) => html`
      <div class="error" role="alert" data-code=${e.code}>
        <div class="text"><strong>${e.headline}</strong><span class="sentence">${e.sentence}</span></div>
        <button aria-label="dismiss" @click=${() => this.dismiss(i)}>×</button>
      </div>`);
  }

  private dismiss(i: number): void {
    this.errors = this.errors.filter((_, j) => j !== i);
    this.dispatchEvent(new CustomEvent('dismiss', { detail: this.errors }));
  }
}

customElements.define('tabdock-errors', ErrorList);
