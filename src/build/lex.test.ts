import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { envFromList, ShellLex } from './lex.ts';

// BuildKit's shell/envVarTest and shell/wordsTest (test/fixtures/buildkit/README.md), read
// as BuildKit's lex_test.go reads them: `platform | source | expected` (A and U rows on
// Linux; "error" means the word must not expand), and `words | w1,w2,...` with ENV lines.
const FIX = resolve(import.meta.dirname, '../../test/fixtures/buildkit');

describe("BuildKit's envVarTest (ProcessWord)", () => {
  const env = envFromList(['PWD=/home', 'SHELL=bash', 'KOREAN=한국어', 'NULL=']);
  const lex = new ShellLex('\\');
  const rows = readFileSync(resolve(FIX, 'envVarTest'), 'utf8').split('\n');
  rows.forEach((row, n) => {
    if (row.startsWith('#') || row.trim() === '') return;
    const [platform, source, expected] = row.trim().split('|').map((s) => s.trim()) as [string, string, string];
    if (platform === 'W') return;
    it(`line ${n + 1}: ${source}`, () => {
      if (expected === 'error') expect(() => lex.processWord(source, env)).toThrow();
      else expect(lex.processWord(source, env).result).toBe(expected);
    });
  });
});

describe("BuildKit's wordsTest (ProcessWords)", () => {
  const envs: string[] = [];
  const lex = new ShellLex('\\');
  const rows = readFileSync(resolve(FIX, 'wordsTest'), 'utf8').split('\n');
  rows.forEach((row, n) => {
    if (row.startsWith('#') || row === '') return;
    if (row.startsWith('ENV ')) {
      envs.push(row.slice(3).replace(/^ +/, ''));
      return;
    }
    const env = envFromList([...envs]);
    const [test, want] = row.split('|') as [string, string];
    it(`line ${n + 1}: ${test.trim()}`, () => {
      let got: string[];
      try {
        got = lex.processWords(test.trim(), env);
      } catch {
        got = ['error'];
      }
      expect(got).toEqual(want.replace(/^ +/, '').split(','));
    });
  });
});

describe('expansion details', () => {
  const env = envFromList(['A=a', 'E=']);
  const lex = new ShellLex('\\');
  it.each([
    ['${A:-x}', 'a'], ['${E:-x}', 'x'], ['${E-x}', ''], ['${U-x}', 'x'],
    ['${A:+x}', 'x'], ['${E:+x}', ''], ['${E+x}', 'x'], ['${U+x}', ''],
    ['${A:?boom}', 'a'], ["'$A'", '$A'], ['"$A"', 'a'], ['\\$A', '$A'],
  ])('%s -> %s', (w, want) => expect(lex.processWord(w, env).result).toBe(want));

  it('${V:?err} and ${V?err} fail with the message', () => {
    expect(() => lex.processWord('${E:?must be set}', env)).toThrow('failed to process "${E:?must be set}": E: must be set');
    expect(() => lex.processWord('${U?}', env)).toThrow('U: is not allowed to be unset');
  });

  it('takes the backtick as the escape token when the directive says so', () => {
    expect(new ShellLex('`').processWord('c:\\dir `$A', env).result).toBe('c:\\dir $A');
  });

  it('reports which names it found and which it did not', () => {
    const r = lex.processWord('$A ${U:-x}', env);
    expect([...r.matched]).toEqual(['A']);
    expect([...r.unmatched]).toEqual(['U']);
  });
});
