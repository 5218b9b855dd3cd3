import { describe, expect, it } from 'vitest';
import { quoteArgv, tokenize } from './tokenize.ts';

const argv = (line: string) => {
  const r = tokenize(line);
  if (!r.ok) throw new Error(r.error);
  return r.commands.map((c) => c.argv);
};

describe('tokenize', () => {
  it.each([
    ['docker run --rm busybox echo hello', [['docker', 'run', '--rm', 'busybox', 'echo', 'hello']]],
    ['  docker   ps  ', [['docker', 'ps']]],
    [`docker run busybox sh -c 'echo a b; exit 3'`, [['docker', 'run', 'busybox', 'sh', '-c', 'echo a b; exit 3']]],
    [`echo "a \\"b\\" \\$c \\x"`, [['echo', 'a "b" $c \\x']]],
    [`echo a\\ b c\\'d`, [['echo', 'a b', "c'd"]]],
    [`echo '' ""`, [['echo', '', '']]],
    [`echo a'b'"c"d`, [['echo', 'abcd']]],
    ['echo $$ $HOME', [['echo', '$$', '$HOME']]],
    ['docker ps # a comment', [['docker', 'ps']]],
    ['echo a#b', [['echo', 'a#b']]],
    ['', []],
    ['# only', []],
    // Dollar-single-quotes (XCU 2.2.4): the way to type a tab or a newline into a word.
    [`echo $'a\\tb\\nc' $'it\\'s' $'\\\\' x$'\\x41\\101\\u00e9\\cA'y`, [['echo', 'a\tb\nc', "it's", '\\', 'xAA\u00e9\x01y']]],
    [`echo $'\\q' "$'x'" '$'`, [['echo', '\\q', "$'x'", '$']]],
  ])('%s', (line, want) => {
    expect(argv(line)).toEqual(want);
  });

  it('splits lists with ;, && and ||', () => {
    const r = tokenize('docker pull busybox && docker run busybox true || help; clear');
    expect(r).toEqual({
      ok: true,
      commands: [
        { argv: ['docker', 'pull', 'busybox'], op: ';' },
        { argv: ['docker', 'run', 'busybox', 'true'], op: '&&' },
        { argv: ['help'], op: '||' },
        { argv: ['clear'], op: ';' },
      ],
    });
    expect(argv('a;')).toEqual([['a']]);
  });

  it.each([
    [`echo 'abc`, /matching `''/],
    [`echo "abc`, /matching `"'/],
    ['echo a\\', /after \\/],
    ['a &&', /must follow/],
    ['; a', /unexpected token `;'/],
    ['docker ps | grep x', /pipes are not supported/],
    ['docker logs x > out', /redirections are not supported/],
    ['docker run -d x &', /background jobs are not supported/],
    ['echo $(date)', /command substitution/],
    [`echo $'a\\'`, /matching `''/],
  ])('refuses %s', (line, why) => {
    const r = tokenize(line);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(why);
  });

  it('keeps quoted operators as words', () => {
    expect(argv(`docker run busybox sh -c "ls | wc -l > /tmp/x"`)).toEqual([['docker', 'run', 'busybox', 'sh', '-c', 'ls | wc -l > /tmp/x']]);
  });
});

describe('quoteArgv', () => {
  it.each([
    [['docker', 'run', '--rm', 'busybox', 'echo', 'hello']],
    [['sh', '-c', "echo 'it''s' | wc; x=\"y\""]],
    [['a b', '', '$HOME', 'reg:5000/x@sha256:ab']],
    [['table {{.Names}}\t{{.Image}}', "it's\n\\t \x1b[1m\x7f\x01 日本語"]],
  ])('round-trips %j', (words) => {
    expect(argv(quoteArgv(words))).toEqual([words]);
  });

  it('leaves plain words alone', () => {
    expect(quoteArgv(['docker', 'run', '127.0.0.1:5000/busybox:1', '-e', 'A=b'])).toBe('docker run 127.0.0.1:5000/busybox:1 -e A=b');
  });

  it('puts a word with a control character in $\'...\' (a typed line cannot hold a tab)', () => {
    const line = quoteArgv(['ps', '--format', 'table {{.Names}}\t{{.State}}']);
    expect(line).toBe("ps --format $'table {{.Names}}\\t{{.State}}'");
    expect(line).not.toMatch(/[\x00-\x1f]/);
  });
});
