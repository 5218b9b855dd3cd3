import type { RuntimeProcess } from './runtime.ts';

type Listener = (chunk: Uint8Array, fd: 1 | 2) => void;

/**
 * What reaches a container before its process exists: attachments (`run` attaches before it
 * starts, so it misses no byte) and stdin piped in ahead of the process (`echo x | run -i`).
 */
export class EarlyAttach {
  private readonly listeners = new Map<string, Set<Listener>>();
  private readonly stdin = new Map<string, { data: Uint8Array[]; closed: boolean }>();

  listen(id: string, l: Listener): void {
    const set = this.listeners.get(id) ?? new Set();
    set.add(l);
    this.listeners.set(id, set);
  }

  unlisten(id: string, l: Listener): void {
    this.listeners.get(id)?.delete(l);
  }

  /** The attachments made so far, handed to the process that starts now. */
  take(id: string): Set<Listener> {
    const set = new Set(this.listeners.get(id) ?? []);
    this.listeners.delete(id);
    return set;
  }

  write(id: string, d: Uint8Array): void {
    this.entry(id).data.push(new Uint8Array(d));
  }

  close(id: string): void {
    this.entry(id).closed = true;
  }

  /** Gives the process what came early (with `-i`; without it stdin stays empty). */
  deliver(id: string, proc: RuntimeProcess, openStdin: boolean): void {
    const early = this.stdin.get(id);
    this.stdin.delete(id);
    if (!early || !openStdin) return;
    for (const d of early.data) void proc.write(d);
    if (early.closed) proc.closeStdin();
  }

  forget(id: string): void {
    this.stdin.delete(id);
    this.listeners.delete(id);
  }

  private entry(id: string): { data: Uint8Array[]; closed: boolean } {
    const e = this.stdin.get(id) ?? { data: [], closed: false };
    this.stdin.set(id, e);
    return e;
  }
}
