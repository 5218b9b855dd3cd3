/** What a panel asks of the playground: open a terminal tab, or show an error. */

/** Runs a command line in the shell, as if typed; false when the shell is running something. */
export type LineRunner = (line: string) => Promise<number> | false;

export interface OpenTabDetail {
  kind: 'exec' | 'logs';
  id: string;
  name: string;
  running: boolean;
}

export function openTab(from: HTMLElement, detail: OpenTabDetail): void {
  from.dispatchEvent(new CustomEvent<OpenTabDetail>('tabdock-open', { detail, bubbles: true, composed: true }));
}

/** A published port to show in the preview pane. */
export interface OpenPreviewDetail {
  url: string;
  /** `name :80` as the pane shows it. */
  label: string;
}

export function openPreview(from: HTMLElement, detail: OpenPreviewDetail): void {
  from.dispatchEvent(new CustomEvent<OpenPreviewDetail>('tabdock-preview', { detail, bubbles: true, composed: true }));
}

export function reportError(from: HTMLElement, error: unknown): void {
  from.dispatchEvent(new CustomEvent<unknown>('tabdock-error', { detail: error, bubbles: true, composed: true }));
}

declare global {
  interface HTMLElementEventMap {
    'tabdock-open': CustomEvent<OpenTabDetail>;
    'tabdock-preview': CustomEvent<OpenPreviewDetail>;
    'tabdock-error': CustomEvent<unknown>;
  }
}
