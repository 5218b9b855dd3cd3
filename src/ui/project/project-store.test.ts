import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_PROJECT_BYTES, ProjectStore } from './project-store.ts';

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);
let seq = 0;
const opened: ProjectStore[] = [];
async function open(name: string): Promise<ProjectStore> {
  const s = await ProjectStore.open(name);
  opened.push(s);
  return s;
}
afterEach(() => {
  for (const s of opened.splice(0)) s.dispose();
});

// fake-indexeddb in Node: the same IndexedDB calls the page makes (test/browser runs the panel in Chromium).
describe('ProjectStore', () => {
  it('starts with the example project, once', async () => {
    const name = `p${seq++}`;
    const s = await open(name);
    expect(s.list().map((f) => `${f.path} ${f.mode.toString(8)}`)).toEqual(['Dockerfile 644', 'compose.yaml 644', 'greet.sh 755', 'hello.txt 644']);
    expect(dec(s.get('Dockerfile')!.bytes)).toMatch(/^FROM busybox$/m);
    await s.clear();
    s.dispose();
    expect((await open(name)).list()).toEqual([]); // emptied on purpose: stays empty
  });

  it('keeps writes, renames, modes and deletions across a reopen (a reload)', async () => {
    const name = `p${seq++}`;
    const s = await open(name);
    await s.write('hello.txt', enc('edited\n'));
    await s.add([{ path: 'bin/run', bytes: enc('#!/bin/sh\necho hi\n') }, { path: './data/x.bin', bytes: new Uint8Array([0, 1, 2]), mtime: 5 }]);
    await s.rename('greet.sh', 'scripts/greet.sh');
    await s.setExecutable('hello.txt', true);
    await s.remove('Dockerfile');
    await s.remove('compose.yaml');
    s.dispose();
    const t = await open(name);
    expect(t.list().map((f) => `${f.path} ${f.mode.toString(8)} ${f.bytes.length}`)).toEqual([
      'bin/run 755 18', 'data/x.bin 644 3', 'hello.txt 755 7', 'scripts/greet.sh 755 89',
    ]);
    expect(t.get('data/x.bin')!.mtime).toBe(5);
    expect(dec(t.get('hello.txt')!.bytes)).toBe('edited\n');
    const ctx = await t.context();
    expect((await ctx.list('')).map((e) => e.path).sort()).toEqual(['bin', 'data', 'hello.txt', 'scripts']);
  });

  it('refuses a bad name, a clash of file and folder, a taken name and an oversized project; nothing changes', async () => {
    const s = await open(`p${seq++}`);
    const before = s.list();
    await expect(s.add([{ path: '../x', bytes: enc('') }])).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(s.add([{ path: 'ok', bytes: enc('') }, { path: 'hello.txt/x', bytes: enc('') }])).rejects.toMatchObject({ code: 'CONFLICT' });
    await expect(s.rename('greet.sh', 'hello.txt')).rejects.toMatchObject({ code: 'CONFLICT' });
    await expect(s.rename('nope', 'x')).rejects.toMatchObject({ code: 'NO_SUCH_PATH' });
    await expect(s.add([{ path: 'big', bytes: new Uint8Array(MAX_PROJECT_BYTES) }])).rejects.toMatchObject({ code: 'STORE_FULL' });
    expect(s.list()).toEqual(before);
  });

  it('builds from every change begun, even one not yet stored', async () => {
    const s = await open(`p${seq++}`);
    void s.write('hello.txt', enc('one'));
    void s.write('hello.txt', enc('two'));
    const ctx = await s.context();
    expect(dec(await ctx.read('hello.txt'))).toBe('two');
  });

  it('tells its listeners, and another tab on the same project, of a change', async () => {
    const name = `p${seq++}`;
    const a = await open(name);
    const b = await open(name);
    let here = 0;
    a.onChange(() => here++);
    const there = new Promise<void>((r) => b.onChange(r));
    await a.write('hello.txt', enc('from tab a'));
    expect(here).toBe(1);
    await there;
    expect(dec(b.get('hello.txt')!.bytes)).toBe('from tab a');
  });
});
