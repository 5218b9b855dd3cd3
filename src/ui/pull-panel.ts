import { LitElement, css, html } from 'lit';
import { RegistryClient, parseReference, parsePlatform, formatPlatform, type ResolvedImage } from '../registry-client/index.ts';

interface LayerRow {
  id: string;
  done: number;
  total: number;
  state: 'waiting' | 'downloading' | 'verified' | 'failed';
}

/**
 * Today's page: pulls an image's manifest, config and layers through the CORS proxy and
 * verifies every byte in the browser, with a progress bar per layer. The playground
 * (terminal, worker, containers) replaces it; the registry client it uses stays.
 */
export class PullPanel extends LitElement {
  static override properties = { ref: { state: true }, platform: { state: true }, rows: { state: true }, status: { state: true }, error: { state: true }, busy: { state: true } };
  static override styles = css`
    :host { display: block; font: 14px/1.4 system-ui, sans-serif; max-width: 52rem; margin: 2rem auto; }
    form { display: flex; gap: 0.5rem; }
    input { flex: 1; font: inherit; padding: 0.3rem; }
    .row { display: grid; grid-template-columns: 8rem 1fr 10rem; gap: 0.5rem; align-items: center; font-family: monospace; }
    progress { width: 100%; }
    .error { color: #b00020; white-space: pre-wrap; }
  `;

  ref = 'busybox';
  platform = 'linux/386';
  rows: LayerRow[] = [];
  status = '';
  error = '';
  busy = false;
  private readonly client = new RegistryClient({ proxy: new URL('/proxy', location.href).toString() });

  override render() {
    return html`
      <h1>tabdock</h1>
      <p>Docker in a browser tab. The playground is being built; today this page pulls an image through the CORS proxy and verifies every layer's digest in your browser.</p>
      <form @submit=${this.onSubmit}>
        <input aria-label="image reference" .value=${this.ref} @input=${(e: Event) => (this.ref = (e.target as HTMLInputElement).value)} />
        <input aria-label="platform" style="flex:0 0 8rem" .value=${this.platform} @input=${(e: Event) => (this.platform = (e.target as HTMLInputElement).value)} />
        <button ?disabled=${this.busy}>Pull</button>
      </form>
      <p class="status">${this.status}</p>
      ${this.error ? html`<p class="error" role="alert">${this.error}</p>` : ''}
      ${this.rows.map((r) => html`<div class="row"><span>${r.id}</span><progress max=${r.total} value=${r.done}></progress><span>${r.state} ${size(r.done)}/${size(r.total)}</span></div>`)}
    `;
  }

  private async onSubmit(e: Event) {
    e.preventDefault();
    this.busy = true;
    this.error = '';
    this.rows = [];
    try {
      const ref = parseReference(this.ref);
      this.status = `Resolving ${ref.familiar()}…`;
      const img: ResolvedImage = await this.client.resolve(ref, { platform: parsePlatform(this.platform) });
      await this.client.fetchConfig(img);
      this.rows = img.manifest.layers.map((l) => ({ id: l.digest.short, done: 0, total: l.size, state: 'waiting' }));
      this.status = `${ref.familiar()} (${formatPlatform(img.platform)}) — Digest: ${img.digest}`;
      await Promise.all(img.manifest.layers.map(async (l, i) => {
        const row = this.rows[i]!;
        row.state = 'downloading';
        const stream = this.client.openBlob(img, l, { onProgress: (done) => { row.done = done; this.requestUpdate(); } });
        try {
          await stream.pipeTo(new WritableStream());
          row.state = 'verified';
        } catch (err) {
          row.state = 'failed';
          throw err;
        } finally {
          this.requestUpdate();
        }
      }));
      this.status += ' — every layer verified';
    } catch (err) {
      this.status = '';
      this.error = err instanceof Error ? err.message : String(err);
    } finally {
      this.busy = false;
    }
  }
}

function size(n: number): string {
  return n < 1000 ? `${n} B` : n < 1e6 ? `${(n / 1e3).toFixed(1)} kB` : `${(n / 1e6).toFixed(1)} MB`;
}

customElements.define('tabdock-pull-panel', PullPanel);
