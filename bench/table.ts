/** One figure of `npm run bench`, always beside a baseline measured in the same run. */
export interface BenchRow {
  name: string;
  value: number;
  unit: string;
  baseline?: string;
  baselineValue?: number;
  /** e.g. "<= 1.5x baseline" or "<= 6000 ms"; `pass` says whether it was met. */
  target?: string;
  pass?: boolean;
}

export function printTable(rows: (BenchRow & { section: string })[]): string {
  const head = ['section', 'figure', 'value', 'baseline', 'baseline value', 'ratio', 'target', 'met'];
  const body = rows.map((r) => [
    r.section,
    r.name,
    `${fmt(r.value)} ${r.unit}`,
    r.baseline ?? '',
    r.baselineValue !== undefined ? `${fmt(r.baselineValue)} ${r.unit}` : '',
    r.baselineValue ? `${(r.value / r.baselineValue).toFixed(2)}x` : '',
    r.target ?? '',
    r.pass === undefined ? '' : r.pass ? 'yes' : 'NO',
  ]);
  const all = [head, ...body];
  const w = head.map((_, i) => Math.max(...all.map((r) => r[i]!.length)));
  return all.map((r) => r.map((c, i) => c.padEnd(w[i]!)).join('  ').trimEnd()).join('\n');
}

function fmt(n: number): string {
  return Math.abs(n) >= 100 ? n.toFixed(0) : n.toFixed(2);
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
}
