// The WASI runtime under the engine in this process (no CLI, no daemon, no guest: the test
// engine has none): live and interactive stdin, -t, kills while the module waits, every
// kind of file change, `docker cp` into a container's tree, and worker reuse.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/engine/index.ts';
import { startRegistry, type TestRegistry } from '../support/index.ts';
import { pushWasiImage } from '../support/wasi.ts';
import { runOptions, wasiEngine } from '../support/wasi-engine.ts';

let reg: TestRegistry;
let home: string;
let engine: Engine;
const img: Record<string, string> = {};

beforeAll(async () => {
  reg = await startRegistry();
  const [interact, fsops, hello, ticker] = await Promise.all([
    pushWasiImage(reg, 'interact', 'tar', 'interact:1'),
    pushWasiImage(reg, 'fsops', 'tar', 'fsops:1', { files: [{ path: 'etc/msg.txt', text: 'from the image\n' }, { path: 'link.txt', link: 'etc/msg.txt' }] }),
    pushWasiImage(reg, 'hello', 'tar', 'hello:1'),
    pushWasiImage(reg, 'ticker', 'tar', 'ticker:1'),
  ]);
  Object.assign(img, { interact, fsops, hello, ticker });
  home = mkdtempSync(join(tmpdir(), 'tabdock-wasi-engine-'));
  engine = await wasiEngine(home, reg.host);
  for (const ref of Object.values(img)) await engine.pull(ref, {});
}, 180_000);

afterAll(async () => {
  await engine?.dispose();
  if (home) rmSync(home, { recursive: true, force: true });
  await reg?.stop();
});

/** Creates and attaches; `out` collects what the module writes. */
async function create(...args: string[]) {
  const options = runOptions(...args);
  const { Id } = await engine.createContainer({ image: options.image, options });
  let out = '';
  const waiters: { text: string; resolve: () => void }[] = [];
  const a = await engine.attachContainer(Id, (chunk) => {
    out += new TextDecoder().decode(chunk);
    for (const w of waiters.splice(0)) (out.includes(w.text) ? w.resolve() : waiters.push(w));
  });
  const seen = (text: string) => new Promise<void>((resolve) => (out.includes(text) ? resolve() : waiters.push({ text, resolve })));
  return { id: Id, a, out: () => out, seen };
}

const state = async (id: string) => (await engine.inspectContainer(id))['State'] as Record<string, unknown>;

describe('the WASI runtime in the engine', () => {
  it('gives live stdin: each line is answered before the next is sent', async () => {
    const c = await create('-i', img['interact']!);
    await engine.startContainer(c.id);
    await c.seen('ready\n');
    await c.a.write(new TextEncoder().encode('one\n'));
    await c.seen('got: one\n');
    await c.a.write(new TextEncoder().encode('two\nquit\n'));
    expect(await engine.waitContainer(c.id)).toEqual({ StatusCode: 7 });
    expect(c.out()).toBe('ready\ngot: one\ngot: two\n');
  });

  it('-it: a cooked terminal (echo, backspace, CRLF) and ^D as end of input', async () => {
    const c = await create('-i', '-t', img['interact']!);
    await engine.startContainer(c.id);
    await c.seen('ready\r\n');
    await c.a.write(new TextEncoder().encode('abx\x7fc\r'));
    await c.seen('got: abc\r\n');
    await c.a.write(new TextEncoder().encode('\x04'));
    expect((await engine.waitContainer(c.id)).StatusCode).toBe(0);
    expect(c.out()).toBe('ready\r\nabx\b \bc\r\ngot: abc\r\neof\r\n');
  });

  it('kills a module blocked on stdin or asleep, at once (137, 143)', async () => {
    const c = await create('-i', img['interact']!);
    await engine.startContainer(c.id);
    await c.seen('ready\n');
    const t0 = performance.now();
    await engine.killContainer(c.id);
    expect((await engine.waitContainer(c.id)).StatusCode).toBe(137);
    const t = await create(img['ticker']!);
    await engine.startContainer(t.id);
    await t.seen('tick 1\n');
    await engine.stopContainer(t.id);
    expect(await state(t.id)).toMatchObject({ ExitCode: 143, Running: false });
    // Under the 10 s a stop waits before SIGKILL, with room for a loaded machine.
    expect(performance.now() - t0).toBeLessThan(9000);
    // The workers those runs had are gone; the next run gets a good one.
    const h = await create('--rm', img['hello']!);
    await engine.startContainer(h.id);
    expect((await engine.waitContainer(h.id)).StatusCode).toBe(0);
    expect(h.out()).toBe('hello from wasi\n');
  });

  it('keeps every kind of change: a renamed directory with its files, a hard link, times; reads through an image symlink', async () => {
    const c = await create('--name', 'fsops', img['fsops']!);
    await engine.startContainer(c.id);
    expect((await engine.waitContainer(c.id)).StatusCode).toBe(0);
    expect(c.out()).toBe('through the link: from the image\n/e/sub/f: file size=9 nlink=1 mtime=1000000000\n');
    const changes = (await engine.containerChanges(c.id)).map((x) => `${x.kind} ${x.path}`);
    expect(changes).toEqual(expect.arrayContaining(['A /e', 'A /e/sub', 'A /e/sub/f', 'A /e/hard']));
    expect(changes.some((x) => x.endsWith(' /d'))).toBe(false);
    const tree = await engine.statContainerPath(c.id, '/e/sub/f');
    expect(tree?.mtime).toBe(1_000_000_000);
    // The same container started again by an engine reopened on the same home finds it
    // all: the renamed directory with its file, the hard link and the time set.
    await engine.dispose();
    engine = await wasiEngine(home, reg.host);
    let again = '';
    await engine.attachContainer(c.id, (chunk) => (again += new TextDecoder().decode(chunk)));
    await engine.startContainer(c.id);
    expect((await engine.waitContainer(c.id)).StatusCode).toBe(0);
    expect(again).toBe('/d: missing\n/e/sub/f: file size=9 nlink=1 mtime=1000000000\n/e/hard: file size=9 nlink=1 mtime=1000000000\nhard says: contents\n');
    await engine.removeContainer(c.id, {});
  });

  it('sees what docker cp put in the container', async () => {
    const c = await create('--name', 'cpdest', img['fsops']!, 'check');
    await engine.copyToContainer(c.id, '/e', (() => {
      const entries = [
        { path: '', kind: 'd' as const, mode: 0o755, uid: 0, gid: 0, mtime: 1 },
        { path: 'hard', kind: 'f' as const, mode: 0o644, uid: 0, gid: 0, mtime: 1, size: 7, data: new TextEncoder().encode('copied\n'), offset: 0 },
      ];
      return async () => entries.shift() ?? null;
    })());
    await engine.startContainer(c.id);
    await engine.waitContainer(c.id);
    expect(c.out()).toContain('hard says: copied\n');
    await engine.removeContainer(c.id, {});
  });
});
