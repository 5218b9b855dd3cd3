/**
 * `.dockerignore` as Docker reads and matches it: moby/patternmatcher's ignorefile.ReadAll
 * (comments, `!` exceptions, cleaning, a leading `/` dropped) and PatternMatcher (`*`, `?`,
 * `[...]`, `**`, later patterns winning, a directory's match applying to what is inside),
 * and the context walk of tonistiigi/fsutil's filter (an excluded directory is still
 * walked when an exception may re-include something inside it, and a re-included file
 * brings its parent directories).
 *
 * The Dockerfile is read apart from the context, as BuildKit does: a .dockerignore that
 * excludes the Dockerfile (or itself) is not an error; the build still reads it, and
 * `COPY Dockerfile` then finds no such file.
 */
import { TabdockError } from '../shared/errors.ts';

/** POSIX path.Clean (Go): no `.`/`..`/doubled slashes; '' becomes '.'. */
export function cleanPath(p: string): string {
  if (p === '') return '.';
  const rooted = p.startsWith('/');
  const out: string[] = [];
  for (const part of p.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (out.length && out[out.length - 1] !== '..') out.pop();
      else if (!rooted) out.push('..');
    } else out.push(part);
  }
  const s = out.join('/');
  return rooted ? '/' + s : s || '.';
}

/** The patterns of a .dockerignore file's text (ignorefile.ReadAll). */
export function readDockerignore(text: string): string[] {
  const out: string[] = [];
  const lines = (text.startsWith('\uFEFF') ? text.slice(1) : text).split(/\r?\n/);
  for (const line of lines) {
    if (line.startsWith('#')) continue;
    let p = line.trim();
    if (p === '') continue;
    const invert = p.startsWith('!');
    if (invert) p = p.slice(1).trim();
    if (p.length > 0) {
      p = cleanPath(p);
      if (p.length > 1 && p.startsWith('/')) p = p.slice(1);
    }
    out.push(invert ? '!' + p : p);
  }
  return out;
}

/**
 * The .dockerignore files BuildKit looks for, first found wins: `<Dockerfile name>.dockerignore`
 * beside the Dockerfile, then `.dockerignore` at the context root (Docker docs, "Filename
 * and location").
 */
export function dockerignoreCandidates(dockerfilePath: string): string[] {
  return [`${dockerfilePath}.dockerignore`, '.dockerignore'];
}

type MatchType = 'exact' | 'prefix' | 'suffix' | 'regexp';

class Pattern {
  readonly dirs: string[];
  private type: MatchType = 'exact';
  private re: RegExp | undefined;

  constructor(readonly cleaned: string, readonly exclusion: boolean) {
    this.dirs = cleaned.split('/');
    this.compile();
  }

  private compile(): void {
    let re = '^';
    let type: MatchType = 'exact';
    const cs = Array.from(this.cleaned);
    for (let i = 0, k = 0; k < cs.length; i++) {
      const ch = cs[k++]!;
      if (ch === '*') {
        if (cs[k] === '*') {
          k++;
          if (cs[k] === '/') k++;
          if (k >= cs.length) {
            if (type === 'exact') type = 'prefix';
            else {
              re += '.*';
              type = 'regexp';
            }
          } else {
            re += '(.*/)?';
            type = 'regexp';
          }
          if (i === 0) type = 'suffix';
        } else {
          re += '[^/]*';
          type = 'regexp';
        }
      } else if (ch === '?') {
        re += '[^/]';
        type = 'regexp';
      } else if ('.+()|{}$'.includes(ch)) {
        re += '\\' + ch;
      } else if (ch === '\\') {
        if (k < cs.length) {
          re += '\\' + cs[k++]!;
          type = 'regexp';
        } else re += '\\\\';
      } else if (ch === '[' || ch === ']') {
        re += ch;
        type = 'regexp';
      } else re += ch;
    }
    if (type === 'regexp') {
      try {
        // No 'u' flag: Go's RE2 takes `\x` for any x, which 'u' refuses.
        this.re = new RegExp(re + '$');
      } catch {
        throw badPattern(this.cleaned);
      }
    }
    this.type = type;
  }

  match(path: string): boolean {
    switch (this.type) {
      case 'exact':
        return path === this.cleaned;
      case 'prefix':
        return path.startsWith(this.cleaned.slice(0, -2));
      case 'suffix': {
        const suffix = this.cleaned.slice(2);
        return path.endsWith(suffix) || (suffix.startsWith('/') && path === suffix.slice(1));
      }
      case 'regexp':
        return this.re!.test(path);
    }
  }
}

function badPattern(p: string): TabdockError {
  return new TabdockError('BUILD_CONTEXT_INVALID', `.dockerignore: syntax error in pattern: ${p}`, { pattern: p });
}

/** Go's filepath.Match syntax check (what patternmatcher.New runs on every pattern). */
function checkSyntax(p: string): void {
  for (let i = 0; i < p.length; i++) {
    const c = p[i];
    if (c === '\\') {
      if (i + 1 >= p.length) throw badPattern(p);
      i++;
    } else if (c === '[') {
      let j = i + 1;
      if (p[j] === '^' || p[j] === '!') j++;
      let closed = false;
      for (let first = true; j < p.length; j++, first = false) {
        if (p[j] === ']' && !first) {
          closed = true;
          break;
        }
        if (p[j] === '\\') j++;
      }
      if (!closed) throw badPattern(p);
      i = j;
    }
  }
}

/** Per-pattern "matched" of a directory, handed to its children (MatchInfo). */
export type ParentMatches = readonly boolean[];

export class PatternMatcher {
  private readonly patterns: Pattern[] = [];
  /** Whether any `!` exception exists. */
  readonly exclusions: boolean = false;

  constructor(patterns: readonly string[]) {
    for (const raw of patterns) {
      let p = raw.trim();
      if (p === '') continue;
      p = cleanPath(p);
      let exclusion = false;
      if (p.startsWith('!')) {
        if (p.length === 1) throw new TabdockError('BUILD_CONTEXT_INVALID', '.dockerignore: illegal exclusion pattern: "!"', { pattern: p });
        exclusion = true;
        p = p.slice(1);
        this.exclusions = true;
      }
      checkSyntax(p);
      this.patterns.push(new Pattern(p, exclusion));
    }
  }

  /** Whether a path (relative, `/`-separated) is excluded, its parent directories considered. */
  matches(file: string): boolean {
    const parent = dirname(file);
    const parentDirs = parent.split('/');
    let matched = false;
    for (const p of this.patterns) {
      if (p.exclusion !== matched) continue;
      let m = p.match(file);
      if (!m && parent !== '.') {
        for (let i = 0; i < parentDirs.length && !m; i++) m = p.match(parentDirs.slice(0, i + 1).join('/'));
      }
      if (m) matched = !p.exclusion;
    }
    return matched;
  }

  /** The walk's form: the parent directory's per-pattern results instead of re-matching its path. */
  matchesWithParent(file: string, parent: ParentMatches | undefined): { excluded: boolean; info: boolean[] } {
    let matched = false;
    const info: boolean[] = [];
    this.patterns.forEach((p, i) => {
      let m = parent?.[i] ?? false;
      if (!m) {
        if (p.exclusion !== matched) {
          info[i] = false;
          return;
        }
        m = p.match(file);
        if (!m && parent === undefined) {
          const dir = dirname(file);
          if (dir !== '.') {
            const parts = dir.split('/');
            for (let k = 0; k < parts.length && !m; k++) m = p.match(parts.slice(0, k + 1).join('/'));
          }
        }
      }
      info[i] = m;
      if (m) matched = !p.exclusion;
    });
    return { excluded: matched, info };
  }
}

function dirname(p: string): string {
  const i = p.lastIndexOf('/');
  return i < 0 ? '.' : i === 0 ? '/' : p.slice(0, i);
}
