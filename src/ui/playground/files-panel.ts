import { LitElement, css, html } from 'lit';
import { TabdockError } from '../../shared/errors.ts';
import { droppedFiles, pickedFolder, textOf, type PickedFile } from '../project/dropped-files.ts';
import { MAX_PROJECT_BYTES, type ProjectStore } from '../project/project-store.ts';
import { reportError, type LineRunner } from './panel-events.ts';
import { panelStyles } from './panel-styles.ts';

/**
 * `<tabdock-files>`: the project `docker build` sends from this page (project/). Lists the
 * files, edits the one selected in place (saved as it is typed), new file, rename, delete,
 * the executable bit; files or a folder dropped on the panel (or picked) are added. Build
 * runs `docker build -t TAG .` in the shell, where its output shows as if typed.
 */
export class FilesPanel extends LitElement {
  static override properties = { project: { attribute: false }, run: { attribute: false }, selected: { state: true }, tag: { state: true }, dragging: { state: true }, note: { state: true }, version: { state: true } };
  static override styles = [
    panelStyles,
    css`
      :host([dragging]) { outline: 2px dashed #0969da; outline-offset: 2px; }
      .tools, .buildbar { display: flex; gap: 0.3rem; align-items: center; flex-wrap: wrap; }
      ul { list-style: none; margin: 0.4rem 0; padding: 0; max-height: 10rem; overflow: auto; }
      li { display: flex; align-items: center; gap: 0.3rem; padding: 0.1rem 0.2rem; border-radius: 4px; }
      li[aria-selected='true'] { background: #ddf4ff; }
      li .name { flex: 1; min-width: 0; text-align: left; border: none; background: none; padding: 0.1rem 0; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
      li .size { color: #6e7781; font-size: 11px; }
      li label { font-size: 11px; color: #57606a; display: inline-flex; align-items: center; }
      textarea { box-sizing: border-box; width: 100%; min-height: 9rem; resize: vertical; font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 12px; tab-size: 4; }
      .editing { font-size: 11px; color: #57606a; margin: 0.2rem 0; }
      .buildbar { margin-top: 0.4rem; }
      .buildbar input { font: inherit; font-size: 12px; width: 8rem; padding: 0.1rem 0.3rem; border: 1px solid #d0d7de; border-radius: 4px; }
      .buildbar button.build { font-weight: 600; color: #fff; background: #1f883d; border-color: #1a7f37; }
      .note { color: #9a6700; margin: 0.3rem 0 0; }
      .hint { color: #6e7781; margin: 0.3rem 0 0; font-size: 12px; }
      input[type='file'] { display: none; }
    `,
  ];

  project: ProjectStore | undefined;
  /** Where Build runs `docker build -t TAG .` (the playground's shell). */
  run: LineRunner | undefined;
  /** The file in the editor. */
  selected: string | undefined;
  /** The image name Build gives (`-t`). */
  tag = 'app';
  dragging = false;
  /** Why Build did not run, or what a drop did. */
  note = '';
  /** Bumped on every change to the project, to draw again. */
  version = 0;
  /** What the editor shows: the text being typed, ahead of the store while saves are pending. */
  private draft: { path: string; text: string } | undefined;
  private pending = 0;
  private off: (() => void) | undefined;
  private watching: ProjectStore | undefined;

  override connectedCallback(): void {
    super.connectedCallback();
    this.addEventListener('dragover', this.onDragOver);
    this.addEventListener('dragleave', this.onDragLeave);
    this.addEventListener('drop', this.onDrop);
    if (this.project !== this.watching) this.requestUpdate(); // back in the page: watch the project again
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.removeEventListener('dragover', this.onDragOver);
    this.removeEventListener('dragleave', this.onDragLeave);
    this.removeEventListener('drop', this.onDrop);
    this.off?.();
    this.off = undefined;
    this.watching = undefined;
  }

  protected override willUpdate(): void {
    if (this.project !== this.watching) {
      this.off?.();
      this.watching = this.project;
      this.off = this.project?.onChange(() => this.changed());
      this.changed();
    }
  }

  /** Resolves once every edit typed so far is stored. */
  async flush(): Promise<void> {
    await this.project?.settled();
  }

  private changed(): void {
    const p = this.project;
    if (!p) return;
    if (this.selected === undefined || !p.get(this.selected)) this.selected = p.get('Dockerfile') ? 'Dockerfile' : p.list()[0]?.path;
    // Another tab's edit reaches the editor only when nothing typed here is still being saved.
    if (this.pending === 0) this.draft = undefined;
    this.version++;
  }

  override render() {
    const p = this.project;
    if (!p) return html`<h2>Files</h2><p class="empty">Opening the project…</p>`;
    const files = p.list();
    const sel = this.selected !== undefined ? p.get(this.selected) : undefined;
    const text = sel ? (this.draft?.path === sel.path ? this.draft.text : textOf(sel.bytes)) : undefined;
    return html`
      <h2>Files</h2>
      <div class="tools">
        <button @click=${this.newFile}>New file</button>
        <button @click=${() => this.renderRoot.querySelector<HTMLInputElement>('input.files')!.click()}>Add files</button>
        <button @click=${() => this.renderRoot.querySelector<HTMLInputElement>('input.folder')!.click()}>Add folder</button>
        <input class="files" type="file" multiple @change=${(e: Event) => this.picked(e, false)}>
        <input class="folder" type="file" webkitdirectory @change=${(e: Event) => this.picked(e, true)}>
      </div>
      ${files.length === 0 ? html`<p class="empty">No files: add a Dockerfile (New file), or drop files or a folder here.</p>` : html`
        <ul role="listbox" aria-label="project files">
          ${files.map((f) => html`
            <li role="option" data-path=${f.path} aria-selected=${f.path === this.selected ? 'true' : 'false'}>
              <button class="name mono" title=${`${f.path} (mode ${f.mode.toString(8).padStart(4, '0')})`} @click=${() => this.select(f.path)}>${f.path}</button>
              <span class="size">${f.bytes.length} B</span>
              <label title="executable (mode 0755)"><input type="checkbox" aria-label=${`executable ${f.path}`} .checked=${(f.mode & 0o111) !== 0} @change=${(e: Event) => this.act(p.setExecutable(f.path, (e.target as HTMLInputElement).checked))}>x</label>
              <button aria-label=${`rename ${f.path}`} @click=${() => this.rename(f.path)}>rename</button>
              <button class="danger" aria-label=${`delete ${f.path}`} @click=${() => this.deleteFile(f.path)}>delete</button>
            </li>`)}
        </ul>`}
      ${sel ? html`
        <p class="editing mono">${sel.path} · ${sel.mode.toString(8).padStart(4, '0')}</p>
        ${text !== undefined
          ? html`<textarea aria-label=${`contents of ${sel.path}`} spellcheck="false" .value=${text} @input=${(e: Event) => this.edited(sel.path, (e.target as HTMLTextAreaElement).value)}></textarea>`
          : html`<p class="empty">A binary file (${sel.bytes.length} bytes): not editable here.</p>`}` : ''}
      <form class="buildbar" @submit=${this.onBuild}>
        <label>Tag <input name="tag" aria-label="image name" .value=${this.tag} @input=${(e: Event) => (this.tag = (e.target as HTMLInputElement).value)}></label>
        <button class="build" type="submit">Build</button>
      </form>
      ${this.note ? html`<p class="note" role="status">${this.note}</p>` : ''}
      <p class="hint">Drop files or a folder here. <code>docker build -t app .</code> in the shell builds this project too, and <code>docker compose up -d</code> runs its compose.yaml.</p>
    `;
  }

  private select(path: string): void {
    this.selected = path;
    if (this.pending === 0) this.draft = undefined;
  }

  /** Saves as typed: every change is written (in order: the store's transactions are). */
  private edited(path: string, text: string): void {
    this.draft = { path, text };
    this.pending++;
    this.project!.write(path, new TextEncoder().encode(text))
      .catch((e: unknown) => reportError(this, e))
      .finally(() => this.pending--);
  }

  private act(work: Promise<unknown>): void {
    work.catch((e: unknown) => reportError(this, e));
  }

  private readonly newFile = async (): Promise<void> => {
    const name = prompt('New file (a path in the project, such as src/app.sh):');
    if (!name) return;
    try {
      const [path] = await this.project!.add([{ path: name, bytes: new Uint8Array(), mode: 0o644 }]);
      this.select(path!);
    } catch (e) {
      reportError(this, e);
    }
  };

  private async rename(path: string): Promise<void> {
    const to = prompt(`Rename ${path} to:`, path);
    if (!to || to === path) return;
    await this.flush();
    try {
      const now = await this.project!.rename(path, to);
      if (this.selected === path) this.select(now);
    } catch (e) {
      reportError(this, e);
    }
  }

  private async deleteFile(path: string): Promise<void> {
    if (!confirm(`Delete ${path} from the project?`)) return;
    await this.flush();
    this.act(this.project!.remove(path));
  }

  private readonly onBuild = async (e: Event): Promise<void> => {
    e.preventDefault();
    await this.flush();
    const tag = this.tag.trim() || 'app';
    const quoted = /^[\w./:@-]+$/.test(tag) ? tag : `'${tag.replaceAll("'", "'\\''")}'`;
    const r = this.run?.(`docker build -t ${quoted} .`);
    this.note = r === false ? 'The shell is running a command: Build can run when its prompt is back.' : '';
  };

  private readonly onDragOver = (e: DragEvent): void => {
    if (!e.dataTransfer?.types.includes('Files')) return;
    // Ours: the page's own drop (docker load) is for drops elsewhere.
    e.preventDefault();
    e.stopPropagation();
    e.dataTransfer.dropEffect = 'copy';
    this.setDragging(true);
  };

  private readonly onDragLeave = (e: DragEvent): void => {
    // dragleave also fires when moving between the panel's own children: only leaving its box counts.
    const r = this.getBoundingClientRect();
    if (e.clientX <= r.left || e.clientX >= r.right || e.clientY <= r.top || e.clientY >= r.bottom) this.setDragging(false);
  };

  private readonly onDrop = (e: DragEvent): void => {
    this.setDragging(false);
    if (!e.dataTransfer || !this.project) return;
    e.preventDefault();
    e.stopPropagation();
    void this.addPicked(droppedFiles(e.dataTransfer));
  };

  private picked(e: Event, folder: boolean): void {
    const input = e.target as HTMLInputElement;
    const files = [...(input.files ?? [])];
    input.value = '';
    void this.addPicked(Promise.resolve(folder ? pickedFolder(files) : files.map((file) => ({ path: file.name, file }))));
  }

  private async addPicked(picking: Promise<PickedFile[]>): Promise<void> {
    try {
      const picked = await picking;
      const p = this.project!;
      const bytes = picked.reduce((n, f) => n + f.file.size, 0);
      // Refused before reading them: a dropped folder may be far larger than a project.
      if (p.totalBytes + bytes > MAX_PROJECT_BYTES) {
        throw new TabdockError('STORE_FULL', `these ${picked.length} files hold ${(bytes / 1024 / 1024).toFixed(1)} MiB, over the ${MAX_PROJECT_BYTES / 1024 / 1024} MiB the files panel keeps: drop a smaller folder, or delete files first`, { bytes, limit: MAX_PROJECT_BYTES });
      }
      const files = await Promise.all(picked.map(async (f) => ({ path: f.path, bytes: new Uint8Array(await f.file.arrayBuffer()), mtime: f.file.lastModified })));
      const paths = await p.add(files);
      this.note = `Added ${paths.length} file${paths.length === 1 ? '' : 's'}.`;
      const shown = paths.includes('Dockerfile') ? 'Dockerfile' : paths[0];
      if (shown !== undefined) this.select(shown);
    } catch (e) {
      reportError(this, e);
    }
  }

  private setDragging(on: boolean): void {
    this.dragging = on;
    this.toggleAttribute('dragging', on);
  }
}

customElements.define('tabdock-files', FilesPanel);

declare global {
  interface HTMLElementTagNameMap {
    'tabdock-files': FilesPanel;
  }
}
