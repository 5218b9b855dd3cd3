import { describe, expect, it } from 'vitest';
import { exitCodeForError, exitCodeForProcess, exitCodeForStartError } from './exit-codes.ts';
import { flagError } from './errors.ts';
import { parseSignal, signalName } from './signals.ts';

describe('parseSignal (moby pkg/signal ParseSignal)', () => {
  it.each([
    ['SIGTERM', 15, 'SIGTERM'],
    ['TERM', 15, 'SIGTERM'],
    ['term', 15, 'SIGTERM'],
    ['15', 15, 'SIGTERM'],
    ['SIGKILL', 9, 'SIGKILL'],
    ['9', 9, 'SIGKILL'],
    ['sigusr1', 10, 'SIGUSR1'],
    ['HUP', 1, 'SIGHUP'],
    ['SIGWINCH', 28, 'SIGWINCH'],
    ['RTMIN+3', 37, 'SIGRTMIN+3'],
    ['SIGRTMAX-1', 63, 'SIGRTMAX-1'],
    ['40', 40, 'SIGRTMIN+6'],
  ])('%s -> %d', (raw, n, name) => expect(parseSignal(raw)).toEqual({ number: n, name }));

  it.each(['0', '65', 'SIGFOO', '', '-9', 'SIG'])('%j is an invalid signal', (raw) => {
    expect(() => parseSignal(raw)).toThrow(`Invalid signal: ${raw}`);
  });

  it('names numbers canonically', () => {
    expect(signalName(6)).toBe('SIGABRT');
    expect(signalName(17)).toBe('SIGCHLD');
  });
});

describe('exit codes (docker run reference, moby translateContainerdStartErr)', () => {
  it.each([
    ['exec: "nope": executable file not found in $PATH', 127],
    ['executable file `nope` not found in $PATH: No such file or directory', 127],
    ['open `/bin/nope`: No such file or directory', 127],
    ['exec /etc/passwd: permission denied', 126],
    ['exec `/etc`: Is a directory', 126],
    ['mount /x to /y: Not a directory', 127],
    ['cgroup: cannot write memory.max: Device or resource busy', 125],
  ])('%s -> %d', (msg, code) => expect(exitCodeForStartError(msg)).toBe(code));

  it('blames the command only when the message names it', () => {
    expect(exitCodeForStartError('open /vols/x: No such file or directory', 'myapp')).toBe(125);
    expect(exitCodeForStartError('exec myapp: No such file or directory', 'myapp')).toBe(127);
  });

  it.each([
    [{ code: 0 }, 0],
    [{ code: 3 }, 3],
    [{ code: 256 + 4 }, 4],
    [{ signal: 'SIGKILL' }, 137],
    [{ signal: 'TERM' }, 143],
    [{ signal: 2 }, 130],
    [{ code: null, signal: null, oomKilled: true }, 137],
    [{ code: 137, oomKilled: true }, 137],
  ])('%j -> %d', (end, code) => expect(exitCodeForProcess(end)).toBe(code));

  it('engine and flag errors are 125', () => {
    expect(exitCodeForError(flagError('bad'))).toBe(125);
    expect(exitCodeForError(new Error('boom'))).toBe(125);
  });
});
