import type { MetaStore } from '../../fs-layers/index.ts';

/**
 * Container output kept in the store (Docker's json-file driver, in chunks): lines are
 * buffered briefly and written as one record per chunk, so `logs` works for stopped
 * containers, across restarts of the daemon or the page, and `-f` follows live output.
 */
export interface LogEntry {
  /** Increasing across appends and restarts (clock-based), to join stored and live output. */
  n: number;
  /** RFC 3339 with nanoseconds, as `docker logs -t` prints. */
  time: string;
  stream: 'stdout' | 'stderr';
  data: Uint8Array;
}

interface StoredEntry {
  n: number;
  t: string;
  s: 'stdout' | 'stderr';
  d: string;
}

const FLUSH_MS = 100;
const FLUSH_BYTES = 64 * 1024;

export class ContainerLogs {
  private readonly buffers = new Map<string, Buffered>();
  private readonly followers = new Map<string, Set<(e: LogEntry) => void>>();

  constructor(private readonly meta: MetaStore, private readonly now: () => Date = () => new Date()) {}

  private lastN = 0;

  append(id: string, stream: 'stdout' | 'stderr', data: Uint8Array): void {
    this.lastN = Math.max(this.lastN + 1, Date.now() * 1000);
    const e: LogEntry = { n: this.lastN, time: rfc3339Nano(this.now()), stream, data };
    for (const f of this.followers.get(id) ?? []) f(e);
    let b = this.buffers.get(id);
    if (!b) {
      b = { entries: [], bytes: 0, seq: -1 };
      this.buffers.set(id, b);
    }
    b.entries.push({ n: e.n, t: e.time, s: stream, d: toBase64(data) });
    b.bytes += data.byteLength;
    if (b.bytes >= FLUSH_BYTES) this.flush(id).catch(() => {});
    else b.timer ??= setTimeout(() => void this.flush(id).catch(() => {}), FLUSH_MS);
  }

  /**
   * Writes what is buffered. Flushes of one container run one after another, and each
   * ends after every earlier one: a `read` (which flushes first) then sees every line
   * appended before it, even while a timer's flush is still writing (the page's
   * IndexedDB is slow enough for a line printed during `stop` to be missed otherwise).
   */
  async flush(id: string): Promise<void> {
    const b = this.buffers.get(id);
    if (!b) return;
    const before = b.writing;
    const mine = (async () => {
      if (before) await before.catch(() => {});
      await this.write(id, b);
    })();
    b.writing = mine;
    try {
      await mine;
    } finally {
      if (b.writing === mine) b.writing = undefined;
    }
  }

  private async write(id: string, b: Buffered): Promise<void> {
    if (b.entries.length === 0) return;
    clearTimeout(b.timer);
    b.timer = undefined;
    const entries = b.entries.splice(0);
    const bytes = b.bytes;
    b.bytes = 0;
    try {
      if (b.seq < 0) b.seq = (await this.meta.keys(`log/${id}/`)).length;
      // Numbered before the put: two flushes at once never share a key (a failed one leaves a gap).
      const key = `log/${id}/${String(b.seq++).padStart(8, '0')}`;
      await this.meta.put(key, entries);
    } catch (e) {
      // Not saved (a full disk): kept, ahead of what came since, for the next flush and `logs`.
      b.entries.unshift(...entries);
      b.bytes += bytes;
      throw e;
    }
  }

  async read(id: string): Promise<LogEntry[]> {
    // What cannot be saved now is still shown, from memory.
    const unsaved = await this.flush(id).then(() => false, () => true);
    const out: LogEntry[] = [];
    for (const k of await this.meta.keys(`log/${id}/`)) {
      for (const e of (await this.meta.get<StoredEntry[]>(k)) ?? []) out.push({ n: e.n, time: e.t, stream: e.s, data: fromBase64(e.d) });
    }
    if (unsaved) for (const e of this.buffers.get(id)?.entries ?? []) out.push({ n: e.n, time: e.t, stream: e.s, data: fromBase64(e.d) });
    return out;
  }

  follow(id: string, f: (e: LogEntry) => void): () => void {
    let set = this.followers.get(id);
    if (!set) this.followers.set(id, (set = new Set()));
    set.add(f);
    return () => set!.delete(f);
  }

  async remove(id: string): Promise<void> {
    const b = this.buffers.get(id);
    if (b) clearTimeout(b.timer);
    this.buffers.delete(id);
    for (const k of await this.meta.keys(`log/${id}/`)) await this.meta.delete(k);
  }
}

interface Buffered {
  entries: StoredEntry[];
  bytes: number;
  timer?: ReturnType<typeof setTimeout> | undefined;
  seq: number;
  /** The flush in progress (the last of the chain), if any. */
  writing?: Promise<void> | undefined;
}

function rfc3339Nano(d: Date): string {
  return d.toISOString().replace(/\.(\d{3})Z$/, '.$1000000Z');
}

function toBase64(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i += 0x8000) s += String.fromCharCode(...b.subarray(i, i + 0x8000));
  return btoa(s);
}

function fromBase64(s: string): Uint8Array {
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}
