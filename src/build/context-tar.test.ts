import { packTar } from 'modern-tar';
import { describe, expect, it } from 'vitest';
import { contextFromTar, MemoryContext, packContext } from './context-tar.ts';

const enc = (s: string) => new TextEncoder().encode(s);

function feed(bytes: Uint8Array): () => Promise<Uint8Array | null> {
  let done = false;
  return async () => {
    if (done) return null;
    done = true;
    return bytes;
  };
}

async function drain(s: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  return new Uint8Array(await new Response(s).arrayBuffer());
}

describe('the build context on the wire', () => {
  it('packs what .dockerignore keeps and reads it back with modes, owners, links and mtimes', async () => {
    const src = new MemoryContext();
    src.add({ path: 'app', type: 'dir', mode: 0o750, uid: 0, gid: 0, size: 0 });
    src.add({ path: 'app/run.sh', type: 'file', mode: 0o755, uid: 1000, gid: 1000, size: 3, mtime: 1_700_000_000_000 }, enc('hi\n'));
    src.add({ path: 'app/link', type: 'symlink', mode: 0o777, uid: 0, gid: 0, size: 0, linkname: 'run.sh' });
    src.add({ path: 'debug.log', type: 'file', mode: 0o644, uid: 0, gid: 0, size: 1 }, enc('x'));
    const tar = await drain(packContext(src, ['*.log']));
    const back = await contextFromTar(feed(tar));
    expect((await back.list('')).map((e) => e.path)).toEqual(['app']);
    expect(await back.stat('app/run.sh')).toMatchObject({ type: 'file', mode: 0o755, uid: 1000, gid: 1000, size: 3, mtime: 1_700_000_000_000 });
    expect(new TextDecoder().decode(await back.read('app/run.sh'))).toBe('hi\n');
    expect(await back.stat('app/link')).toMatchObject({ type: 'symlink', linkname: 'run.sh' });
    expect(await back.stat('app')).toMatchObject({ type: 'dir', mode: 0o750 });
    expect(await back.stat('debug.log')).toBeUndefined();
  });

  it('refuses an entry that leaves the context, a hard link, and a context past the limit, naming them', async () => {
    const escape = await packTar([{ header: { name: '../outside', type: 'file', size: 1 }, body: 'x' }]);
    await expect(contextFromTar(feed(escape))).rejects.toMatchObject({ code: 'BUILD_CONTEXT_INVALID', message: expect.stringContaining('../outside, a path outside it') });
    const link = await packTar([
      { header: { name: 'a', type: 'file', size: 1 }, body: 'x' },
      { header: { name: 'b', type: 'link', size: 0, linkname: 'a' } },
    ]);
    await expect(contextFromTar(feed(link))).rejects.toMatchObject({ code: 'BUILD_CONTEXT_INVALID', message: expect.stringContaining('a link entry') });
    const big = await packTar([{ header: { name: 'big', type: 'file', size: 2048 }, body: new Uint8Array(2048) }]);
    await expect(contextFromTar(feed(big), 1024)).rejects.toMatchObject({ code: 'BUILD_CONTEXT_TOO_LARGE' });
  });
});
