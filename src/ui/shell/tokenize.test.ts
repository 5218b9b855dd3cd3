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
  ])('round-trips %j', (words) => {
    expect(argv(quoteArgv(words))).toEqual([words]);
  });

  it('leaves plain words alone', () => {
    expect(quoteArgv(['docker', 'run', '127.0.0.1:5000/busybox:1', '-e', 'A=b'])).toBe('docker run 127.0.0.1:5000/busybox:1 -e A=b');
  });
});
