import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TabdockError } from '../shared/errors.ts';
import { dumpParse, parseDockerfile } from './parser.ts';

// BuildKit's own parser cases (test/fixtures/buildkit/README.md): the Dockerfile and the
// Node.Dump() BuildKit's test expects of it.
const FIX = resolve(import.meta.dirname, '../../test/fixtures/buildkit');

describe("BuildKit's parser testfiles", () => {
  for (const dir of readdirSync(join(FIX, 'parser-testfiles'))) {
    it(dir, () => {
      const df = readFileSync(join(FIX, 'parser-testfiles', dir, 'Dockerfile'), 'utf8');
      const want = readFileSync(join(FIX, 'parser-testfiles', dir, 'result'), 'utf8');
      expect(dumpParse(parseDockerfile(df)) + '\n').toBe(want);
    });
  }
  for (const dir of readdirSync(join(FIX, 'parser-testfiles-negative'))) {
    it(`refuses ${dir}`, () => {
      const df = readFileSync(join(FIX, 'parser-testfiles-negative', dir, 'Dockerfile'), 'utf8');
      expect(() => parseDockerfile(df)).toThrow(TabdockError);
    });
  }
});

// BuildKit's TestParseExtractsHeredoc (parser/parser_heredoc_test.go): its Dockerfile and
// the heredocs it expects on each instruction after the FROM.
const HEREDOC_DOCKERFILE = "\nFROM alpine:3.6\n\nENV NAME=me\n\nRUN ls\n\nUSER <<INVALID\nINVALID\n\nRUN <<EMPTY\nEMPTY\n\nRUN 3<<EMPTY2\nEMPTY2\n\nRUN \"<<NOHEREDOC\"\n\nRUN <<INDENT\n\tfoo\n\tbar\nINDENT\n\nRUN <<-UNINDENT\n\tbaz\n\tquux\nUNINDENT\n\nRUN <<-UNINDENT2\n\tbaz\n\tquux\n\tUNINDENT2\n\nRUN <<-EXPAND\n\texpand $NAME\nEXPAND\n\nRUN <<-'NOEXPAND'\n\tdon't expand $NAME\nNOEXPAND\n\nRUN <<COPY\necho hello world\necho foo bar\nCOPY\n\nRUN <<COMMENT\n# internal comment\necho hello world\necho foo bar # trailing comment\nCOMMENT\n\nRUN --mount=type=cache,target=/foo <<MOUNT\necho hello\nMOUNT\n\nCOPY <<FILE1 <<FILE2 /dest\ncontent 1\nFILE1\ncontent 2\nFILE2\n\nCOPY <<EOF /quotes\n\"foo\"\n'bar'\nEOF\n\nCOPY <<X <<Y /dest\nY\nX\nX\nY\n\nRUN <<COMPLEX python3\nprint('hello world')\nCOMPLEX\n\nCOPY <<file.txt /dest\nhello world\nfile.txt\n\nRUN <<eo'f'\necho foo\neof\n\nRUN <<eo\\'f\necho foo\neo'f\n\nRUN <<'e'o\\'f\necho foo\neo'f\n\nRUN <<'one two'\necho bar\none two\n\nRUN <<$EOF\n$EOF\n\nRUN <<  EOF\nEOF\n\nRUN <<  EOF  > foo\nEOF\n\t";
const HEREDOC_EXPECTED = [[], [], [], [], [{"name": "EMPTY", "content": "", "expand": true, "chomp": false, "fd": 0}], [{"name": "EMPTY2", "content": "", "expand": true, "chomp": false, "fd": 3}], [], [{"name": "INDENT", "content": "\tfoo\n\tbar\n", "expand": true, "chomp": false, "fd": 0}], [{"name": "UNINDENT", "content": "\tbaz\n\tquux\n", "expand": true, "chomp": true, "fd": 0}], [{"name": "UNINDENT2", "content": "\tbaz\n\tquux\n", "expand": true, "chomp": true, "fd": 0}], [{"name": "EXPAND", "content": "\texpand $NAME\n", "expand": true, "chomp": true, "fd": 0}], [{"name": "NOEXPAND", "content": "\tdon't expand $NAME\n", "expand": false, "chomp": true, "fd": 0}], [{"name": "COPY", "content": "echo hello world\necho foo bar\n", "expand": true, "chomp": false, "fd": 0}], [{"name": "COMMENT", "content": "# internal comment\necho hello world\necho foo bar # trailing comment\n", "expand": true, "chomp": false, "fd": 0}], [{"name": "MOUNT", "content": "echo hello\n", "expand": true, "chomp": false, "fd": 0}], [{"name": "FILE1", "content": "content 1\n", "expand": true, "chomp": false, "fd": 0}, {"name": "FILE2", "content": "content 2\n", "expand": true, "chomp": false, "fd": 0}], [{"name": "EOF", "content": "\"foo\"\n'bar'\n", "expand": true, "chomp": false, "fd": 0}], [{"name": "X", "content": "Y\n", "expand": true, "chomp": false, "fd": 0}, {"name": "Y", "content": "X\n", "expand": true, "chomp": false, "fd": 0}], [{"name": "COMPLEX", "content": "print('hello world')\n", "expand": true, "chomp": false, "fd": 0}], [{"name": "file.txt", "content": "hello world\n", "expand": true, "chomp": false, "fd": 0}], [{"name": "eof", "content": "echo foo\n", "expand": false, "chomp": false, "fd": 0}], [{"name": "eo'f", "content": "echo foo\n", "expand": true, "chomp": false, "fd": 0}], [{"name": "eo'f", "content": "echo foo\n", "expand": false, "chomp": false, "fd": 0}], [{"name": "one two", "content": "echo bar\n", "expand": false, "chomp": false, "fd": 0}], [{"name": "$EOF", "content": "", "expand": true, "chomp": false, "fd": 0}], [{"name": "EOF", "content": "", "expand": true, "chomp": false, "fd": 0}], [{"name": "EOF", "content": "", "expand": true, "chomp": false, "fd": 0}]];

describe('heredocs (BuildKit TestParseExtractsHeredoc)', () => {
  const lines = parseDockerfile(HEREDOC_DOCKERFILE).lines;
  HEREDOC_EXPECTED.forEach((want, i) => {
    it(`${lines[i + 1]!.original}`, () => {
      expect(lines[i + 1]!.heredocs).toEqual(want);
    });
  });
});

describe('lines, directives, continuations', () => {
  it('numbers every instruction by its first and last line', () => {
    const r = parseDockerfile('# syntax=docker/dockerfile:1\n# check=skip=all\n\nFROM alpine\nRUN echo a \\\n  # a comment inside\n\n  b\nCOPY <<EOF /x\nhi\nEOF\n');
    expect(r.directives).toEqual({ syntax: 'docker/dockerfile:1', check: 'skip=all' });
    expect(r.lines.map((l) => [l.cmd, l.startLine, l.endLine])).toEqual([['FROM', 4, 4], ['RUN', 5, 8], ['COPY', 9, 11]]);
    expect(r.lines[1]!.next).toEqual(['echo a   b']);
    // BuildKit warns on an empty line inside a continuation (no-empty-continuation).
    expect(r.warnings).toEqual([{ message: 'Empty continuation line found in: RUN echo a   b', line: 8 }]);
  });

  it('takes the backtick escape directive (Windows-style continuation)', () => {
    const r = parseDockerfile('# escape=`\nFROM x\nRUN dir c:\\ `\n  /b\n');
    expect(r.escapeToken).toBe('`');
    expect(r.lines[1]!.next).toEqual(['dir c:\\   /b']);
  });

  it('takes a directive only before anything else', () => {
    const r = parseDockerfile('FROM x\n# escape=`\nRUN a \\\n b\n');
    expect(r.escapeToken).toBe('\\');
    expect(r.lines[1]!.next).toEqual(['a  b']);
  });

  it('refuses a repeated directive and a bad escape token, naming the line', () => {
    expect(() => parseDockerfile('# escape=\\\n# escape=`\nFROM x\n')).toThrow('dockerfile parse error on line 2: only one escape parser directive can be used');
    expect(() => parseDockerfile('# escape=x\nFROM x\n')).toThrow("invalid escape token 'x' does not match ` or \\");
  });

  it('falls back to the shell form when the JSON does not parse, and refuses non-string arrays', () => {
    expect(parseDockerfile('FROM x\nCMD ["a", "b"\n').lines[1]).toMatchObject({ json: false, next: ['["a", "b"'] });
    expect(parseDockerfile("FROM x\nCMD ['a']\n").lines[1]).toMatchObject({ json: false, next: ["['a']"] });
    expect(() => parseDockerfile('FROM x\nCMD ["a", 1]\n')).toThrow(
      'dockerfile parse error on line 2: when using JSON array syntax, arrays must be comprised of strings only',
    );
  });

  it('refuses an unterminated heredoc and a file with no instructions', () => {
    expect(() => parseDockerfile('FROM x\nRUN <<EOF\necho\n')).toThrow('dockerfile parse error on line 2: unterminated heredoc');
    expect(() => parseDockerfile('# just a comment\n\n')).toThrow('file with no instructions');
  });
});
