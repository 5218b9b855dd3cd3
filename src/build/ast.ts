/** The parsed Dockerfile before typing: one entry per instruction, as BuildKit's Node. */

export interface Heredoc {
  /** The delimiter word, quotes removed. */
  name: string;
  /** The file descriptor before `<<` (`3<<EOF`), 0 when none. */
  fd: number;
  /** Unquoted delimiter: the body is expanded (variables) when used. */
  expand: boolean;
  /** `<<-`: leading tabs are removed from the body. */
  chomp: boolean;
  /** The body, line endings kept, without the delimiter line. */
  content: string;
}

export interface ParsedLine {
  /** The instruction word as written (`run`, `RUN`). */
  cmd: string;
  /** Leading `--flag[=value]` words. */
  flags: string[];
  /**
   * BuildKit's Node chain after the command: strings, or for ONBUILD the nested
   * instruction. ENV and LABEL hold `[key, value, sep]` triples (sep `=` or `""`).
   */
  next: (string | ParsedLine)[];
  /** The arguments were a JSON array (exec form). */
  json: boolean;
  heredocs: Heredoc[];
  /** The whole logical line, continuations joined. */
  original: string;
  /** 1-based first and last line in the file. */
  startLine: number;
  endLine: number;
  /** The comment lines just before it. */
  comments: string[];
}

export interface ParseWarning {
  message: string;
  line: number;
}

export interface ParseResult {
  lines: ParsedLine[];
  escapeToken: string;
  /** Parser directives found (`syntax`, `escape`, `check`), lower-case names. */
  directives: Record<string, string>;
  warnings: ParseWarning[];
}

/** The values after the command, ONBUILD's nested instruction flattened (BuildKit's nodeArgs). */
export function lineArgs(l: ParsedLine): string[] {
  return l.next.flatMap((n) => (typeof n === 'string' ? [n] : [n.cmd, ...lineArgs(n)]));
}
