import { describe, expect, it } from 'vitest';
import { pathChecksum, walkContext } from '../../build/index.ts';
import { projectContext, type ProjectFile } from './project-context.ts';
import { checkPlace, projectPath } from './project-path.ts';

const enc = (s: string) => new TextEncoder().encode(s);
const file = (path: string, data: string, mode = 0o644): ProjectFile => ({ path, bytes: enc(data), mode, mtime: 1 });

describe('projectPath', () => {
  it('makes a typed or dropped name a path below the root', () => {
    expect(projectPath('Dockerfile')).toBe('Dockerfile');
    expect(projectPath('./src//app.sh/')).toBe('src/app.sh');
    expect(projectPath('/etc/x')).toBe('etc/x');
    expect(projectPath('a\\b.txt')).toBe('a/b.txt');
  });
  it('refuses an empty name, .. and NUL', () => {
    expect(() => projectPath('')).toThrow(/not a file name/);
    expect(() => projectPath('./')).toThrow(/not a file name/);
    expect(() => projectPath('a/../../b')).toThrow(/leaves the project/);
    expect(() => projectPath('a\0b')).toThrow(/NUL/);
  });
  it('refuses a file where a folder is, and a folder where a file is', () => {
    expect(() => checkPlace(['a'], 'a/b')).toThrow(/a is a file/);
    expect(() => checkPlace(['a/b'], 'a')).toThrow(/folder of that name/);
    expect(() => checkPlace(['a', 'b'], 'a')).not.toThrow();
    expect(() => checkPlace(['a'], 'a/b', 'a')).not.toThrow(); // renaming a itself
  });
});

describe('projectContext', () => {
  const ctx = projectContext([file('Dockerfile', 'FROM busybox\n'), file('src/lib/x.sh', '#!/bin/sh\n', 0o755), file('src/a.txt', 'a'), file('b.txt', 'bb')]);

  it('lists the root and implied folders (0755, root-owned), files with their stored mode', async () => {
    const names = async (d: string) => (await ctx.list(d)).map((e) => `${e.path} ${e.type} ${e.mode.toString(8)} ${e.uid}:${e.gid} ${e.size}`).sort();
    expect(await names('')).toEqual(['Dockerfile file 644 0:0 13', 'b.txt file 644 0:0 2', 'src dir 755 0:0 0']);
    expect(await names('src')).toEqual(['src/a.txt file 644 0:0 1', 'src/lib dir 755 0:0 0']);
    expect(await names('./src/lib/')).toEqual(['src/lib/x.sh file 755 0:0 10']);
    expect(await names('nope')).toEqual([]);
  });

  it('stats a path, the root and nothing; reads a file', async () => {
    expect(await ctx.stat('src/lib')).toMatchObject({ path: 'src/lib', type: 'dir', mode: 0o755 });
    expect(await ctx.stat('.')).toMatchObject({ path: '', type: 'dir' });
    expect(await ctx.stat('missing')).toBeUndefined();
    expect(await ctx.stat('../etc/passwd')).toBeUndefined();
    expect(new TextDecoder().decode(await ctx.read('./src/a.txt'))).toBe('a');
    await expect(ctx.read('src')).rejects.toThrow(/no such file/);
  });

  it('gives files their stored mtime and implied folders their newest file\'s', async () => {
    const c = projectContext([{ ...file('d/a', 'a'), mtime: 5_000 }, { ...file('d/e/b', 'b'), mtime: 9_000 }, { ...file('c', 'c'), mtime: 7_000 }]);
    expect((await c.stat('d/a'))!.mtime).toBe(5_000);
    expect((await c.stat('d/e'))!.mtime).toBe(9_000);
    expect((await c.stat('d'))!.mtime).toBe(9_000);
    expect((await c.stat(''))!.mtime).toBe(9_000);
  });

  it('is walked as the builder walks it, .dockerignore applied', async () => {
    const seen: string[] = [];
    for await (const e of walkContext(ctx, ['src/lib'])) seen.push(e.path);
    expect(seen).toEqual(['Dockerfile', 'b.txt', 'src', 'src/a.txt']);
  });

  it('is a snapshot: a later change to the file list does not reach it', async () => {
    const files = [file('a', '1')];
    const c = projectContext(files);
    files.push(file('b', '2'));
    expect((await c.list('')).map((e) => e.path)).toEqual(['a']);
  });

  it('gives the same COPY checksum for the same files and modes, another for a changed mode or content', async () => {
    const sum = (fs: ProjectFile[]) => pathChecksum(projectContext(fs), '.');
    const base = await sum([file('a.txt', 'x'), file('d/b', 'y')]);
    expect(await sum([{ ...file('a.txt', 'x'), mtime: 99 }, file('d/b', 'y')])).toBe(base); // mtime is not counted
    expect(await sum([file('a.txt', 'x', 0o755), file('d/b', 'y')])).not.toBe(base);
    expect(await sum([file('a.txt', 'z'), file('d/b', 'y')])).not.toBe(base);
  });

  it('refuses a file list that puts a file where a folder is', () => {
    expect(() => projectContext([file('a', '1'), file('a/b', '2')])).toThrow(/both a file a and a\/b/);
  });
});
