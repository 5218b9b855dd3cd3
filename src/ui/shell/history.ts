/** Where the history is kept between page loads (localStorage in the page, nothing in tests). */
export interface HistoryStore {
  load(): string[];
  save(entries: string[]): void;
}

/**
 * Command history: entries oldest first, blank lines and immediate repeats left out
 * (bash's ignoredups), at most `max` kept.
 */
export class History {
  private readonly entries: string[];

  constructor(private readonly store?: HistoryStore, private readonly max = 500) {
    this.entries = store?.load().slice(-max) ?? [];
  }

  get length(): number {
    return this.entries.length;
  }

  at(i: number): string | undefined {
    return this.entries[i];
  }

  list(): readonly string[] {
    return this.entries;
  }

  add(line: string): void {
    if (!line.trim() || this.entries[this.entries.length - 1] === line) return;
    this.entries.push(line);
    if (this.entries.length > this.max) this.entries.splice(0, this.entries.length - this.max);
    this.store?.save(this.entries);
  }
}
