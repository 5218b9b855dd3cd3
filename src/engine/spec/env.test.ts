import { describe, expect, it } from 'vitest';
import { DEFAULT_PATH, containerEnv, execEnv, mergeImageEnv, parseEnvFile, parseEnvFlag, replaceOrAppendEnv } from './env.ts';

describe('container environment', () => {
  const base = { hostname: 'abc123def456', tty: false, home: '/root' };
  it.each([
    ['defaults only', [], [], [`PATH=${DEFAULT_PATH}`, 'HOSTNAME=abc123def456', 'HOME=/root']],
    ['image PATH replaces the default in place', ['PATH=/x', 'A=1'], [], ['PATH=/x', 'HOSTNAME=abc123def456', 'A=1', 'HOME=/root']],
    ['-e wins over the image', ['A=1', 'B=2'], ['A=9'], [`PATH=${DEFAULT_PATH}`, 'HOSTNAME=abc123def456', 'A=9', 'B=2', 'HOME=/root']],
    ['later -e wins', [], ['A=1', 'A=2'], [`PATH=${DEFAULT_PATH}`, 'HOSTNAME=abc123def456', 'A=2', 'HOME=/root']],
    ['bare -e KEY unsets the image value', ['A=1', 'B=2'], ['A'], [`PATH=${DEFAULT_PATH}`, 'HOSTNAME=abc123def456', 'B=2', 'HOME=/root']],
    ['HOME from the image is kept', ['HOME=/srv'], [], [`PATH=${DEFAULT_PATH}`, 'HOSTNAME=abc123def456', 'HOME=/srv']],
    ['-e HOSTNAME overrides', [], ['HOSTNAME=h'], [`PATH=${DEFAULT_PATH}`, 'HOSTNAME=h', 'HOME=/root']],
    ['values may hold =', [], ['X=a=b'], [`PATH=${DEFAULT_PATH}`, 'HOSTNAME=abc123def456', 'X=a=b', 'HOME=/root']],
  ])('%s', (_, imageEnv, userEnv, want) => {
    expect(containerEnv({ ...base, imageEnv, userEnv })).toEqual(want);
  });

  it('TERM=xterm with a TTY, overridable', () => {
    expect(containerEnv({ ...base, tty: true, imageEnv: [], userEnv: [] })).toContain('TERM=xterm');
    expect(containerEnv({ ...base, tty: true, imageEnv: ['TERM=dumb'], userEnv: [] })).toContain('TERM=dumb');
    expect(containerEnv({ ...base, tty: false, imageEnv: [], userEnv: [] }).some((e) => e.startsWith('TERM='))).toBe(false);
  });

  it('mergeImageEnv puts the user first (moby merge)', () => {
    expect(mergeImageEnv(['A=1', 'B=2'], ['B=3', 'C=4'])).toEqual(['B=3', 'C=4', 'A=1']);
  });

  it('replaceOrAppendEnv', () => {
    expect(replaceOrAppendEnv(['A=1', 'B=2'], ['B=3', 'C=4', 'A'])).toEqual(['B=3', 'C=4']);
  });
});

describe('-e and --env-file', () => {
  const env = (k: string) => ({ FROM_CLI: 'yes' })[k];
  it('passes a bare KEY through from the CLI environment, or keeps it bare', () => {
    expect(parseEnvFlag('FROM_CLI', env)).toBe('FROM_CLI=yes');
    expect(parseEnvFlag('MISSING', env)).toBe('MISSING');
    expect(parseEnvFlag('A=', env)).toBe('A=');
  });
  it('refuses an empty name', () => {
    expect(() => parseEnvFlag('=x')).toThrow('invalid argument "=x" for "-e, --env" flag: invalid environment variable: =x');
  });
  it('reads env files like docker', () => {
    const text = '\uFEFF# comment\n\nA=1\n  B= two words \nFROM_CLI\nMISSING\nC=x=y\r\n';
    expect(parseEnvFile('f', text, env)).toEqual(['A=1', 'B= two words ', 'FROM_CLI=yes', 'C=x=y']);
    expect(() => parseEnvFile('f', '=x\n')).toThrow("no variable name on line '=x'");
    expect(() => parseEnvFile('f', 'A B=1\n')).toThrow("poorly formatted environment: variable 'A B' contains whitespaces");
    expect(() => parseEnvFile('f', 'B =1\n')).toThrow("variable 'B ' contains whitespaces");
  });
});

describe('exec environment', () => {
  it("is the container's (defaults, then Config.Env), exec -e on top, TERM with the exec's -t, HOME the exec user's unless set", () => {
    const base = { configEnv: ['FOO=bar', 'PATH=/opt/bin'], hostname: 'h1', home: '/home/app' };
    expect(execEnv({ ...base, execEnv: ['X=1', 'FOO=over'], tty: false })).toEqual(['PATH=/opt/bin', 'HOSTNAME=h1', 'FOO=over', 'HOME=/home/app', 'X=1']);
    expect(execEnv({ ...base, configEnv: [], execEnv: [], tty: true })).toEqual([`PATH=${DEFAULT_PATH}`, 'HOSTNAME=h1', 'TERM=xterm', 'HOME=/home/app']);
    expect(execEnv({ ...base, configEnv: ['HOME=/data'], execEnv: ['PATH'], tty: false })).toEqual(['HOSTNAME=h1', 'HOME=/data']);
  });
});
