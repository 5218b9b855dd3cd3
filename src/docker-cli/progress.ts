import type { PullEvent } from '../engine/pull.ts';
import type { PushEvent } from '../engine/image-push.ts';
import { humanSize } from './format.ts';

/**
 * Docker's pull (and push) output. On a terminal each layer has one line redrawn in place with a
 * progress bar (jsonmessage's cursor moves); otherwise only status changes are printed,
 * one line each, as `docker pull | cat` shows them.
 */
export class PullPrinter {
  private readonly lines: string[] = [];
  private readonly text = new Map<string, string>();
  private lastStatus = new Map<string, string>();

  constructor(private readonly write: (s: string) => void, private readonly tty: boolean) {}

  onEvent = (e: PullEvent | PushEvent): void => {
    // Each layer's first line ("Already exists" or "Pulling fs layer") is the engine's own
    // event, sent in the manifest's order right after 'resolved'.
    if (e.type === 'resolving' || e.type === 'resolved') return;
    let body: string = e.status;
    // Downloading and Extracting carry a bar (Extracting: the compressed bytes the unpack has
    // taken in, as Docker measures it); off a terminal Docker leaves such lines out.
    const progress = e.done !== undefined && !!e.total;
    if (progress) body = `${e.status} ${bar(e.done!, e.total!)}  ${humanSize(e.done!)}/${humanSize(e.total!)}`;
    this.line(e.id, `${e.id}: ${body}`, e.status, progress);
  };

  private line(id: string, text: string, status: string, isProgress: boolean): void {
    if (!this.tty) {
      if (isProgress || this.lastStatus.get(id) === status) return;
      this.lastStatus.set(id, status);
      this.write(`${text}\n`);
      return;
    }
    const i = this.lines.indexOf(id);
    if (i === -1) {
      this.lines.push(id);
      this.text.set(id, text);
      this.write(`${text}\n`);
      return;
    }
    if (this.text.get(id) === text) return;
    this.text.set(id, text);
    const up = this.lines.length - i;
    this.write(`\x1b[${up}A\r\x1b[2K${text}\r\x1b[${up}B`);
  }
}

function bar(done: number, total: number): string {
  const width = 50;
  const n = Math.min(width, Math.floor((done / total) * width));
  return `[${'='.repeat(Math.max(0, n - 1))}${n > 0 ? '>' : ''}${' '.repeat(width - n)}]`;
}
