import { describe, expect, it } from 'vitest';
import { parseRunOptions } from '../spec/run-flags.ts';
import { checkWasiOptions } from './spec.ts';
import { splitPath } from './worker-imports.ts';

const opts = (...args: string[]) => {
  const flags: Record<string, string | boolean | string[]> = {};
  for (let i = 0; i < args.length; i += 2) flags[args[i]!] = args[i + 1] === 'true' ? true : args[i]! === 'cap-add' ? [args[i + 1]!] : args[i + 1]!;
  return parseRunOptions({ flags, args: ['img'] }, {});
};

describe('WASI containers', () => {
  it('refuse the flags that cannot apply, with exit code 125', () => {
    expect(() => checkWasiOptions(opts('cap-add', 'NET_ADMIN'))).toThrow(/--cap-add does not apply/);
    expect(() => checkWasiOptions(opts('memory', '5g'))).toThrow(/4 GiB/);
    expect(() => checkWasiOptions(opts('user', '1000'))).toThrow(/--user/);
    expect(() => checkWasiOptions(opts('privileged', 'true'))).toThrow(/--privileged/);
    try {
      checkWasiOptions(opts('cpus', '1'));
      expect.unreachable();
    } catch (e) {
      expect((e as { exitCode: number }).exitCode).toBe(125);
    }
    expect(() => checkWasiOptions(opts('memory', '64m', 'hostname', 'h', 'read-only', 'true'))).not.toThrow();
  });

  it('split a path as the shim resolves it', () => {
    expect(splitPath('a/b/c')).toEqual({ parent: 'a/b', name: 'c' });
    expect(splitPath('./a//b/')).toEqual({ parent: 'a', name: 'b' });
    expect(splitPath('a/../b')).toEqual({ parent: '', name: 'b' });
    expect(splitPath('..')).toBeUndefined();
    expect(splitPath('')).toBeUndefined();
  });
});
