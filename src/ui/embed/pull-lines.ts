/**
 * docker's pull report on stderr when it is not a terminal (`Unable to find image`,
 * `TAG: Pulling from REPO`, one line per layer status, `Digest:`, `Status:`). A docs
 * example shows its pull as one progress line instead, so these lines are left out.
 */
const PULL_LINE = /^(Unable to find image '[^']*' locally|\S+: Pulling from \S+|[0-9a-f]{12}: [A-Z][A-Za-z ]+|Digest: sha256:[0-9a-f]{64}|Status: (Downloaded newer image|Image is up to date) for \S+)$/;

/** Filters text line by line (chunks may end mid-line); `flush` gives back a last partial line. */
export class PullLineFilter {
  private partial = '';

  push(text: string): string {
    const lines = (this.partial + text).split('\n');
    this.partial = lines.pop()!;
    return lines.filter((l) => !PULL_LINE.test(l)).map((l) => `${l}\n`).join('');
  }

  flush(): string {
    const rest = this.partial;
    this.partial = '';
    return PULL_LINE.test(rest) ? '' : rest;
  }
}
