import { describe, expect, it } from 'vitest';
import { cpTarget, splitCpArg } from './cp.ts';

describe('docker cp paths', () => {
  it('splits CONTAINER:PATH unless the argument is a local path', () => {
    expect(splitCpArg('c1:/etc/passwd')).toEqual({ container: 'c1', path: '/etc/passwd' });
    expect(splitCpArg('/tmp/a:b')).toEqual({ path: '/tmp/a:b' });
    expect(splitCpArg('./a:b')).toEqual({ path: './a:b' });
    expect(splitCpArg('file')).toEqual({ path: 'file' });
  });

  it.each([
    ['/etc/passwd', false, '/out', 'd', { target: '/out/passwd' }],
    ['/etc/passwd', false, '/out/x', 'f', { target: '/out/x' }],
    ['/etc/passwd', false, '/out/new', undefined, { target: '/out/new' }],
    ['/etc/passwd', false, '/out/new/', undefined, { error: 'no such directory: /out/new/' }],
    ['/etc', true, '/out', 'd', { target: '/out/etc' }],
    ['/etc/.', true, '/out', 'd', { target: '/out' }],
    ['/etc/', true, '/out/new/', undefined, { target: '/out/new' }],
    ['/etc', true, '/out/file', 'f', { error: 'cannot copy a directory to a file: /out/file' }],
  ] as const)('%s (dir %s) to %s (%s)', (src, isDir, dest, kind, want) => {
    expect(cpTarget(src, isDir, dest, kind)).toEqual(want);
  });
});
