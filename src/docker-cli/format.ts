/** Docker's human-readable sizes and durations (docker/go-units), and its column tables. */

/** `units.HumanSizeWithPrecision(size, 3)`: decimal units, 3 significant digits. */
export function humanSize(bytes: number, precision = 3): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'];
  let v = bytes;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${Number.parseFloat(v.toPrecision(precision))}${units[i]}`;
}

/** `units.HumanDuration`, as in "CREATED 2 weeks ago". */
export function humanDuration(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < 1) return 'Less than a second';
  if (s === 1) return '1 second';
  if (s < 60) return `${s} seconds`;
  const m = Math.floor(s / 60);
  if (m === 1) return 'About a minute';
  if (m < 60) return `${m} minutes`;
  const h = Math.round(m / 60);
  if (h === 1) return 'About an hour';
  if (h < 48) return `${h} hours`;
  if (h < 24 * 7 * 2) return `${Math.floor(h / 24)} days`;
  if (h < 24 * 30 * 2) return `${Math.floor(h / 24 / 7)} weeks`;
  if (h < 24 * 365 * 2) return `${Math.floor(h / 24 / 30)} months`;
  return `${Math.floor(h / 24 / 365)} years`;
}

export function ago(iso: string | undefined, now: Date): string {
  if (!iso) return 'N/A';
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return 'N/A';
  return `${humanDuration(now.getTime() - t)} ago`;
}

/** Go's `time.Time.String()` for a time in UTC: `2006-01-02 15:04:05 +0000 UTC`. */
export function goTimeString(iso: string | undefined): string {
  const t = Date.parse(iso ?? '');
  const d = new Date(Number.isNaN(t) ? 0 : Math.floor(t / 1000) * 1000);
  return `${d.toISOString().slice(0, 19).replace('T', ' ')} +0000 UTC`;
}

/**
 * go-runewidth's RuneWidth (East Asian ambiguous as narrow): 0 for combining marks and
 * zero-width characters, 2 for wide and fullwidth ones (CJK, Hangul, most emoji), else 1.
 */
export function runeWidth(cp: number): number {
  if (cp === 0 || cp < 32 || (cp >= 0x7f && cp < 0xa0)) return 0;
  const ch = String.fromCodePoint(cp);
  if (/[\p{Mn}\p{Me}\u200b-\u200f\u2028-\u202e\u2060-\u2064\ufeff]/u.test(ch)) return 0;
  const wide =
    (cp >= 0x1100 && cp <= 0x115f) || (cp >= 0x2e80 && cp <= 0x303e) || (cp >= 0x3041 && cp <= 0x33ff) ||
    (cp >= 0x3400 && cp <= 0x4dbf) || (cp >= 0x4e00 && cp <= 0x9fff) || (cp >= 0xa000 && cp <= 0xa4cf) ||
    (cp >= 0xac00 && cp <= 0xd7a3) || (cp >= 0xf900 && cp <= 0xfaff) || (cp >= 0xfe30 && cp <= 0xfe4f) ||
    (cp >= 0xff00 && cp <= 0xff60) || (cp >= 0xffe0 && cp <= 0xffe6) || (cp >= 0x1f300 && cp <= 0x1f64f) ||
    (cp >= 0x1f900 && cp <= 0x1f9ff) || (cp >= 0x20000 && cp <= 0x3fffd);
  return wide ? 2 : 1;
}

export function stringWidth(s: string): number {
  let w = 0;
  for (const ch of s) w += runeWidth(ch.codePointAt(0)!);
  return w;
}

/**
 * docker's `formatter.Ellipsis`: at most `max` columns wide, the last one an ellipsis,
 * cut between characters (never inside a multi-byte one).
 */
export function ellipsis(s: string, max: number): string {
  if (max <= 0) return '';
  const rs = [...s];
  if (max === 1) return rs[0] ?? '';
  if (rs.every((r) => r.length === 1 && r.charCodeAt(0) < 0x80)) return rs.length <= max ? s : `${rs.slice(0, max - 1).join('')}…`;
  const display: number[] = [];
  let w = 0;
  for (const r of rs) display.push((w += runeWidth(r.codePointAt(0)!)));
  if (w <= max) return s;
  for (let i = 0; i < display.length - 1; i++) if (display[i]! <= max - 1 && display[i + 1]! > max - 1) return `${rs.slice(0, i + 1).join('')}…`;
  return s;
}

/**
 * Go's text/tabwriter as the docker CLI sets it up for every table (formatter.go:
 * `NewWriter(out, 10, 1, 3, ' ', 0)`): cells end at a tab, a column is the run of
 * contiguous lines that have a cell there, each as wide as its widest cell plus 3 and at
 * least 10; a line's last cell (after its last tab) is not padded. Widths are display
 * widths (docker's copy of tabwriter counts them with go-runewidth).
 */
export function tabwrite(text: string, minwidth = 10, padding = 3): string {
  interface Cell { text: string; width: number; htab: boolean }
  const rows = text.split('\n');
  const lines: Cell[][] = rows.map((r, i) => {
    const parts = r.split('\t');
    // The last line (after the final newline) has no cells when it is empty.
    if (i === rows.length - 1 && r === '') return [];
    return parts.map((p, j) => ({ text: p, width: stringWidth(p), htab: j < parts.length - 1 }));
  });
  const out: string[] = [];
  const widths: number[] = [];
  const writeLines = (line0: number, line1: number) => {
    for (let i = line0; i < line1; i++) {
      const line = lines[i]!;
      line.forEach((c, j) => {
        out.push(c.text);
        if (j < widths.length) out.push(' '.repeat(Math.max(0, widths[j]! - c.width)));
      });
      if (i + 1 < lines.length) out.push('\n');
    }
  };
  const format = (line0: number, line1: number) => {
    const column = widths.length;
    for (let t = line0; t < line1; t++) {
      if (column >= lines[t]!.length - 1) continue;
      writeLines(line0, t);
      line0 = t;
      let width = minwidth;
      for (; t < line1; t++) {
        const line = lines[t]!;
        if (column >= line.length - 1) break;
        width = Math.max(width, line[column]!.width + padding);
      }
      widths.push(width);
      format(line0, t);
      widths.pop();
      line0 = t;
    }
    writeLines(line0, line1);
  };
  format(0, lines.length);
  return out.join('');
}

/** A table with docker's header and rows: cells joined by tabs through `tabwrite`. */
export function table(header: string[], rows: string[][]): string {
  return tabwrite([header, ...rows].map((r) => `${r.join('\t')}\n`).join(''));
}
