/**
 * "(did you mean X?)" as BuildKit's util/suggest adds it: the closest option within a
 * Levenshtein distance under 3, in the case the user wrote.
 */
function distance(a: string, b: string): number {
  const A = Array.from(a);
  const B = Array.from(b);
  let prev = Array.from({ length: B.length + 1 }, (_, j) => j);
  for (let i = 1; i <= A.length; i++) {
    const cur = [i];
    for (let j = 1; j <= B.length; j++) cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (A[i - 1] === B[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[B.length]!;
}

export function suggest(val: string, options: readonly string[], caseSensitive: boolean): string | undefined {
  const v = caseSensitive ? val : val.toLowerCase();
  let match: string | undefined;
  let min = 3;
  for (const o of [...options].sort()) {
    const opt = caseSensitive ? o : o.toLowerCase();
    if (v === opt) return undefined;
    const d = distance(v, opt);
    if (d < min) {
      min = d;
      match = caseSensitive ? opt : val === val.toLowerCase() ? opt.toLowerCase() : val === val.toUpperCase() ? opt.toUpperCase() : opt;
    }
  }
  return match;
}

/** The message with BuildKit's suggestion appended when there is one. */
export function withSuggestion(message: string, val: string, options: readonly string[], caseSensitive: boolean): string {
  const m = suggest(val, options, caseSensitive);
  return m ? `${message} (did you mean ${m}?)` : message;
}
